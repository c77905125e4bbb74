"""Roles: who holds what over the viewer's places, since when; grant, end, role invites."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from console.app import Ctx, Render, redirect
from services import console_roles
from services.errors import BadInput

if TYPE_CHECKING:
    from console.app import Console


async def _page(ctx: Ctx, **extra: object) -> Render:
    found = await console_roles.page(ctx.session, ctx.actor)
    values = {
        "page": found,
        "roles": list(console_roles.Role),
        "done": ctx.request.query.get("done", "")[:20],
        "errors": {},
        "entered": {},
        "invite": None,
    }
    values.update(extra)
    return Render("roles.html", values, status=400 if extra.get("errors") else 200)


async def roles(ctx: Ctx) -> Render:
    return await _page(ctx)


async def grant(ctx: Ctx) -> Render | web.Response:
    entered = {k: ctx.field(k) for k in ("person", "role", "place")}
    try:
        await console_roles.grant(ctx.session, ctx.actor, now=ctx.now(), **entered)
    except BadInput as error:
        return await _page(ctx, errors={error.field: error.render(ctx._)}, entered=entered)
    return redirect(ctx, "roles", query={"done": "granted"})


async def revoke(ctx: Ctx) -> web.Response:
    await console_roles.revoke(ctx.session, ctx.actor, ctx.path_id("grant_id"), now=ctx.now())
    return redirect(ctx, "roles", query={"done": "ended"})


async def invite(ctx: Ctx) -> Render:
    entered = {k: ctx.field(k) for k in ("role", "place")}
    ttl = timedelta(days=ctx.console.runtime.settings.invite_ttl_days)
    try:
        made = await console_roles.invite(ctx.session, ctx.actor, now=ctx.now(), ttl=ttl, **entered)
    except BadInput as error:
        errors = {f"invite_{error.field}": error.render(ctx._)}
        return await _page(ctx, errors=errors, entered=entered)
    return await _page(ctx, invite=made)


def register(console: Console) -> None:
    console.get("/roles", "roles", roles)
    console.post("/roles/grant", "roles_grant", grant)
    console.post("/roles/{grant_id}/end", "roles_end", revoke)
    console.post("/roles/invite", "roles_invite", invite)
