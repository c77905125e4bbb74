"""/report: a resident (or a liaison for a household, 代办) reports an issue, step by step."""

from __future__ import annotations

import dataclasses
from html import escape

from telegram import (
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

from core.i18n import N_
from handlers.account import conversation_fallbacks
from handlers.common import buttons, edit_or_reply, handler, reply, use_the_buttons
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands, registered
from models import TicketCategory
from services import ticket_reports, tickets
from services.outbox import quiet_hours
from views.callbacks import CallbackData, InvalidCallback, answer_for
from views.tickets import CATEGORY, CATEGORY_SHORT, TicketButton, staff_alert_payload

WHO, HOUSEHOLD, CATEGORY_STEP, URGENT, DESCRIBE, PHOTOS, WHERE, BUILDING, FLOOR, SUMMARY = range(10)


@dataclasses.dataclass(frozen=True)
class ReportChoice(CallbackData, kind="rp"):
    step: str
    value: str


@handler
async def start_report(update: Update, context: BotContext) -> int | None:
    """/report: liaisons choose whose report it is; residents go straight to the category."""
    _ = context._
    await ticket_reports.start(context.session, context.actor, now=context.now())
    if context.actor.has_role(*tickets.FILING_ROLES):
        rows = [[(_("For a household (代办)"), ReportChoice("who", "other").pack())]]
        if context.actor.households:
            rows.insert(0, [(_("For my own household"), ReportChoice("who", "self").pack())])
        await reply(update, _("Whose report is this?"), reply_markup=buttons(rows))
        return WHO
    return await _ask_category(update, context)


@handler
async def who_chosen(update: Update, context: BotContext) -> int | None:
    if answer_for(ReportChoice, update.callback_query.data, "who").value == "self":
        return await _ask_category(update, context)
    await edit_or_reply(
        update,
        context._("Which household? Write building, unit and room, for example: 3栋 2单元 1201"),
    )
    return HOUSEHOLD


@handler
async def household_named(update: Update, context: BotContext) -> int | None:
    await ticket_reports.file_for(
        context.session, context.actor, update.effective_message.text, now=context.now()
    )
    return await _ask_category(update, context)


async def _ask_category(update: Update, context: BotContext) -> int:
    _ = context._
    rows = [[(_(CATEGORY[c]), ReportChoice("cat", c.value).pack())] for c in TicketCategory]
    await edit_or_reply(
        update, _("What is the problem about? (/cancel to stop)"), reply_markup=buttons(rows)
    )
    return CATEGORY_STEP


@handler
async def category_chosen(update: Update, context: BotContext) -> int | None:
    await ticket_reports.set_category(
        context.session,
        context.actor,
        answer_for(ReportChoice, update.callback_query.data, "cat").value,
        now=context.now(),
    )
    _ = context._
    rows = [
        [
            (
                _("⚠️ Urgent: lift entrapment, fire equipment, water leak, façade danger, gas"),
                ReportChoice("urgent", "1").pack(),
            )
        ],
        [(_("Not urgent"), ReportChoice("urgent", "0").pack())],
    ]
    await edit_or_reply(update, _("Is it urgent?"), reply_markup=buttons(rows))
    return URGENT


@handler
async def urgency_chosen(update: Update, context: BotContext) -> int | None:
    await ticket_reports.set_urgent(
        context.session,
        context.actor,
        answer_for(ReportChoice, update.callback_query.data, "urgent").value == "1",
        now=context.now(),
    )
    await edit_or_reply(
        update, context._("Describe the problem in a few words (what and where exactly).")
    )
    return DESCRIBE


@handler
async def described(update: Update, context: BotContext) -> int | None:
    await ticket_reports.set_description(
        context.session, context.actor, update.effective_message.text, now=context.now()
    )
    _ = context._
    rows = [[(_("No photos"), ReportChoice("photos", "done").pack())]]
    await reply(
        update,
        _("Send up to 5 photos, then tap Done. Or tap No photos."),
        reply_markup=buttons(rows),
    )
    return PHOTOS


@handler
async def photo_added(update: Update, context: BotContext) -> int | None:
    count = await ticket_reports.add_photo(
        context.session,
        context.actor,
        update.effective_message.photo[-1].file_id,
        now=context.now(),
    )
    _ = context._
    rows = [[(_("Done"), ReportChoice("photos", "done").pack())]]
    await reply(
        update, _("Photo {count} of 5 added.").format(count=count), reply_markup=buttons(rows)
    )
    return PHOTOS


@handler
async def photos_done(update: Update, context: BotContext) -> int | None:
    answer_for(ReportChoice, update.callback_query.data, "photos")  # refuses a stale button
    return await _ask_where(update, context)


async def _ask_where(update: Update, context: BotContext) -> int:
    _ = context._
    draft = await ticket_reports.draft_of(context.session, context.actor)
    rows = []
    if draft.household_id is not None:
        rows.append([(_("At my home"), ReportChoice("where", "household").pack())])
    rows.append(
        [(_("In a building (stairs, lift, corridor...)"), ReportChoice("where", "building").pack())]
    )
    await edit_or_reply(
        update, _("Where is it? You can also share a location."), reply_markup=buttons(rows)
    )
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(_("📍 Share location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await reply(update, _("For an outdoor spot, tap 📍 below."), reply_markup=keyboard)
    return WHERE


@handler
async def where_chosen(update: Update, context: BotContext) -> int | None:
    value = answer_for(ReportChoice, update.callback_query.data, "where").value
    _ = context._
    if value == "household":
        await ticket_reports.set_where(
            context.session, context.actor, "household", now=context.now()
        )
        return await _summary(update, context)
    rows = [
        [(b.name, ReportChoice("bld", str(b.id)).pack())]
        for b in await ticket_reports.buildings(context.session, context.actor)
    ]
    await edit_or_reply(update, _("Which building?"), reply_markup=buttons(rows[:40]))
    return BUILDING


@handler
async def location_shared(update: Update, context: BotContext) -> int | None:
    location = update.effective_message.location
    await ticket_reports.set_where(
        context.session,
        context.actor,
        "location",
        latitude=location.latitude,
        longitude=location.longitude,
        now=context.now(),
    )
    return await _summary(update, context)


@handler
async def building_chosen(update: Update, context: BotContext) -> int | None:
    value = answer_for(ReportChoice, update.callback_query.data, "bld").value
    if not value.isdigit():
        raise InvalidCallback(value)
    await ticket_reports.set_where(
        context.session, context.actor, "building", building_id=int(value), now=context.now()
    )
    _ = context._
    rows = [
        [
            (
                _("Not on a floor (outside, roof, whole building)"),
                ReportChoice("floor", "none").pack(),
            )
        ]
    ]
    await edit_or_reply(
        update, _("Which floor? Send the number, or tap below."), reply_markup=buttons(rows)
    )
    return FLOOR


@handler
async def floor_given(update: Update, context: BotContext) -> int | None:
    query = update.callback_query
    draft = await ticket_reports.draft_of(context.session, context.actor)
    building_id = draft.where.get("building_id")
    if query is not None:
        answer_for(ReportChoice, update.callback_query.data, "floor")
        floor = None
    else:
        text = (
            (update.effective_message.text or "")
            .strip()
            .removesuffix("楼")
            .removesuffix("层")
            .removesuffix("F")
        )
        if not text.lstrip("-").isdigit():
            await reply(update, context._("Please send the floor as a number, e.g. 3."))
            return FLOOR
        floor = int(text)
    await ticket_reports.set_where(
        context.session,
        context.actor,
        "building",
        building_id=building_id,
        floor=floor,
        now=context.now(),
    )
    return await _summary(update, context)


async def _summary(update: Update, context: BotContext) -> int:
    _ = context._
    draft = await ticket_reports.draft_of(context.session, context.actor)
    where = draft.where
    if where.get("kind") == "location":
        place = _("a shared location")
    elif where.get("kind") == "building":
        names = {
            b.id: b.name for b in await ticket_reports.buildings(context.session, context.actor)
        }
        place = names.get(where.get("building_id"), "?") + (
            _(", floor {floor}").format(floor=where["floor"])
            if where.get("floor") is not None
            else ""
        )
    else:
        place = _("at home")
    lines = [
        _("<b>Please check your report</b>"),
        _("Category: {category}").format(
            category=_(CATEGORY_SHORT[TicketCategory(draft.category)])
        ),
        _("⚠️ Urgent") if draft.urgent else _("Not urgent"),
        _("Description: {text}").format(text=escape(draft.description)),
        _("Photos: {count}").format(count=len(draft.photos)),
        _("Where: {place}").format(place=place),
    ]
    rows = [
        [(_("Send report"), ReportChoice("confirm", "send").pack())],
        [(_("Start over"), ReportChoice("confirm", "restart").pack())],
    ]
    duplicate = await ticket_reports.duplicate(context.session, context.actor, now=context.now())
    if duplicate is not None:
        lines.append("")
        lines.append(
            _(
                "Someone already reported this in the same building today (ticket #{id}). Follow that one instead?"
            ).format(id=duplicate.id)
        )
        rows.insert(
            0,
            [
                (
                    _("+1, follow ticket #{id}").format(id=duplicate.id),
                    ReportChoice("follow", str(duplicate.id)).pack(),
                )
            ],
        )
    await reply(update, _("Thank you."), reply_markup=ReplyKeyboardRemove())
    await reply(update, "\n".join(lines), reply_markup=buttons(rows))
    return SUMMARY


@handler
async def summary_answer(update: Update, context: BotContext) -> int | None:
    choice = ReportChoice.parse(update.callback_query.data)
    _ = context._
    if choice.step == "follow" and choice.value.isdigit():
        await tickets.follow(context.session, context.actor, int(choice.value), now=context.now())
        await ticket_reports.discard(context.session, context.actor)
        await edit_or_reply(
            update,
            _("You now follow ticket #{id}; you will be told about every step.").format(
                id=choice.value
            ),
        )
        return ConversationHandler.END
    if choice.step != "confirm":
        raise InvalidCallback(update.callback_query.data)
    if choice.value == "restart":
        await ticket_reports.start(context.session, context.actor, now=context.now())
        return await _ask_category(update, context)
    ticket = await ticket_reports.submit(context.session, context.actor, now=context.now())
    await tickets.alert(
        context.session,
        ticket,
        level=0,
        now=context.now(),
        quiet=quiet_hours(context.runtime.settings),
        render=staff_alert_payload,
    )
    text = _(
        "Your report is ticket #{id}. You will get a message at every step; /mytickets shows it any time."
    ).format(id=ticket.id)
    await edit_or_reply(
        update,
        text,
        reply_markup=buttons([[(_("Open ticket"), TicketButton("view", ticket.id).pack())]]),
    )
    return ConversationHandler.END


@handler
async def need_text(update: Update, context: BotContext) -> None:
    await reply(update, context._("Please answer with text, or send /cancel to stop."))


@handler
async def need_photo(update: Update, context: BotContext) -> None:
    await reply(update, context._("Please send photos, or tap Done."))


@handler
async def need_where(update: Update, context: BotContext) -> None:
    await reply(update, context._("Please choose a place with the buttons, or share a location."))


def register(app: Application) -> None:
    add_commands(MenuCommand("report", N_("Report an issue"), registered, order=10))
    buttons_only = MessageHandler(~filters.COMMAND, use_the_buttons)
    text = filters.TEXT & ~filters.COMMAND
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("report", start_report)],
            states={
                WHO: [
                    CallbackQueryHandler(who_chosen, pattern=ReportChoice.pattern()),
                    buttons_only,
                ],
                HOUSEHOLD: [
                    MessageHandler(text, household_named),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                CATEGORY_STEP: [
                    CallbackQueryHandler(category_chosen, pattern=ReportChoice.pattern()),
                    buttons_only,
                ],
                URGENT: [
                    CallbackQueryHandler(urgency_chosen, pattern=ReportChoice.pattern()),
                    buttons_only,
                ],
                DESCRIBE: [
                    MessageHandler(text, described),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                PHOTOS: [
                    MessageHandler(filters.PHOTO, photo_added),
                    CallbackQueryHandler(photos_done, pattern=ReportChoice.pattern()),
                    MessageHandler(~filters.COMMAND, need_photo),
                ],
                WHERE: [
                    CallbackQueryHandler(where_chosen, pattern=ReportChoice.pattern()),
                    MessageHandler(filters.LOCATION, location_shared),
                    MessageHandler(~filters.COMMAND, need_where),
                ],
                BUILDING: [
                    CallbackQueryHandler(building_chosen, pattern=ReportChoice.pattern()),
                    buttons_only,
                ],
                FLOOR: [
                    CallbackQueryHandler(floor_given, pattern=ReportChoice.pattern()),
                    MessageHandler(text, floor_given),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                SUMMARY: [
                    CallbackQueryHandler(summary_answer, pattern=ReportChoice.pattern()),
                    buttons_only,
                ],
            },
            fallbacks=conversation_fallbacks(),
            name="report",
            persistent=True,
        )
    )
