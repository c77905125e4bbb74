"""Notices in the bot: /notice to compose (liaisons, staff, admins), /notices to read and follow up."""

from __future__ import annotations

import dataclasses
import io
import re

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.i18n import N_, Translator
from handlers.account import conversation_fallbacks
from handlers.common import (
    buttons,
    edit_or_reply,
    handler,

    reply,
    use_the_buttons,
)
from handlers.context import BotContext
from services.inputs import parse_local_time
from handlers.labels import ROLE, label
from handlers.menu import MenuCommand, add_commands, registered, with_role
from models import NoticeCategory, NoticeStatus, Role, TargetKind
from services import notices
from services.outbox import QuietHours
from services.outbox import quiet_hours as outbox_quiet_hours
from services.spreadsheets import xlsx
from views.callbacks import CallbackData, InvalidCallback, answer_for
from views.notices import (
    CATEGORY,
    TARGET,
    AckNotice,
    notice_payload,
    notice_text,
    report_rows,
    report_text,
    summary_text,
    when_text,
)

(
    COMPOUND,
    CATEGORY_STEP,
    TARGET_STEP,
    PICK,
    ROLE_STEP,
    CONTENT,
    ACK,
    WHEN,
    TIME,
    PREVIEW,
    EDIT_TEXT,
) = range(11)


@dataclasses.dataclass(frozen=True)
class NoticeCompound(CallbackData, kind="nc"):
    compound_id: int


@dataclasses.dataclass(frozen=True)
class NoticeChoice(CallbackData, kind="nq"):
    """One answer in the compose flow: step name and value."""

    step: str
    value: str


@dataclasses.dataclass(frozen=True)
class NoticeManage(CallbackData, kind="nm"):
    action: str  # report | remind | cancel | edit
    notice_id: int


def quiet_hours(context: BotContext) -> QuietHours | None:
    return outbox_quiet_hours(context.runtime.settings)


# --- compose ---------------------------------------------------------------------------
@handler
async def compose(update: Update, context: BotContext) -> int | None:
    """/notice: pick the compound (if several), then the category."""
    _ = context._
    compounds = await notices.sender_compounds(context.session, context.actor)
    if not compounds or not context.actor.registered:
        await reply(
            update,
            _(
                "Only liaisons, property staff and administrators of this compound can send notices."
            ),
        )
        return ConversationHandler.END
    if len(compounds) > 1:
        rows = [[(c.name, NoticeCompound(c.id).pack())] for c in compounds[:20]]
        await reply(update, _("Which compound is this notice for?"), reply_markup=buttons(rows))
        return COMPOUND
    await notices.start_draft(context.session, context.actor, compounds[0].id, now=context.now())
    return await _ask_category(update, context)


@handler
async def compound_chosen(update: Update, context: BotContext) -> int | None:
    choice = NoticeCompound.parse(update.callback_query.data)
    await notices.start_draft(context.session, context.actor, choice.compound_id, now=context.now())
    return await _ask_category(update, context)


async def _ask_category(update: Update, context: BotContext) -> int:
    _ = context._
    rows = [[(_(CATEGORY[c]), NoticeChoice("cat", c.value).pack())] for c in NoticeCategory]
    await edit_or_reply(
        update, _("What kind of notice is it? (/cancel to stop)"), reply_markup=buttons(rows)
    )
    return CATEGORY_STEP


@handler
async def category_chosen(update: Update, context: BotContext) -> int | None:
    choice = answer_for(NoticeChoice, update.callback_query.data, "cat")
    await notices.set_category(context.session, context.actor, choice.value)
    _ = context._
    rows = [[(_(TARGET[k]), NoticeChoice("target", k.value).pack())] for k in TargetKind]
    await edit_or_reply(update, _("Who should receive it?"), reply_markup=buttons(rows))
    return TARGET_STEP


@handler
async def target_chosen(update: Update, context: BotContext) -> int | None:
    _ = context._
    kind = TargetKind(answer_for(NoticeChoice, update.callback_query.data, "target").value)
    if kind in (TargetKind.COMPOUND, TargetKind.OWNERS, TargetKind.UNPAID):
        await notices.set_target(context.session, context.actor, kind)
        return await _ask_content(update, context)
    if kind == TargetKind.ROLE:
        rows = [[(label(ROLE, r, _), NoticeChoice("role", r.value).pack())] for r in Role]
        await edit_or_reply(update, _("Which role?"), reply_markup=buttons(rows))
        return ROLE_STEP
    draft = await notices.current_draft(context.session, context.actor)
    draft.target_kind, draft.target_ids = kind, []
    return await _show_pick(update, context)


