"""The user's own account: /help, /language, /whoami, /mydata, /setphone, /forgetme, /cancel."""

from __future__ import annotations

import dataclasses
import io
import json
from html import escape

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.i18n import LANGUAGE_NAMES, LANGUAGES, N_
from handlers.common import edit_or_reply, handler, reply
from handlers.context import BotContext
from handlers.labels import MEMBERSHIP, ROLE, SCOPE, label
from handlers.menu import MenuCommand, add_commands, everyone, help_text, registered
from services import residents
from views.callbacks import CallbackData


@dataclasses.dataclass(frozen=True)
class LanguageChoice(CallbackData, kind="lang"):
    language: str


@dataclasses.dataclass(frozen=True)
class ForgetConfirm(CallbackData, kind="forget"):
    confirmed: bool


@handler
async def show_help(update: Update, context: BotContext) -> None:
    """/help: the commands this person can use, for their roles."""
    await reply(update, help_text(context.actor, context._))


@handler
async def choose_language(update: Update, context: BotContext) -> None:
    """/language: offer the three languages, each in its own script."""
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=LanguageChoice(code).pack())]
            for code in LANGUAGES
        ]
    )
    await reply(update, context._("Choose your language:"), reply_markup=keyboard)


@handler
async def set_language(update: Update, context: BotContext) -> None:
    choice = LanguageChoice.parse(update.callback_query.data)
    await residents.set_language(context.session, context.actor, choice.language, now=context.now())
    context.use_language(choice.language)
    context.mark_actor_changed()
    await edit_or_reply(update, context._("Language set to English."))


@handler
async def whoami(update: Update, context: BotContext) -> None:
    """/whoami: name, Telegram id, households and roles."""
    _ = context._
    actor = context.actor
    lines = [_("Telegram ID: {id}").format(id=actor.telegram_id)]
    if not actor.registered:
        lines.append(
            _("You are not registered yet. Open the invite link from your property office to join.")
        )
        await reply(update, "\n".join(lines))
        return
    lines.insert(0, _("Name: {name}").format(name=escape(actor.resident.display_name)))
    if actor.resident.phone:
        lines.append(_("Phone: {phone}").format(phone=escape(actor.resident.phone)))
    for tie in actor.households:
        lines.append(
            _("Household: {place} ({membership})").format(
                place=escape(tie.label), membership=label(MEMBERSHIP, tie.kind, _)
            )
        )
    for role, kind, name in await residents.describe_roles(context.session, actor):
        lines.append(
            _("Role: {role}, {scope} {name}").format(
                role=label(ROLE, role, _), scope=label(SCOPE, kind, _), name=escape(name)
            )
        )
    await reply(update, "\n".join(lines))


@handler
async def mydata(update: Update, context: BotContext) -> None:
    """/mydata: show what is held and send it as a JSON file."""
    _ = context._
    data = await residents.export_personal_data(context.session, context.actor, now=context.now())
    if data.get("resident") is None:
        await reply(update, _("The bot holds no personal data about you."))
        return
    person = data["resident"]
    lines = [
        _("<b>What the bot holds about you</b>"),
        _("Name: {name}").format(name=escape(person["display_name"])),
        _("Telegram ID: {id}").format(id=person["telegram_id"]),
        _("Phone: {phone}").format(phone=escape(person["phone"] or "—")),
        _("Language: {language}").format(
            language=LANGUAGE_NAMES.get(person["language"] or "", "—")
        ),
        _("Households: {count}").format(count=len(data["households"])),
        _("Roles: {count}").format(count=len(data["roles"])),
        "",
        _(
            "The attached file has all of it. To change your phone use /setphone; to delete everything use /forgetme."
        ),
    ]
    await reply(update, "\n".join(lines))
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    await update.effective_chat.send_document(
        io.BytesIO(payload), filename="my-data.json", caption=_("Your data, exported")
    )


@handler
async def forgetme(update: Update, context: BotContext) -> None:
    """/forgetme: confirm before deleting."""
    _ = context._
    if context.actor.resident is None or context.actor.resident.forgotten_at is not None:
        await reply(update, _("The bot holds no personal data about you."))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Yes, delete my data"), callback_data=ForgetConfirm(True).pack()
                ),
                InlineKeyboardButton(_("No, keep it"), callback_data=ForgetConfirm(False).pack()),
            ]
        ]
    )
    await reply(
        update,
        _(
            "This withdraws your consent and deletes your name, phone, language and household "
            "links. Records the law requires us to keep (such as votes cast) stay, without your name. "
            "Are you sure?"
        ),
        reply_markup=keyboard,
    )


