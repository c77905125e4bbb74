"""Households: search by home, name or phone; one home's page (an audited read)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.app import Ctx, Render
from services import console_households

if TYPE_CHECKING:
    from console.app import Console


async def search(ctx: Ctx) -> Render:
    text = ctx.request.query.get("q", "").strip()[:60]
    found = await console_households.search(ctx.session, ctx.actor, text) if text else []
    return Render("households.html", {"q": text, "found": found, "searched": bool(text)})


async def household(ctx: Ctx) -> Render:
    household_id = ctx.path_id("household_id")
    page = await console_households.home_page(ctx.session, ctx.actor, household_id, now=ctx.now())
    return Render("household.html", {"page": page})


def register(console: Console) -> None:
    console.get("/households", "households", search)
    console.get("/households/{household_id}", "household", household)
