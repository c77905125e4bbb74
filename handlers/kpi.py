"""/kpi: the monthly report of the person's area (whoever holds KPI_VIEW over a place) — a
summary, a chart and a workbook, the 信息月报 as PDF and DOCX on a button — and the monthly
subscription."""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.i18n import N_
from handlers.common import callback_data, handler, send
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import kpi_documents, kpi_viewers
from services.kpi_viewers import Shown
from services.policy import Permission
from views import kpi as view
from views.callbacks import InvalidCallback
from views.kpi import PAPERS, KpiScope
from views.kpi_documents import paper_screen

__all__ = ["KpiScope", "register"]
ACTIONS = ("show", "subscribe", *PAPERS)


def today(context: BotContext) -> date:
    return context.now().astimezone(context.runtime.settings.tz).date()


@handler
async def kpi_command(update: Update, context: BotContext) -> None:
    """/kpi [YYYY-MM]: last month's report by default (the current one is not complete yet)."""
    begun = await kpi_viewers.start(
        context.session,
        context.actor,
        context.args[0] if context.args else None,
        today=today(context),
        tz=context.runtime.settings.tz,
    )
    if begun.shown is None:
        await send(update, view.choose_place(list(begun.choices), begun.month, context._))
        return
    await _send_report(update, context, begun.shown)


@handler
async def kpi_button(update: Update, context: BotContext) -> None:
    """A place of the picker, or a button under a report: the subscription, the PDF, the DOCX."""
    data = KpiScope.parse(callback_data(update))
    if not kpi_viewers.valid_month(data.month) or data.action not in ACTIONS:
        raise InvalidCallback(callback_data(update))
    if data.action in PAPERS:
        await _send_paper(update, context, data)
        return
    if data.action == "subscribe":
        found = await kpi_viewers.toggle_subscription(
            context.session, context.actor, data.scope_kind, data.scope_id, now=context.now()
        )
        await send(update, view.subscription(found, context._))
        return
    shown = await kpi_viewers.open_report(*_opening(context, data))
    await _send_report(update, context, shown)


def _opening(context: BotContext, data: KpiScope) -> tuple:
    """What opens the report of the button's place (the service checks the person may)."""
    return (
        context.session,
        context.actor,
        data.scope_kind,
        data.scope_id,
        data.month,
        context.runtime.settings.tz,
    )


async def _send_paper(update: Update, context: BotContext, data: KpiScope) -> None:
    """The report as a PDF or a Word file, for whoever may read the place."""
    paper = await kpi_documents.open_paper(*_opening(context, data), today=today(context))
    screen = await asyncio.to_thread(paper_screen, paper, data.action, context._)
    await send(update, screen)


async def _send_report(update: Update, context: BotContext, shown: Shown) -> None:
    # Drawing and the workbook are CPU work (a second or two for a city): off the event loop.
    screens = await asyncio.to_thread(view.report_screens, shown, context._)
    await send(update, *screens)


def register(app: Application) -> None:
    add_commands(MenuCommand("kpi", N_("Monthly KPI report"), Permission.KPI_VIEW, order=60))
    app.add_handler(CommandHandler("kpi", kpi_command))
    app.add_handler(CallbackQueryHandler(kpi_button, pattern=KpiScope.pattern()))
