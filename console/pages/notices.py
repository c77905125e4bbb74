"""Notices: a compound's notices with their delivery and acknowledgement figures; one notice's
delivery report with the households not reached, by grid and its liaisons, and as the bot's
spreadsheet for door-to-door follow-up."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from console.app import Ctx, Render
from console.downloads import PDF, XLSX, download
from core.i18n import N_
from services import console_notices, notice_documents
from services.inputs import id_number
from services.tables import xlsx
from views import notice_office
from views import notices as notice_texts
from views.documents.door_list import door_list_pdf

if TYPE_CHECKING:
    from console.app import Console


async def listing(ctx: Ctx) -> Render:
    wanted = ctx.request.query.get("compound", "").strip()[:12]
    compound_id = id_number(wanted) if wanted else None
    if wanted and compound_id is None:
        compound_id = 0  # a forged one: refused as another compound's
    found = await console_notices.notice_list(ctx.session, ctx.actor, compound_id)
    return Render("notices_list.html", _values(ctx, page=found))


async def notice(ctx: Ctx) -> Render:
    found = await console_notices.notice_page(
        ctx.session, ctx.actor, ctx.path_id("notice_id"), now=ctx.now()
    )
    return Render("notices_notice.html", _values(ctx, page=found, report=found.report))


async def not_reached(ctx: Ctx) -> web.Response:
    """The households not reached as the bot's spreadsheet (names where the viewer sees them)."""
    found = await console_notices.notice_page(
        ctx.session, ctx.actor, ctx.path_id("notice_id"), now=ctx.now()
    )
    sheet = xlsx({N_("Not reached"): notice_office.not_reached(found.report, ctx._)}, ctx._)
    name = f"{ctx._.plain(N_('Not reached'))}-{found.report.notice.id}.xlsx"
    return download(sheet, name, XLSX)


async def door_list(ctx: Ctx) -> web.Response:
    """The door-knocking list (PDF, one page per grid with its liaisons), for those who see
    names and phones: the bot's own document, an audited read."""
    found = await notice_documents.door_list(
        ctx.session, ctx.actor, ctx.path_id("notice_id"), now=ctx.now()
    )
    tz = ctx.console.runtime.settings.tz
    made = await asyncio.to_thread(door_list_pdf, found, ctx._, tz)
    name = f"{found.compound}-{ctx._.plain(N_('Door-knocking list'))}-{found.notice.id}.pdf"
    return download(made, name, PDF)


def _values(ctx: Ctx, **values: object) -> dict[str, object]:
    return {
        "title_of": notice_office.notice_title,
        "category": notice_texts.category_text,
        "target": notice_office.TARGET,
        "reason": notice_office.REASON,
        **values,
    }


def register(console: Console) -> None:
    console.get("/notices", "notices", listing)
    console.get("/notices/{notice_id}", "notices_notice", notice)
    console.get("/notices/{notice_id}/not-reached.xlsx", "notices_not_reached", not_reached)
    console.get("/notices/{notice_id}/door-list.pdf", "notices_door_list", door_list)
