"""/report: a resident (or a liaison for a household, 代办) reports an issue, step by step."""

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
from handlers.account import conversation_fallbacks
from handlers.common import (
    HandlerFn,
    callback_data,
    handler,
    message_of,
    message_text,
    send,
    show,
    use_the_buttons,
)
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import ticket_report_places, ticket_reports
from services.inputs import record_id
from services.policy import Permission
from services.ticket_reports import ReportStep, ReportSummary, Where
from views import ticket_reports as view
from views import tickets as ticket_view
from views.callbacks import InvalidCallback, answer_for

R = ReportStep


def _value(update: Update, step: ReportStep) -> str:
    """The pressed answer, which must belong to the question being asked."""
    return str(answer_for(view.ReportChoice, callback_data(update), step).value)


def _record(update: Update, step: ReportStep) -> int:
    """The record id a button of this step answers (a building, an area)."""
    value = _value(update, step)
    try:
        return record_id(value)
    except ValueError:
        raise InvalidCallback(value) from None


@handler
async def start_report(update: Update, context: BotContext) -> str | None:
    """/report: liaisons choose whose report it is; residents go straight to the service."""
    draft = await ticket_reports.start(context.session, context.actor, now=context.now())
    if draft.step == R.WHO:
        await send(update, view.who(draft, context._))
    else:
        await send(update, view.ask_category(context._))
    return draft.step


@handler
async def who_chosen(update: Update, context: BotContext) -> str | None:
    """Their own home, or a household (then: which one?)."""
    own = _value(update, R.WHO) == "self"
    draft = await ticket_reports.for_whom(context.session, context.actor, own, now=context.now())
    if draft.step == R.HOUSEHOLD:
        await show(update, view.ask_household(context._))
    else:
        await show(update, view.ask_category(context._))
    return draft.step


@handler
async def household_named(update: Update, context: BotContext) -> str | None:
    """The household typed by the liaison, as staff type homes (1栋 1单元 101, 1-1-101)."""
    draft = await ticket_reports.file_for(
        context.session, context.actor, message_text(update), now=context.now()
    )
    await send(update, view.ask_category(context._))
    return draft.step


@handler
async def category_chosen(update: Update, context: BotContext) -> str | None:
    draft = await ticket_reports.set_category(
        context.session, context.actor, _value(update, R.CATEGORY), now=context.now()
    )
    await show(update, view.ask_urgent(context._))
    return draft.step


@handler
async def urgency_chosen(update: Update, context: BotContext) -> str | None:
    """Not urgent, or which emergency (then whom to call at once)."""
    chosen = await ticket_reports.set_urgent(
        context.session, context.actor, _value(update, R.URGENT), now=context.now()
    )
    first, *rest = view.urgency_chosen(chosen, context._)
    await show(update, first)
    if rest:
        await send(update, *rest)
    return chosen.draft.step


@handler
async def described(update: Update, context: BotContext) -> str | None:
    draft = await ticket_reports.describe(
        context.session, context.actor, message_text(update), now=context.now()
    )
    await send(update, view.ask_photos(context._))
    return draft.step


@handler
async def photo_added(update: Update, context: BotContext) -> str | None:
    """A photo, or one of an album (answered once, at its first photo); a caption is kept."""
    message = message_of(update)
    added = await ticket_reports.add_photo(
        context.session,
        context.actor,
        message.photo[-1].file_id,
        caption=message.caption,
        album=message.media_group_id,
        now=context.now(),
    )
    if added.answer:
        await send(update, view.photo_added(added.draft, context._))
    return added.draft.step


@handler
async def photos_done(update: Update, context: BotContext) -> str | None:
    """Done (or No photos): where is it?"""
    _value(update, R.PHOTOS)
    asked = await ticket_report_places.photos_done(
        context.session, context.actor, now=context.now()
    )
    question, location = view.ask_where(asked, context._)
    await show(update, question)
    await send(update, location)
    return asked.draft.step


@handler
async def where_chosen(update: Update, context: BotContext) -> str | None:
    """At home (then the summary), in a building (which one?) or a common area (which one?)."""
    session, actor, now = context.session, context.actor, context.now()
    value = _value(update, R.WHERE)
    if value == Where.HOME:
        return await _summary(
            update, context, await ticket_report_places.at_home(session, actor, now=now)
        )
    if value == Where.AREA:
        areas = await ticket_report_places.choose_area(session, actor, now=now)
        await show(update, view.ask_area(areas, context._))
        return R.AREA
    if value != Where.BUILDING:
        raise InvalidCallback(value)
    found = await ticket_report_places.choose_building(session, actor, now=now)
    await show(update, view.ask_building(found, context._))
    return R.BUILDING


@handler
async def place_written(update: Update, context: BotContext) -> str | None:
    """A place written instead of a button ("在大堂", "南门", "3栋楼下的花坛")."""
    found = await ticket_report_places.place_typed(
        context.session, context.actor, message_text(update), now=context.now()
    )
    return await _summary(update, context, found)


