"""Joining the bot: /start with an invite code, the privacy notice, consent, and welcome."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.i18n import N_
from handlers.common import callback_data, handler, send, show
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands, listed
from services import invites, residents
from services.errors import DomainError
from services.policy import Permission
from views import common as common_view
from views import onboarding as view
from views.account import help_screen
from views.onboarding import Consent, Decline


@handler
async def start(update: Update, context: BotContext) -> None:
    """/start, with an invite code from a deep link or without."""
    _ = context._
    actor = context.actor
    if not context.args:
        standing = residents.standing(actor)
        name = (actor.resident.display_name if actor.resident else "") or (
            update.effective_user.first_name if update.effective_user else ""
        )
        await send(update, view.greeting(standing, name, listed(actor), _))
        return
    code = context.args[0]
    preview = await invites.check_invite(
        context.session,
        code,
        telegram_id=actor.telegram_id,
        now=context.now(),
        bot_username=context.bot.username,
    )
    if isinstance(preview, DomainError):  # returned, not raised: the failed attempt is kept
        await send(update, common_view.refusal(preview, _))
        return
    await send(update, view.invitation(preview, code, _))


@handler
async def consent(update: Update, context: BotContext) -> None:
    """The user agreed to the privacy notice: bind them to the household or role."""
    data = Consent.parse(callback_data(update))
    user = update.effective_user
    assert user is not None
    joined = await invites.accept(
        context.session,
        context.actor,
        data.code,
        display_name=user.full_name,
        language=context._.language,
        now=context.now(),
        bot_username=context.bot.username,
    )
    if isinstance(joined, DomainError):  # returned, not raised: the failed attempt is kept
        await send(update, common_view.refusal(joined, context._))
        return
    context.mark_actor_changed()
    await show(update, view.registered(joined.preview, context._))
    await send(update, help_screen(listed(joined.actor), joined.actor.registered, context._))


@handler
async def decline(update: Update, context: BotContext) -> None:
    await show(update, view.declined(context._))


def register(app: Application) -> None:
    add_commands(MenuCommand("start", N_("Start or join with an invite"), Permission.JOIN, order=1))
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(consent, pattern=Consent.pattern()))
    app.add_handler(CallbackQueryHandler(decline, pattern=Decline.pattern()))
