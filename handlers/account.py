"""The user's own account: /help, /language, /whoami, /mydata, /setphone, /forgetme, /cancel;
and for administrators /audit, who read people's personal data (PIPL)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.i18n import N_
from handlers.common import callback_data, handler, message_of, send, show
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands, listed
from services import audit_export, residents
from services.policy import Permission
from services.residents import PhoneStep
from views import account as view
from views.account import ForgetConfirm, LanguageChoice

__all__ = ["ForgetConfirm", "LanguageChoice", "conversation_fallbacks", "register"]


@handler
async def show_help(update: Update, context: BotContext) -> None:
    """/help: the commands this person may use, from the policy."""
    actor = context.actor
    await send(update, view.help_screen(listed(actor), actor.registered, context._))


@handler
async def choose_language(update: Update, context: BotContext) -> None:
    """/language: offer the three languages, each in its own script."""
    await send(update, view.language_picker(context._))


@handler
async def set_language(update: Update, context: BotContext) -> None:
    choice = LanguageChoice.parse(callback_data(update))
    await residents.set_language(context.session, context.actor, choice.language, now=context.now())
    context.use_language(choice.language)
    context.mark_actor_changed()
    await show(update, view.language_set(context._))


@handler
async def whoami(update: Update, context: BotContext) -> None:
    """/whoami: name, Telegram id, households and roles."""
    found = await residents.profile(context.session, context.actor)
    await send(update, view.whoami(found, context._))


@handler
async def mydata(update: Update, context: BotContext) -> None:
    """/mydata: show what is held and send it as a JSON file."""
    found = await residents.export_personal_data(context.session, context.actor, now=context.now())
    if found is None:
        await send(update, view.no_personal_data(context._))
        return
    await send(update, *view.my_data(found, context._, context.runtime.settings.tz))


@handler
async def audit_reads(update: Update, context: BotContext) -> None:
    """/audit [YYYY-MM-DD]: for administrators, who read personal data, as a workbook."""
    since, tables = await audit_export.reads_for(
        context.session,
        context.actor,
        context.args[0] if context.args else None,
        now=context.now(),
        tz=context.runtime.settings.tz,
    )
    await send(update, *view.audit_reads(since, tables, context._))


@handler
async def forgetme(update: Update, context: BotContext) -> None:
    """/forgetme: confirm before deleting."""
    residents.may_forget(context.actor)
    await send(update, view.forget_question(context._))


@handler
async def forget_confirmed(update: Update, context: BotContext) -> None:
    choice = ForgetConfirm.parse(callback_data(update))
    if not choice.confirmed:
        await show(update, view.nothing_deleted(context._))
        return
    await residents.forget(context.session, context.actor, now=context.now())
    context.mark_actor_changed()
    await show(update, view.forgotten(context._))


# /setphone is a one-question conversation (and the model for the longer ones).
@handler
async def setphone_start(update: Update, context: BotContext) -> str | None:
    """/setphone: ask for the number, offering to share the Telegram contact."""
    step = residents.start_phone(context.actor)
    await send(update, view.ask_phone(context._))
    return step


@handler
async def setphone_receive(update: Update, context: BotContext) -> int | None:
    """A typed number, or a shared contact (which must be the user's own)."""
    message = message_of(update)
    contact = message.contact
    await residents.set_phone(
        context.session,
        context.actor,
        contact.phone_number if contact is not None else message.text or "",
        contact_of=contact.user_id if contact is not None else None,
        now=context.now(),
    )
    await send(update, view.phone_saved(context._))
    return ConversationHandler.END


@handler
async def setphone_wrong(update: Update, context: BotContext) -> str:
    await send(update, view.phone_as_text(context._))
    return PhoneStep.NUMBER


@handler
async def cancel(update: Update, context: BotContext) -> int:
    """/cancel inside any conversation."""
    await send(update, view.cancelled(context._))
    return ConversationHandler.END


@handler
async def busy(update: Update, context: BotContext) -> None:
    """Another command while a conversation waits for an answer."""
    await send(update, view.busy(context._))


@handler
async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    await send(update, view.nothing_to_cancel(context._))


def conversation_fallbacks() -> list[BaseHandler]:
    """/cancel and a polite refusal of other commands: every conversation ends with these."""
    return [CommandHandler("cancel", cancel), MessageHandler(filters.COMMAND, busy)]


def register(app: Application) -> None:
    add_commands(
        MenuCommand("help", N_("What can this bot do"), Permission.JOIN, order=2),
        MenuCommand("language", N_("Change language"), Permission.JOIN, order=90),
        MenuCommand("whoami", N_("Who am I registered as"), Permission.JOIN, order=91),
        MenuCommand("mydata", N_("See and export my data"), Permission.OWN_DATA, order=92),
        MenuCommand("setphone", N_("Add or change my phone number"), Permission.OWN_DATA, order=93),
        MenuCommand("forgetme", N_("Delete my data"), Permission.OWN_DATA, order=94),
        MenuCommand("audit", N_("Who read personal data"), Permission.AUDIT_READS, order=95),
        MenuCommand("cancel", N_("Stop what I am doing"), Permission.OWN_DATA, order=99),
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("setphone", setphone_start)],
            states={
                PhoneStep.NUMBER: [
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
    app.add_handler(CommandHandler("audit", audit_reads))
    app.add_handler(CallbackQueryHandler(forget_confirmed, pattern=ForgetConfirm.pattern()))
    app.add_handler(CommandHandler("cancel", nothing_to_cancel))
