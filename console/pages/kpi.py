"""KPIs: the monthly report of a place of the viewer's area (the four KPIs with numerators and
denominators, last month beside them, the places one level down to drill into, the five-star
ranking, the chart), and its workbook and 信息月报 as the bot and `bot.py report` make them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from console.app import Ctx, Render
from console.downloads import DOCX, PDF, PNG, XLSX, download
from core.i18n import N_, from_iso_month
from services import console_kpi, kpi_documents, kpi_map, kpi_viewers
from services.kpi_viewers import Shown
from services.places import Scope
from views import kpi as kpi_view
from views.kpi_documents import monthly_docx, monthly_pdf

if TYPE_CHECKING:
    from console.app import Console

WORKBOOK_NAME = N_("Monthly KPIs")
REPORT_NAME = N_("Monthly info report")
TREND_NAME = N_("KPI trend")
# The map's bands, lowest first (the console's red to green), and a compound without data.
BAND_COLOURS = ("#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32")
NO_DATA_COLOUR = "#9e9e9e"


def _asked(ctx: Ctx) -> tuple[str | None, str | None]:
    query = ctx.request.query
    return query.get("place", "").strip()[:40] or None, query.get("month", "").strip()[:7] or None


def _today(ctx: Ctx):
    return ctx.now().astimezone(ctx.console.runtime.settings.tz).date()


def place_key(place: Scope) -> str:
    return f"{place.kind.value}:{place.id}"


async def _page(ctx: Ctx) -> console_kpi.KpiPage:
    place, month = _asked(ctx)
    return await console_kpi.page(
        ctx.session,
        ctx.actor,
        place,
        month,
        today=_today(ctx),
        tz=ctx.console.runtime.settings.tz,
        map_kpi=ctx.request.query.get("map", "").strip()[:20] or None,
    )


async def report(ctx: Ctx) -> Render:
    found = await _page(ctx)
    return Render(
        "kpi_report.html",
        {
            "page": found,
            "report": found.shown.report,
            "place": found.shown.scope,
            "key": place_key,
            "kpis": kpi_view.KPIS,
            "money_kpi": kpi_view.MONEY,
            "share": kpi_view.share,
            "trend": kpi_view.trend,
            "title": kpi_view.title(found.shown.report, ctx._),
            "level_names": kpi_view.LEVEL_NAMES,
            "trend_kpis": [k for k in kpi_view.KPIS if k[0] in kpi_view.TREND_KPIS],
            "month_of": from_iso_month,
            "map_kpis": [(k, label) for k, label, _n, _d in kpi_view.KPIS if k in kpi_map.KPIS],
            "band_colours": BAND_COLOURS,
            "no_data_colour": NO_DATA_COLOUR,
        },
    )


def _name(ctx: Ctx, place: Scope, month: str, word: str, suffix: str) -> str:
    return f"{place.name}-{month}-{ctx._.plain(word)}.{suffix}"


async def _shown(ctx: Ctx) -> Shown:
    """The report of the place and month asked for, without the page around it."""
    place, month = _asked(ctx)
    _areas, kind, scope_id, month = await console_kpi.chosen(
        ctx.session, ctx.actor, place, month, today=_today(ctx)
    )
    tz = ctx.console.runtime.settings.tz
    return await kpi_viewers.open_report(ctx.session, ctx.actor, kind, scope_id, month, tz)


async def chart(ctx: Ctx) -> web.Response:
    shown = await _shown(ctx)
    picture = await asyncio.to_thread(kpi_view.chart, shown.report, ctx._)
    name = _name(ctx, shown.scope, shown.report.month, WORKBOOK_NAME, "png")
    return download(picture, name, PNG, inline=True)


async def trend_chart(ctx: Ctx) -> web.Response:
    """The trend of the page's place, the months to the page's month, as a PNG."""
    place, month = _asked(ctx)
    shown, points = await console_kpi.trend_of(
        ctx.session,
        ctx.actor,
        place,
        month,
        today=_today(ctx),
        tz=ctx.console.runtime.settings.tz,
    )
    months = [(from_iso_month(month), figures) for month, figures in points]
    picture = await asyncio.to_thread(kpi_view.trend_chart, shown.name, months, ctx._)
    name = _name(ctx, shown, points[-1][0], TREND_NAME, "png")
    return download(picture, name, PNG, inline=True)


async def workbook(ctx: Ctx) -> web.Response:
    shown = await _shown(ctx)
    sheet = await asyncio.to_thread(kpi_view.workbook, shown.report, ctx._)
    return download(sheet, _name(ctx, shown.scope, shown.report.month, WORKBOOK_NAME, "xlsx"), XLSX)


async def paper(ctx: Ctx) -> web.Response:
    """The 信息月报 as a PDF or a Word file (the bot's own documents)."""
    kind = ctx.request.match_info["kind"]
    place, month = _asked(ctx)
    _areas, scope_kind, scope_id, month = await console_kpi.chosen(
        ctx.session, ctx.actor, place, month, today=_today(ctx)
    )
    made = await kpi_documents.open_paper(
        ctx.session,
        ctx.actor,
        scope_kind,
        scope_id,
        month,
        ctx.console.runtime.settings.tz,
        today=_today(ctx),
    )
    draw = monthly_docx if kind == "docx" else monthly_pdf
    document = await asyncio.to_thread(draw, made, ctx._)
    name = _name(ctx, made.shown.scope, month, REPORT_NAME, kind)
    return download(document.content, name, DOCX if kind == "docx" else PDF)


def register(console: Console) -> None:
    console.get("/kpi", "kpi", report)
    console.get("/kpi/chart.png", "kpi_chart", chart)
    console.get("/kpi/trend.png", "kpi_trend", trend_chart)
    console.get("/kpi/workbook.xlsx", "kpi_workbook", workbook)
    console.get("/kpi/report.{kind:pdf|docx}", "kpi_paper", paper)