async def _show_pick(update: Update, context: BotContext) -> int:
    _ = context._
    draft = await notices.current_draft(context.session, context.actor)
    buildings, grids = await notices.target_choices(context.session, draft)
    items = buildings if draft.target_kind == TargetKind.BUILDINGS else grids
    chosen = set(draft.target_ids)
    rows = [
        [
            (
                ("✅ " if item.id in chosen else "") + item.name,
                NoticeChoice("pick", str(item.id)).pack(),
            )
        ]
        for item in items[:40]
    ]
    rows.append([(_("Done"), NoticeChoice("pick", "done").pack())])
    question = (
        _("Tap the buildings to include, then Done.")
        if draft.target_kind == TargetKind.BUILDINGS
        else _("Tap the grids to include, then Done.")
    )
    await edit_or_reply(update, question, reply_markup=buttons(rows))
    return PICK


@handler
async def pick_toggled(update: Update, context: BotContext) -> int | None:
    value = answer_for(NoticeChoice, update.callback_query.data, "pick").value
    draft = await notices.current_draft(context.session, context.actor)
    if value == "done":
        await notices.set_target(
            context.session, context.actor, draft.target_kind, draft.target_ids
        )
        return await _ask_content(update, context)
    if not value.isdigit():
        raise InvalidCallback(value)
    await notices.toggle_target_item(context.session, context.actor, draft.target_kind, int(value))
    return await _show_pick(update, context)


@handler
async def role_chosen(update: Update, context: BotContext) -> int | None:
    await notices.set_target(
        context.session,
        context.actor,
        TargetKind.ROLE,
        role=answer_for(NoticeChoice, update.callback_query.data, "role").value,
    )
    return await _ask_content(update, context)


async def _ask_content(update: Update, context: BotContext) -> int:
    await edit_or_reply(
        update,
        context._(
            "Send the text of the notice. You can use bold, italics and links, or send a photo or a "
            "file with the text as its caption."
        ),
    )
    return CONTENT


@handler
async def content_received(update: Update, context: BotContext) -> int | None:
    message = update.effective_message
    photo = message.photo[-1].file_id if message.photo else None
    document = message.document.file_id if message.document else None
    if photo or document:
        html, plain = message.caption_html or "", len(message.caption or "")
    else:
        html, plain = message.text_html or "", len(message.text or "")
    await notices.set_content(
        context.session,
        context.actor,
        html=html,
        plain_length=plain,
        photo=photo,
        document=document,
    )
    _ = context._
    rows = [
        [
            (_("Yes, ask to confirm reading"), NoticeChoice("ack", "1").pack()),
            (_("No"), NoticeChoice("ack", "0").pack()),
        ]
    ]
    await reply(
        update, _("Should residents confirm they have read it?"), reply_markup=buttons(rows)
    )
    return ACK


@handler
async def ack_chosen(update: Update, context: BotContext) -> int | None:
    await notices.set_ack(
        context.session,
        context.actor,
        answer_for(NoticeChoice, update.callback_query.data, "ack").value == "1",
    )
    _ = context._
    rows = [
        [
            (_("Send now"), NoticeChoice("when", "now").pack()),
            (_("Schedule"), NoticeChoice("when", "later").pack()),
        ]
    ]
    await edit_or_reply(update, _("When should it go out?"), reply_markup=buttons(rows))
    return WHEN


@handler
async def when_chosen(update: Update, context: BotContext) -> int | None:
    if answer_for(NoticeChoice, update.callback_query.data, "when").value == "now":
        await notices.set_send_at(context.session, context.actor, None, now=context.now())
        return await _preview(update, context)
    await edit_or_reply(
        update, context._("Send the time as YYYY-MM-DD HH:MM, for example 2026-12-01 09:00.")
    )
    return TIME


@handler
async def time_received(update: Update, context: BotContext) -> int | None:
    when = parse_local_time(update.effective_message.text, context.runtime.settings.tz)
    if when is None:
        await reply(
            update,
            context._(
                "I could not read that time. Please use YYYY-MM-DD HH:MM, for example 2026-12-01 09:00."
            ),
        )
        return TIME
    await notices.set_send_at(context.session, context.actor, when, now=context.now())
    return await _preview(update, context)


async def _send_rendered(
    update: Update, payload: dict, markup: InlineKeyboardMarkup | None = None
) -> Message:
    chat = update.effective_chat
    if payload.get("buttons") and markup is None:
        markup = buttons([[(b["text"], b["data"]) for b in row] for row in payload["buttons"]])
    if payload.get("photo"):
        return await chat.send_photo(payload["photo"], caption=payload["text"], reply_markup=markup)
    if payload.get("document"):
        return await chat.send_document(
            payload["document"], caption=payload["text"], reply_markup=markup
        )
    return await chat.send_message(payload["text"], reply_markup=markup)


