"""The console's first page (who is signed in, with which roles) and signing out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from console.app import Ctx, Render, see_other
from services import console_access
from services.residents import describe_roles

if TYPE_CHECKING:
    from console.app import Console


async def home(ctx: Ctx) -> Render:
    roles = await describe_roles(ctx.session, ctx.actor)
    return Render("home.html", {"roles": roles})


async def sign_out(ctx: Ctx) -> web.Response:
    await console_access.sign_out(ctx.session, ctx.viewer.session, now=ctx.now())
    response = see_other(ctx.url("signed_out"))
    response.del_cookie("rp_console", path=ctx.console.path or "/")
    return response


def register(console: Console) -> None:
    console.get("/", "home", home)
    console.post("/signout", "signout", sign_out)
    console.app.router.add_get("/signedout", console.signed_out_page, name="signed_out")
