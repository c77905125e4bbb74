"""Joining the bot: /start with an invite code, the privacy notice, consent, and welcome."""

from __future__ import annotations

import dataclasses
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.i18n import N_, Translator
from handlers.common import edit_or_reply, handler, reply
from handlers.context import BotContext
from handlers.labels import MEMBERSHIP, ROLE, label
from handlers.menu import MenuCommand, add_commands, help_text
from models import InviteKind
from services import invites, residents
from services.actors import load_actor
from services.errors import DomainError
from views.callbacks import CallbackData


@dataclasses.dataclass(frozen=True)
class Consent(CallbackData, kind="consent"):
    code: str  # the invite code, or "" for someone who already holds a role


@dataclasses.dataclass(frozen=True)
class Decline(CallbackData, kind="decline"):
    pass


def privacy_notice(_: Translator) -> str:
    return "\n".join(
        [
            _("<b>Privacy notice</b>"),
            _(
                "To serve you, the bot keeps your Telegram ID, the name you use on Telegram, your "
                "language, your household and, only if you give it, your phone number. "
                "We never ask for ID-card numbers."
            ),
            _(
                "Your data is used only for property services in your compound. Your name and "
                "phone are visible only to the staff and liaison who need them, and every "
                "access is logged. Published results are totals only."
            ),
            _(
                "You can see and export your data with /mydata and delete it with /forgetme at any time."
            ),
        ]
    )


def joining_text(preview: invites.InvitePreview, _: Translator) -> str:
    place = escape(preview.place)
    if preview.kind == InviteKind.HOUSEHOLD:
        return _("This invite registers you as the {membership} of {place}.").format(
            membership=label(MEMBERSHIP, preview.membership, _), place=place
        )
    return _("This invite makes you {role} for {place}.").format(
        role=label(ROLE, preview.role, _), place=place
    )


def consent_keyboard(code: str, _: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("I agree"), callback_data=Consent(code).pack()),
                InlineKeyboardButton(_("No, thanks"), callback_data=Decline().pack()),
            ]
        ]
    )


@handler
async def start(update: Update, context: BotContext) -> None:
    """/start, with an invite code from a deep link or without."""
    _ = context._
    actor = context.actor
    code = context.args[0] if context.args else None
    if code is None:
        if actor.registered:
            name = escape(actor.resident.display_name or update.effective_user.first_name)
            await reply(
                update, _("Welcome back, {name}!").format(name=name) + "\n\n" + help_text(actor, _)
            )
        elif actor.resident is not None and actor.roles and actor.resident.consent_at is None:
            await reply(update, privacy_notice(_), reply_markup=consent_keyboard("", _))
        else:
            await reply(
                update,
                _("Welcome to Red Property, the service bot of your residential compound.")
                + "\n\n"
                + _("To join, open the invite link from your property office or liaison."),
            )
        return
    preview = await invites.check_invite(
        context.session, code, telegram_id=actor.telegram_id, now=context.now()
    )
    if isinstance(preview, DomainError):
        await reply(update, preview.render(_))
        return
    text = joining_text(preview, _) + "\n\n" + privacy_notice(_)
    await reply(update, text, reply_markup=consent_keyboard(code, _))


@handler
async def consent(update: Update, context: BotContext) -> None:
    """The user agreed to the privacy notice: bind them to the household or role."""
    _ = context._
    data = Consent.parse(update.callback_query.data)
    user = update.effective_user
    if data.code:
        redeemed = await invites.redeem_invite(
            context.session,
            data.code,
            telegram_id=user.id,
            display_name=user.full_name,
            language=context._.language,
            now=context.now(),
        )
        text = _("Welcome! You are registered.") + " " + joining_text(redeemed.preview, _)
    else:
        await residents.record_consent(
            context.session, context.actor, user.full_name, now=context.now()
        )
        text = _("Welcome! You are registered.")
    context.mark_actor_changed()
    await edit_or_reply(update, text)
    actor = await load_actor(context.session, user.id)
    await reply(update, help_text(actor, _))


@handler
async def decline(update: Update, context: BotContext) -> None:
    await edit_or_reply(
        update,
        context._("Nothing was saved. You can open the invite link again whenever you are ready."),
    )


def register(app: Application) -> None:
    add_commands(MenuCommand("start", N_("Start or join with an invite"), order=1))
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(consent, pattern=Consent.pattern()))
    app.add_handler(CallbackQueryHandler(decline, pattern=Decline.pattern()))