async def _preview(update: Update, context: BotContext) -> int:
    """Exactly what residents will see, then who and how many, then confirm."""
    _ = context._
    draft = await notices.current_draft(context.session, context.actor)
    people = await notices.recipients(context.session, draft)
    households = await notices.household_count(context.session, draft)
    await _send_rendered(update, notice_payload(draft, _.language))
    rows = [
        [
            (_("Confirm and send"), NoticeChoice("confirm", "1").pack()),
            (_("Cancel"), NoticeChoice("confirm", "0").pack()),
        ]
    ]
    text = summary_text(draft, len(people), households, _, context.runtime.settings.tz)
    await reply(update, text, reply_markup=buttons(rows))
    return PREVIEW


@handler
async def confirmed(update: Update, context: BotContext) -> int | None:
    _ = context._
    if answer_for(NoticeChoice, update.callback_query.data, "confirm").value != "1":
        await edit_or_reply(update, _("Cancelled. Nothing was sent."))
        return ConversationHandler.END
    notice = await notices.confirm(
        context.session,
        context.actor,
        now=context.now(),
        quiet=quiet_hours(context),
        render=notice_payload,
    )
    if notice.status == NoticeStatus.SCHEDULED:
        text = _(
            "Notice #{id} is scheduled for {when}. You can change or cancel it with /notices."
        ).format(id=notice.id, when=when_text(notice, _, context.runtime.settings.tz))
    else:
        text = _(
            "Notice #{id} is on its way to {count} people. /notices shows the delivery report."
        ).format(id=notice.id, count=_.number(notice.recipients))
    await edit_or_reply(
        update,
        text,
        reply_markup=buttons([[(_("Delivery report"), NoticeManage("report", notice.id).pack())]]),
    )
    return ConversationHandler.END


@handler
async def need_text(update: Update, context: BotContext) -> None:
    await reply(
        update, context._("Please send the notice as text, or a photo or file with a caption.")
    )


# --- reading and following up ---------------------------------------------------------------
@handler
async def acknowledge(update: Update, context: BotContext) -> None:
    data = AckNotice.parse(update.callback_query.data)
    first = await notices.acknowledge(
        context.session, context.actor, data.notice_id, now=context.now()
    )
    _ = context._
    await reply(
        update,
        _("Thank you, your reading is recorded.")
        if first
        else _("You had already confirmed reading this notice."),
    )


@handler
async def list_notices(update: Update, context: BotContext) -> None:
    """/notices: recent notices for residents; for senders, their own with follow-up buttons."""
    _ = context._
    tz = context.runtime.settings.tz
    sent_to_me = await notices.notices_for_resident(context.session, context.actor)
    lines: list[str] = []
    if sent_to_me:
        lines.append(_("<b>Recent notices</b>"))
        for notice, acked in sent_to_me:
            first_line = re.sub(r"<[^>]+>", "", notice.text).split("\n")[0][:60]
            mark = " ✅" if acked else ""
            when = _.date(notice.queued_at or notice.created_at, tz)
            lines.append(
                f"#{notice.id} {when} 【{_(CATEGORY[NoticeCategory(notice.category)])}】{first_line}{mark}"
            )
    mine = (
        await notices.scheduled_and_recent(context.session, context.actor)
        if context.actor.has_role(*notices.SENDER_ROLES)
        else []
    )
    if not lines and not mine:
        await reply(update, _("There are no notices for you yet."))
        return
    if lines:
        await reply(update, "\n".join(lines))
    for notice in mine:
        await reply(update, _sender_line(notice, _, tz), reply_markup=_manage_buttons(notice, _))


def _sender_line(notice, _: Translator, tz) -> str:  # type: ignore[no-untyped-def]
    status = {
        NoticeStatus.SCHEDULED: _("scheduled for {when}").format(when=when_text(notice, _, tz)),
        NoticeStatus.QUEUED: _("sent to {count} people").format(count=_.number(notice.recipients)),
        NoticeStatus.CANCELLED: _("cancelled"),
    }.get(notice.status, notice.status)
    return (
        _("Your notice #{id}: {status}").format(id=notice.id, status=status)
        + "\n"
        + notice_text(notice, _)[:500]
    )


