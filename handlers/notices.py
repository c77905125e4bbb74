"""Notices in the bot: /notice to compose (liaisons, staff, admins), /notices to read and follow
up, "I have read it"."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.i18n import N_
from handlers.account import conversation_fallbacks
from handlers.common import (
    callback_data,
    drop_buttons,
    handler,
    message_of,
    message_text,
    send,
    show,
    use_the_buttons,
)
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import notice_documents, notice_drafts, notice_reports, notices
from services.notice_drafts import NoticeStep, Question
from services.notices import EditStep
from services.policy import Permission
from views import notice_office
from views import notices as view
from views.callbacks import InvalidCallback, answer_for
from views.documents import door_list, notice_sheet
from views.notice_office import NoticeChoice

BUTTON_STEPS = (
    NoticeStep.COMPOUND,
    NoticeStep.CATEGORY,
    NoticeStep.TARGET,
    NoticeStep.PICK,
    NoticeStep.ROLE,
    NoticeStep.ACK,
    NoticeStep.WHEN,
)


async def _ask(update: Update, context: BotContext, asked: Question) -> str:
    """The next question: in place of the pressed one, except the two messages of the preview."""
    screens = notice_office.question(asked, context._, context.runtime.settings.tz)
    if len(screens) == 1 and update.callback_query is not None:
        await show(update, screens[0])
    else:
        await send(update, *screens)
    return asked.draft.step


# --- compose ---------------------------------------------------------------------------------
@handler
async def compose(update: Update, context: BotContext) -> str | None:
    """/notice: the compound (if several), then the category."""
    asked = await notice_drafts.start(context.session, context.actor, now=context.now())
    return await _ask(update, context, asked)


@handler
async def answered(update: Update, context: BotContext) -> str | None:
    """A button of the question being asked."""
    choice = NoticeChoice.parse(callback_data(update))
    asked = await notice_drafts.answer(
        context.session, context.actor, choice.step, choice.value, now=context.now()
    )
    return await _ask(update, context, asked)


@handler
async def content_received(update: Update, context: BotContext) -> str | None:
    """The text, or a photo or file with the text as its caption, as the sender formatted it."""
    message = message_of(update)
    photo = message.photo[-1].file_id if message.photo else None
    document = message.document.file_id if message.document else None
    if photo or document:
        text_html, length = message.caption_html or "", len(message.caption or "")
    else:
        text_html, length = message.text_html or "", len(message.text or "")
    asked = await notice_drafts.content(
        context.session,
        context.actor,
        html=text_html,
        plain_length=length,
        photo=photo,
        document=document,
        now=context.now(),
    )
    return await _ask(update, context, asked)


@handler
async def time_received(update: Update, context: BotContext) -> str | None:
    """The time to send it at."""
    asked = await notice_drafts.send_time(
        context.session,
        context.actor,
        message_text(update),
        tz=context.runtime.settings.tz,
        now=context.now(),
    )
    return await _ask(update, context, asked)


@handler
async def confirmed(update: Update, context: BotContext) -> str | int:
    """Confirm and send (or schedule), or cancel."""
    choice = answer_for(NoticeChoice, callback_data(update), NoticeStep.PREVIEW)
    notice = await notices.confirm(
        context.session, context.actor, choice.value == "1", now=context.now()
    )
    if isinstance(notice, notices.NobodyToReach):  # the draft waits for another target
        await drop_buttons(update)
        tz = context.runtime.settings.tz
        question = notice_office.question(notice.question, context._, tz)
        await send(update, notice_office.nobody_to_reach(notice.reason, context._), *question)
        return notice.question.draft.step
    await show(update, notice_office.confirmed(notice, context._, context.runtime.settings.tz))
    return ConversationHandler.END


@handler
async def need_text(update: Update, context: BotContext) -> None:
    await send(update, view.need_text(context._))


# --- reading and following up ----------------------------------------------------------------
@handler
async def acknowledge(update: Update, context: BotContext) -> None:
    """ "I have read it"."""
    data = view.AckNotice.parse(callback_data(update))
    first = await notices.acknowledge(
        context.session, context.actor, data.notice_id, now=context.now()
    )
    await send(update, view.acknowledged(first, context._))


@handler
async def list_notices(update: Update, context: BotContext) -> None:
    """/notices: recent notices for residents; for senders, their own with follow-up buttons."""
    found = await notices.listing(context.session, context.actor)
    await send(update, *view.listing(found, context._, context.runtime.settings.tz))


@handler
async def manage(update: Update, context: BotContext) -> str | int | None:
    """A button under a sender's notice: report, remind, cancel, change the text, print it, or
    the door-knocking list of the households not reached."""
    data = view.NoticeManage.parse(callback_data(update))
    session, actor, now, _ = context.session, context.actor, context.now(), context._
    if data.action == "report":
        report = await notice_reports.delivery_report(session, actor, data.notice_id, now=now)
        await send(update, *notice_office.report(report, _))
    elif data.action == "print":
        sheet = await notice_documents.notice_sheet(session, actor, data.notice_id)
        await send(update, notice_sheet.notice_screen(sheet, _, context.runtime.settings.tz))
    elif data.action == "knock":
        found = await notice_documents.door_list(session, actor, data.notice_id, now=now)
        await send(update, door_list.door_list_screen(found, _, context.runtime.settings.tz))
    elif data.action == "remind":
        settings = context.runtime.settings
        reminded = await notice_reports.remind_unacknowledged(
            session,
            actor,
            data.notice_id,
            now=now,
            cooldown=timedelta(hours=settings.notice_reminder_cooldown_hours),
        )
        await send(update, notice_office.reminded(reminded, _, settings.tz))
    elif data.action == "cancel":
        notice = await notices.cancel_scheduled(session, actor, data.notice_id, now=now)
        await show(update, view.cancelled(notice, _))
    elif data.action == "edit":
        notice, draft = await notices.begin_edit(session, actor, data.notice_id, now=now)
        await send(update, view.ask_new_text(notice, _))
        return draft.step
    else:
        raise InvalidCallback(data.action)
    return ConversationHandler.END


@handler
async def edit_received(update: Update, context: BotContext) -> int | None:
    """The new text of a scheduled notice."""
    message = message_of(update)
    notice = await notices.finish_edit(
        context.session,
        context.actor,
        html=message.text_html or "",
        plain_length=len(message.text or ""),
        now=context.now(),
    )
    await send(update, *view.edited(notice, context._, context.runtime.settings.tz))
    return ConversationHandler.END


def register(app: Application) -> None:
    add_commands(
        MenuCommand("notice", N_("Send a notice to residents"), Permission.NOTICE_SEND, order=30),
        MenuCommand("notices", N_("Recent notices"), Permission.OWN_DATA, order=31),
    )
    buttons_only = MessageHandler(~filters.COMMAND, use_the_buttons)
    typed = filters.TEXT & ~filters.COMMAND
    wrong = MessageHandler(~filters.COMMAND, need_text)
    pressed = CallbackQueryHandler(answered, pattern=NoticeChoice.pattern())
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("notice", compose)],
            states={
                **{step: [pressed, buttons_only] for step in BUTTON_STEPS},
                NoticeStep.CONTENT: [
                    MessageHandler(typed | filters.PHOTO | filters.Document.ALL, content_received),
                    wrong,
                ],
                NoticeStep.TIME: [MessageHandler(typed, time_received), wrong],
                NoticeStep.PREVIEW: [
                    CallbackQueryHandler(confirmed, pattern=NoticeChoice.pattern()),
                    buttons_only,
                ],
            },
            fallbacks=conversation_fallbacks(),
            name="notice",
            persistent=True,
        )
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(manage, pattern=view.NoticeManage.pattern())],
            states={EditStep.TEXT: [MessageHandler(typed, edit_received), wrong]},
            fallbacks=conversation_fallbacks(),
            name="notice-manage",
            persistent=True,
        )
    )
    app.add_handler(CommandHandler("notices", list_notices))
    app.add_handler(CallbackQueryHandler(acknowledge, pattern=view.AckNotice.pattern()))