@handler
async def forget_confirmed(update: Update, context: BotContext) -> None:
    _ = context._
    choice = ForgetConfirm.parse(update.callback_query.data)
    if not choice.confirmed:
        await edit_or_reply(update, _("Nothing was deleted."))
        return
    await residents.forget(context.session, context.actor, now=context.now())
    context.mark_actor_changed()
    await edit_or_reply(
        update, _("Your personal data has been deleted. Thank you for using the bot. Goodbye!")
    )


# /setphone is a two-step conversation (and the model for the longer ones).
ASK_PHONE = 0


@handler
async def setphone_start(update: Update, context: BotContext) -> int | None:
    """/setphone: ask for the number, offering to share the Telegram contact."""
    _ = context._
    residents.require_registered(context.actor)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(_("Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await reply(
        update,
        _(
            "Send your phone number, or tap the button to share the one on your Telegram account. /cancel to stop."
        ),
        reply_markup=keyboard,
    )
    return ASK_PHONE


@handler
async def setphone_receive(update: Update, context: BotContext) -> int | None:
    """Receive a typed number or a shared contact of the user themselves."""
    _ = context._
    message = update.effective_message
    if message.contact is not None:
        if message.contact.user_id not in (None, update.effective_user.id):
            await reply(update, _("Please share your own contact, not someone else's."))
            return ASK_PHONE
        phone = message.contact.phone_number
    else:
        phone = message.text or ""
    await residents.set_phone(context.session, context.actor, phone, now=context.now())
    await reply(update, _("Your phone number is saved."), reply_markup=ReplyKeyboardRemove())
    return ConversationHandler.END


@handler
async def setphone_wrong(update: Update, context: BotContext) -> int:
    await reply(update, context._("Please send a phone number as text, or /cancel."))
    return ASK_PHONE


@handler
async def cancel(update: Update, context: BotContext) -> int:
    """/cancel inside any conversation."""
    await reply(
        update, context._("Cancelled. Nothing was changed."), reply_markup=ReplyKeyboardRemove()
    )
    return ConversationHandler.END


@handler
async def busy(update: Update, context: BotContext) -> None:
    """Another command while a conversation waits for an answer."""
    await reply(
        update,
        context._(
            "You are in the middle of something. Please answer the question above, or send /cancel to stop."
        ),
    )


@handler
async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    await reply(
        update, context._("There is nothing to cancel."), reply_markup=ReplyKeyboardRemove()
    )


def conversation_fallbacks() -> list:
    """/cancel and a polite refusal of other commands: every conversation ends with these."""
    return [CommandHandler("cancel", cancel), MessageHandler(filters.COMMAND, busy)]


def register(app: Application) -> None:
    add_commands(
        MenuCommand("help", N_("What can this bot do"), everyone, order=2),
        MenuCommand("language", N_("Change language"), everyone, order=90),
        MenuCommand("whoami", N_("Who am I registered as"), everyone, order=91),
        MenuCommand("mydata", N_("See and export my data"), registered, order=92),
        MenuCommand("setphone", N_("Add or change my phone number"), registered, order=93),
        MenuCommand("forgetme", N_("Delete my data"), registered, order=94),
        MenuCommand("cancel", N_("Stop what I am doing"), registered, order=99),
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("setphone", setphone_start)],
            states={
                ASK_PHONE: [
                    MessageHandler(filters.CONTACT, setphone_receive),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, setphone_receive),
                    MessageHandler(~filters.COMMAND, setphone_wrong),
                ]
            },
            fallbacks=conversation_fallbacks(),
            name="setphone",
            persistent=True,
        )
    )
    app.add_handler(CommandHandler("help", show_help))
    app.add_handler(CommandHandler("language", choose_language))
    app.add_handler(CallbackQueryHandler(set_language, pattern=LanguageChoice.pattern()))
    app.add_handler(CommandHandler("whoami", whoami))
    app.add_handler(CommandHandler("mydata", mydata))
    app.add_handler(CommandHandler("forgetme", forgetme))
    app.add_handler(CallbackQueryHandler(forget_confirmed, pattern=ForgetConfirm.pattern()))
    app.add_handler(CommandHandler("cancel", nothing_to_cancel))
