"""/console: a single-use link to the office console in the browser, and "sign out everywhere"."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.i18n import N_
from handlers.common import callback_data, handler, send, show
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import console_access
from services.policy import Permission
from views import console as view


@handler
async def console_link(update: Update, context: BotContext) -> None:
    settings = context.runtime.settings
    now = context.now()
    issued = await console_access.issue_link(
        context.session,
        context.actor,
        now=now,
        ttl=timedelta(minutes=settings.console_link_minutes),
    )
    sessions = await console_access.open_sessions(context.session, context.actor, now=now)
    url = f"{settings.console_base}/signin?t={issued.secret}"
    await send(update, view.sign_in_link(url, issued.expires_at, sessions, context._, settings.tz))


@handler
async def sign_out_everywhere(update: Update, context: BotContext) -> None:
    view.SignOutEverywhere.parse(callback_data(update))
    console_access.may_sign_in(context.actor)
    count = await console_access.sign_out_everywhere(
        context.session, context.actor, now=context.now()
    )
    await show(update, view.signed_out(count, context._))


def register(app: Application) -> None:
    add_commands(
        MenuCommand(
            "console",
            N_("Open the office console in a browser"),
            Permission.CONSOLE_SIGN_IN,
            order=88,
        )
    )
    app.add_handler(CommandHandler("console", console_link))
    app.add_handler(
        CallbackQueryHandler(sign_out_everywhere, pattern=view.SignOutEverywhere.pattern())
    )
