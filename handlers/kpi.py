"""/kpi: the monthly report of the person's area (whoever holds KPI_VIEW over a place) — a
summary, a chart and a workbook — and the monthly subscription."""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.i18n import N_
from handlers.common import callback_data, handler, send
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import kpi_viewers
from services.kpi_viewers import Shown
from services.policy import Permission
from views import kpi as view
from views.callbacks import InvalidCallback
from views.kpi import KpiScope

__all__ = ["KpiScope", "register"]


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
    """A place of the picker, or the subscription button under a report."""
    data = KpiScope.parse(callback_data(update))
    if not kpi_viewers.valid_month(data.month) or data.action not in ("show", "subscribe"):
        raise InvalidCallback(callback_data(update))
    if data.action == "subscribe":
        found = await kpi_viewers.toggle_subscription(
            context.session, context.actor, data.scope_kind, data.scope_id, now=context.now()
        )
        await send(update, view.subscription(found, context._))
        return
    shown = await kpi_viewers.open_report(
        context.session,
        context.actor,
        data.scope_kind,
        data.scope_id,
        data.month,
        context.runtime.settings.tz,
    )
    await _send_report(update, context, shown)


async def _send_report(update: Update, context: BotContext, shown: Shown) -> None:
    # Drawing and the workbook are CPU work (a second or two for a city): off the event loop.
    screens = await asyncio.to_thread(view.report_screens, shown, context._)
    await send(update, *screens)


def register(app: Application) -> None:
    add_commands(MenuCommand("kpi", N_("Monthly KPI report"), Permission.KPI_VIEW, order=60))
    app.add_handler(CommandHandler("kpi", kpi_command))
    app.add_handler(CallbackQueryHandler(kpi_button, pattern=KpiScope.pattern()))