@handler
async def area_chosen(update: Update, context: BotContext) -> str | None:
    found = await ticket_report_places.in_area(
        context.session, context.actor, _record(update, R.AREA), now=context.now()
    )
    return await _summary(update, context, found)


@handler
async def location_shared(update: Update, context: BotContext) -> str | None:
    location = message_of(update).location
    assert location is not None
    found = await ticket_report_places.at_location(
        context.session, context.actor, location.latitude, location.longitude, now=context.now()
    )
    return await _summary(update, context, found)


@handler
async def building_chosen(update: Update, context: BotContext) -> str | None:
    chosen = await ticket_report_places.in_building(
        context.session, context.actor, _record(update, R.BUILDING), now=context.now()
    )
    if chosen.draft.step == R.UNIT:
        await show(update, view.ask_unit(chosen, context._))
    else:
        await show(update, view.ask_floor(chosen, context._))
    return chosen.draft.step


@handler
async def unit_chosen(update: Update, context: BotContext) -> str | None:
    """The unit (单元) of the building, or "not in one unit"; then the floor."""
    value = _value(update, R.UNIT)
    if value != view.NONE and not value.isdigit():
        raise InvalidCallback(value)
    index = None if value == view.NONE else int(value)
    chosen = await ticket_report_places.in_unit(
        context.session, context.actor, index, now=context.now()
    )
    await show(update, view.ask_floor(chosen, context._))
    return chosen.draft.step


@handler
async def floor_given(update: Update, context: BotContext) -> str | None:
    """The floor as a number, or "not on a floor"."""
    text = None
    if update.callback_query is not None:
        _value(update, R.FLOOR)
    else:
        text = message_text(update)
    found = await ticket_report_places.on_floor(
        context.session, context.actor, text, now=context.now()
    )
    return await _summary(update, context, found)


async def _summary(update: Update, context: BotContext, found: ReportSummary) -> str:
    await send(update, *view.summary(found, context._))
    return found.draft.step


@handler
async def summary_answer(update: Update, context: BotContext) -> str | int | None:
    """Send it, start over, or follow the same problem reported today instead."""
    value = _value(update, R.SUMMARY)
    session, actor, now = context.session, context.actor, context.now()
    if value.startswith(view.FOLLOW) and value.removeprefix(view.FOLLOW).isdigit():
        ticket_id = int(value.removeprefix(view.FOLLOW))
        followed = await ticket_reports.follow_instead(session, actor, ticket_id, now=now)
        await show(update, view.following(followed, context._))
        return ConversationHandler.END
    if value == view.RESTART:
        draft = await ticket_reports.start_over(session, actor, now=now)
        await show(update, view.ask_category(context._))
        return draft.step
    if value != view.SEND:
        raise InvalidCallback(value)
    submitted = await ticket_reports.submit(session, actor, now=now)
    await show(update, view.submitted(submitted, context._))
    return ConversationHandler.END


@handler
async def need_text(update: Update, context: BotContext) -> None:
    await send(update, ticket_view.need_text(context._))


@handler
async def need_photo(update: Update, context: BotContext) -> None:
    await send(update, view.need_photo(context._))


@handler
async def need_where(update: Update, context: BotContext) -> None:
    await send(update, view.need_where(context._))


def register(app: Application) -> None:
    add_commands(
        MenuCommand(
            "report",
            N_("Report an issue"),
            (Permission.TICKET_REPORT, Permission.TICKET_FILE_FOR),
            order=10,
        )
    )
    text = filters.TEXT & ~filters.COMMAND
    buttons_only = MessageHandler(~filters.COMMAND, use_the_buttons)

    def choice(callback: HandlerFn) -> BaseHandler:
        """Every answer button of /report is a ReportChoice (its step is checked on use)."""
        return CallbackQueryHandler(callback, pattern=view.ReportChoice.pattern())

    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("report", start_report)],
            states={
                R.WHO: [choice(who_chosen), buttons_only],
                R.HOUSEHOLD: [
                    MessageHandler(text, household_named),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                R.CATEGORY: [choice(category_chosen), buttons_only],
                R.URGENT: [choice(urgency_chosen), buttons_only],
                R.DESCRIBE: [
                    MessageHandler(text, described),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                R.PHOTOS: [
                    MessageHandler(filters.PHOTO, photo_added),
                    choice(photos_done),
                    MessageHandler(~filters.COMMAND, need_photo),
                ],
                R.WHERE: [
                    choice(where_chosen),
                    MessageHandler(filters.LOCATION, location_shared),
                    MessageHandler(text, place_written),
                    MessageHandler(~filters.COMMAND, need_where),
                ],
                R.BUILDING: [choice(building_chosen), buttons_only],
                R.UNIT: [choice(unit_chosen), buttons_only],
                R.AREA: [
                    choice(area_chosen),
                    MessageHandler(text, place_written),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                R.FLOOR: [
                    choice(floor_given),
                    MessageHandler(text, floor_given),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                R.SUMMARY: [choice(summary_answer), buttons_only],
            },
            fallbacks=conversation_fallbacks(),
            name="report",
            persistent=True,
        )
    )