def _manage_buttons(notice, _: Translator) -> InlineKeyboardMarkup | None:  # type: ignore[no-untyped-def]
    if notice.status == NoticeStatus.SCHEDULED:
        return buttons(
            [
                [
                    (_("Change text"), NoticeManage("edit", notice.id).pack()),
                    (_("Cancel it"), NoticeManage("cancel", notice.id).pack()),
                ]
            ]
        )
    if notice.status == NoticeStatus.QUEUED:
        row = [(_("Delivery report"), NoticeManage("report", notice.id).pack())]
        if notice.ask_ack:
            row.append(
                (_("Remind those who have not read it"), NoticeManage("remind", notice.id).pack())
            )
        return buttons([row])
    return None


@handler
async def manage(update: Update, context: BotContext) -> int | None:
    data = NoticeManage.parse(update.callback_query.data)
    _ = context._
    if data.action == "report":
        report = await notices.delivery_report(
            context.session, context.actor, data.notice_id, now=context.now()
        )
        markup = _manage_buttons(report.notice, _)
        await reply(update, report_text(report, _), reply_markup=markup)
        if report.missed:
            headers, rows = report_rows(report, _)
            await update.effective_chat.send_document(
                io.BytesIO(xlsx({_("Not reached"): (headers, rows)})),
                filename=f"notice-{report.notice.id}-not-reached.xlsx",
                caption=_("Households not reached, for door-to-door follow-up"),
            )
    elif data.action == "remind":
        count = await notices.remind_unacknowledged(
            context.session,
            context.actor,
            data.notice_id,
            now=context.now(),
            quiet=quiet_hours(context),
            render=notice_payload,
        )
        await reply(
            update, _("A reminder is on its way to {count} people.").format(count=_.number(count))
        )
    elif data.action == "cancel":
        notice = await notices.cancel_scheduled(
            context.session, context.actor, data.notice_id, now=context.now()
        )
        await edit_or_reply(
            update, _("Notice #{id} is cancelled; nothing was sent.").format(id=notice.id)
        )
    elif data.action == "edit":
        notice = await notices.begin_edit(context.session, context.actor, data.notice_id)
        await reply(
            update,
            _("Send the new text for notice #{id}. /cancel to keep the old one.").format(
                id=notice.id
            ),
        )
        return EDIT_TEXT
    else:
        raise InvalidCallback(update.callback_query.data)
    return ConversationHandler.END


@handler
async def edit_received(update: Update, context: BotContext) -> int | None:
    _ = context._
    message = update.effective_message
    notice = await notices.finish_edit(
        context.session,
        context.actor,
        html=message.text_html or "",
        plain_length=len(message.text or ""),
        now=context.now(),
    )
    await reply(update, _("Notice #{id} now reads:").format(id=notice.id))
    await _send_rendered(update, notice_payload(notice, _.language))
    return ConversationHandler.END


def register(app: Application) -> None:
    senders = with_role(*notices.SENDER_ROLES)
    add_commands(
        MenuCommand("notice", N_("Send a notice to residents"), senders, order=30),
        MenuCommand("notices", N_("Recent notices"), registered, order=31),
    )
    buttons_only = MessageHandler(~filters.COMMAND, use_the_buttons)
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("notice", compose)],
            states={
                COMPOUND: [
                    CallbackQueryHandler(compound_chosen, pattern=NoticeCompound.pattern()),
                    buttons_only,
                ],
                CATEGORY_STEP: [
                    CallbackQueryHandler(category_chosen, pattern=NoticeChoice.pattern()),
                    buttons_only,
                ],
                TARGET_STEP: [
                    CallbackQueryHandler(target_chosen, pattern=NoticeChoice.pattern()),
                    buttons_only,
                ],
                PICK: [
                    CallbackQueryHandler(pick_toggled, pattern=NoticeChoice.pattern()),
                    buttons_only,
                ],
                ROLE_STEP: [
                    CallbackQueryHandler(role_chosen, pattern=NoticeChoice.pattern()),
                    buttons_only,
                ],
                CONTENT: [
                    MessageHandler(
                        (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL,
                        content_received,
                    ),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                ACK: [
                    CallbackQueryHandler(ack_chosen, pattern=NoticeChoice.pattern()),
                    buttons_only,
                ],
                WHEN: [
                    CallbackQueryHandler(when_chosen, pattern=NoticeChoice.pattern()),
                    buttons_only,
                ],
                TIME: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, time_received),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                PREVIEW: [
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
            entry_points=[CallbackQueryHandler(manage, pattern=NoticeManage.pattern())],
            states={
                EDIT_TEXT: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, edit_received),
                    MessageHandler(~filters.COMMAND, need_text),
                ]
            },
            fallbacks=conversation_fallbacks(),
            name="notice-manage",
            persistent=True,
        )
    )
    app.add_handler(CommandHandler("notices", list_notices))
    app.add_handler(CallbackQueryHandler(acknowledge, pattern=AckNotice.pattern()))
