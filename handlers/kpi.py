"""/kpi: the monthly report of the person's area (officers, supervisors, liaisons, committee
members, administrators) — a summary, a chart and a workbook — and the monthly subscription."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.i18n import N_
from handlers.common import buttons, handler, reply
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands, with_role
from services import kpi
from services.surveys import month_of, previous_month
from views.callbacks import CallbackData, InvalidCallback
from views.kpi import chart, summary_text, workbook


@dataclasses.dataclass(frozen=True)
class KpiScope(CallbackData, kind="kp"):
    action: str  # show | subscribe
    scope_kind: str
    scope_id: int
    month: str


@handler
async def kpi_command(update: Update, context: BotContext) -> None:
    """/kpi [YYYY-MM]: last month's report by default (the current one is not complete yet)."""
    _ = context._
    today = context.now().astimezone(context.runtime.settings.tz).date()
    month = context.args[0] if context.args else previous_month(month_of(today))
    if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", month):
        await reply(update, _("Send the month as YYYY-MM, for example /kpi 2026-10."))
        return
    scopes = await kpi.viewer_scopes(context.session, context.actor)
    if not scopes:
        await reply(
            update,
            _(
                "Reports are for officers, quality supervisors, liaisons, committee members and administrators."
            ),
        )
        return
    if len(scopes) > 1:
        rows = [[(s.name, KpiScope("show", s.kind, s.scope_id, month).pack())] for s in scopes[:30]]
        await reply(update, _("Which area?"), reply_markup=buttons(rows))
        return
    await _send(update, context, scopes[0], month)


@handler
async def kpi_button(update: Update, context: BotContext) -> None:
    data = KpiScope.parse(update.callback_query.data)
    if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", data.month):
        raise InvalidCallback(data.month)
    scope = await kpi.require_scope(context.session, context.actor, data.scope_kind, data.scope_id)
    if data.action == "subscribe":
        subscribed = await kpi.toggle_subscription(
            context.session, context.actor, scope, now=context.now()
        )
        _ = context._
        await reply(update, _("You will receive the report of {scope} on the 1st of each month at 08:00.").format(scope=scope.name)
                    if subscribed else _("You will no longer receive the monthly report of {scope}.").format(scope=scope.name))  # fmt: skip
        return
    if data.action != "show":
        raise InvalidCallback(data.action)
    await _send(update, context, scope, data.month)


async def _send(update: Update, context: BotContext, scope: kpi.Scope, month: str) -> None:
    _ = context._
    report = await kpi.report(
        context.session, scope.kind, scope.scope_id, scope.name, month, context.runtime.settings.tz
    )
    subscribed = await kpi.is_subscribed(context.session, context.actor, scope)
    label = _("Stop the monthly report") if subscribed else _("Send me this every month")
    markup = buttons([[(label, KpiScope("subscribe", scope.kind, scope.scope_id, month).pack())]])
    await reply(update, summary_text(report, _), reply_markup=markup)
    chat = update.effective_chat
    # Drawing and the workbook are CPU work (a second or two for a city): off the event loop.
    png, sheet = await asyncio.gather(
        asyncio.to_thread(chart, report, _), asyncio.to_thread(workbook, report, _)
    )
    await chat.send_photo(io.BytesIO(png), filename=f"kpi-{month}.png")
    await chat.send_document(
        io.BytesIO(sheet), filename=f"kpi-{month}-{scope.kind}-{scope.scope_id}.xlsx"
    )


def register(app: Application) -> None:
    add_commands(
        MenuCommand("kpi", N_("Monthly KPI report"), with_role(*kpi.VIEWER_ROLES), order=60)
    )
    app.add_handler(CommandHandler("kpi", kpi_command))
    app.add_handler(CallbackQueryHandler(kpi_button, pattern=KpiScope.pattern()))
