"""Following tickets: /mytickets for residents, /tickets for staff, and every button on a ticket
(with the answers some of them ask for: a reason, a note, the after-photo, a comment, a question
and its answer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

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
)
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import (
    ticket_dispatch,
    ticket_followups,
    ticket_inputs,
    ticket_queue,
    ticket_reading,
    tickets,
)
from services.policy import Permission
from services.ticket_inputs import InputStep
from services.ticket_reading import TicketCard
from services.ticket_rules import FollowUp, TicketAction
from views import ticket_alerts as alert_view
from views import ticket_followups as followup_view
from views import ticket_queue as queue_view
from views import tickets as view
from views.callbacks import InvalidCallback

# Reject, notes, done, reopen, a comment, a question and its answer: the next message answers.
ASKS = {s.value for s in InputStep if s != InputStep.COMMENT}
CANCEL = TicketAction.CANCEL.value  # asks "are you sure?" first
MOVES = {a.value for a in TicketAction} - ASKS - {CANCEL}  # the others move the ticket at once
END = ConversationHandler.END


@handler
async def my_tickets(update: Update, context: BotContext) -> None:
    """/mytickets: the household's tickets with their status."""
    found = await ticket_reading.my_tickets(context.session, context.actor)
    await send(update, queue_view.my_tickets(found, context._))


@handler
async def staff_queue(update: Update, context: BotContext) -> None:
    """/tickets [mine|unassigned|overdue|urgent|2栋|绿化 …]: open tickets of the staff member's
    compounds, filtered, counted and paged."""
    session, actor = context.session, context.actor
    chosen = await ticket_queue.parse_filter(session, actor, list(context.args or []))
    found = await ticket_queue.queue(session, actor, chosen, now=context.now())
    await send(update, queue_view.staff_queue(found, context._))


@handler
async def queue_page(update: Update, context: BotContext) -> None:
    """‹ › and the filter buttons of the queue: the page, in place of the pressed one."""
    data = queue_view.QueueButton.parse(callback_data(update))
    session, actor = context.session, context.actor
    chosen = await ticket_queue.filter_from_key(session, actor, data.filter)
    found = await ticket_queue.queue(session, actor, chosen, now=context.now(), page=data.page)
    await show(update, queue_view.staff_queue(found, context._))


@handler
async def ticket_button(update: Update, context: BotContext) -> str | int | None:
    """Every button on a ticket card (and on the questions it asks)."""
    data = view.TicketButton.parse(callback_data(update))
    session, actor, now, _ = context.session, context.actor, context.now(), context._
    tz = context.runtime.settings.tz
    if data.action == "view":
        opened = await ticket_reading.card(session, actor, data.ticket_id, now=now)
        await send(update, view.ticket_card(opened, _, tz))
    elif data.action == FollowUp.PHOTOS:
        ticket, photos = await ticket_reading.photo_ids(session, actor, data.ticket_id)
        await send(update, followup_view.ticket_photos(ticket, photos, _))
    elif data.action == FollowUp.URGE:
        urged = await ticket_followups.urge(session, actor, data.ticket_id, now=now)
        await send(update, followup_view.urged(urged, _))
    elif data.action == CANCEL:
        ticket = await tickets.may_cancel(session, actor, data.ticket_id)
        await show(update, followup_view.confirm_cancel(ticket, _))
    elif data.action == "cancel_no":
        still = await ticket_reading.card(session, actor, data.ticket_id, now=now)
        await show(update, view.ticket_card(still, _, tz))
    elif data.action == "history":
        found = await ticket_reading.history(session, actor, data.ticket_id)
        await send(update, view.ticket_history(found, _, tz))
    elif data.action in ASKS:
        asked = await tickets.ask(session, actor, data.ticket_id, data.action, now=now)
        await send(update, view.ask_input(asked, _))
        return asked.step
    elif data.action in MOVES or data.action == "cancel_yes":
        move = CANCEL if data.action == "cancel_yes" else data.action
        card = await tickets.act(session, actor, data.ticket_id, move, now=now)
        await show(update, view.ticket_card(card, _, tz))
        if data.action == TicketAction.CONFIRM:
            await send(update, view.ask_rating(card.ticket, _))
    elif data.action == "map":
        ticket, place = await ticket_reading.place_on_map(session, actor, data.ticket_id)
        await send(update, view.ticket_map(ticket, place, _))
    elif data.action == "assign":
        ticket, people = await tickets.colleagues(session, actor, data.ticket_id)
        await send(update, view.assign_to(ticket, people, _))
    elif data.action == "skip":
        card = await tickets.finish_work(
            session, actor, photo=None, ticket_id=data.ticket_id, now=now
        )
        await send(update, view.ticket_card(card, _, tz))
    elif data.action == "nocomment":
        kept = await tickets.comment(session, actor, None, ticket_id=data.ticket_id)
        await show(update, view.commented(kept, _))
    else:
        raise InvalidCallback(data.action)
    return END


async def _card_sent(update: Update, context: BotContext, card: TicketCard) -> int:
    """The ticket's card after the answer, sent as a new message; the answer is done."""
    await send(update, view.ticket_card(card, context._, context.runtime.settings.tz))
    return END


@handler
async def reason_given(update: Update, context: BotContext) -> int:
    """The reason for rejecting: the ticket is rejected and the resident told."""
    card = await tickets.reject(
        context.session, context.actor, message_text(update), now=context.now()
    )
    return await _card_sent(update, context, card)


async def _note(update: Update, context: BotContext, step: InputStep) -> int:
    card = await ticket_inputs.note(
        context.session, context.actor, step, message_text(update), now=context.now()
    )
    return await _card_sent(update, context, card)


@handler
async def public_note(update: Update, context: BotContext) -> int:
    """A note the resident is sent."""
    return await _note(update, context, InputStep.NOTE_PUBLIC)


@handler
async def internal_note(update: Update, context: BotContext) -> int:
    """A note only staff see."""
    return await _note(update, context, InputStep.NOTE_INTERNAL)


@handler
async def template_picked(update: Update, context: BotContext) -> str | int:
    """A response template for the note: sent, or to be completed by the next message."""
    data = view.TemplatePick.parse(callback_data(update))
    result = await ticket_inputs.pick_template(
        context.session, context.actor, data.ticket_id, data.number, now=context.now()
    )
    if isinstance(result, ticket_inputs.Asked):
        await show(update, view.ask_input(result, context._))
        return result.step
    return await _card_sent(update, context, result)


@handler
async def after_photo(update: Update, context: BotContext) -> int:
    """The photo of the fixed state (its caption a note): the ticket is done and the resident
    is sent the photo and asked to confirm."""
    message = message_of(update)
    card = await tickets.finish_work(
        context.session,
        context.actor,
        photo=message.photo[-1].file_id,
        caption=message.caption,
        now=context.now(),
    )
    return await _card_sent(update, context, card)


async def _text_or_photo(
    update: Update, context: BotContext, use_case: Callable[..., Awaitable[TicketCard]]
) -> int:
    """A resident's answer of words or a photo (its caption the words), given to the use case."""
    message = message_of(update)
    photo = message.photo[-1].file_id if message.photo else None
    text = ticket_inputs.said(message.text, message.caption)
    card = await use_case(context.session, context.actor, text, photo=photo, now=context.now())
    return await _card_sent(update, context, card)


@handler
async def reopen_reason(update: Update, context: BotContext) -> int:
    """Why the fix is not good: the ticket is reopened and whoever handles it is told."""
    return await _text_or_photo(update, context, tickets.reopen)


@handler
async def remark_given(update: Update, context: BotContext) -> int:
    """A resident's comment or photo on an open ticket; whoever handles it is told."""
    return await _text_or_photo(update, context, ticket_followups.remark)


@handler
async def question_given(update: Update, context: BotContext) -> int:
    """Staff's question for the resident (need more information)."""
    card = await ticket_followups.question(
        context.session, context.actor, message_text(update), now=context.now()
    )
    return await _card_sent(update, context, card)


@handler
async def answer_given(update: Update, context: BotContext) -> int:
    """The resident's answer to staff's question; the staff member who asked is told."""
    return await _text_or_photo(update, context, ticket_followups.answer)


@handler
async def rated(update: Update, context: BotContext) -> str | None:
    """Stars for a confirmed fix; a comment may follow."""
    data = view.RateTicket.parse(callback_data(update))
    asked = await tickets.rate(
        context.session, context.actor, data.ticket_id, data.stars, now=context.now()
    )
    await show(update, view.rated(asked, context._))
    return asked.step


@handler
async def comment_given(update: Update, context: BotContext) -> int:
    kept = await tickets.comment(context.session, context.actor, message_text(update))
    await send(update, view.commented(kept, context._))
    return END


@handler
async def assigned(update: Update, context: BotContext) -> None:
    """A colleague chosen: the ticket is assigned and the resident told."""
    data = view.AssignTo.parse(callback_data(update))
    ticket = await tickets.assign(
        context.session, context.actor, data.ticket_id, data.resident_id, now=context.now()
    )
    await show(update, view.assigned(ticket, context._))


@handler
async def taken(update: Update, context: BotContext) -> None:
    """ "Take it" (抢单) on an alert: the first to press it has the ticket; later ones are told
    who has it."""
    data = view.TakeTicket.parse(callback_data(update))
    found = await ticket_dispatch.take(
        context.session, context.actor, data.ticket_id, now=context.now()
    )
    await show(update, alert_view.ticket_taken(found, context._))


@handler
async def need_text(update: Update, context: BotContext) -> None:
    await send(update, view.need_text(context._))


@handler
async def need_photo(update: Update, context: BotContext) -> None:
    await send(update, view.need_photo_or_skip(context._))


@handler
async def need_text_or_photo(update: Update, context: BotContext) -> None:
    await send(update, view.need_text_or_photo(context._))


def register(app: Application) -> None:
    add_commands(
        MenuCommand(
            "mytickets",
            N_("My reported issues"),
            (Permission.TICKET_REPORT, Permission.TICKET_FILE_FOR),
            order=11,
        ),
        MenuCommand("tickets", N_("Open tickets of my compound"), Permission.TICKET_WORK, order=12),
    )
    text = filters.TEXT & ~filters.COMMAND
    pressed = CallbackQueryHandler(ticket_button, pattern=view.TicketButton.pattern())

    def typed(callback: HandlerFn) -> list[BaseHandler]:
        """A typed answer; a button on a card is still a button, anything else is refused."""
        return [
            pressed,
            MessageHandler(text, callback),
            MessageHandler(~filters.COMMAND, need_text),
        ]

    def said(callback: HandlerFn) -> list[BaseHandler]:
        """Text, or a photo with or without a caption."""
        return [
            pressed,
            MessageHandler(text | filters.PHOTO, callback),
            MessageHandler(~filters.COMMAND, need_text_or_photo),
        ]

    app.add_handler(
        ConversationHandler(
            entry_points=[pressed, CallbackQueryHandler(rated, pattern=view.RateTicket.pattern())],
            states={
                InputStep.REJECT: typed(reason_given),
                InputStep.NOTE_PUBLIC: [
                    CallbackQueryHandler(template_picked, pattern=view.TemplatePick.pattern()),
                    *typed(public_note),
                ],
                InputStep.NOTE_INTERNAL: typed(internal_note),
                InputStep.COMMENT: typed(comment_given),
                InputStep.QUESTION: typed(question_given),
                InputStep.REOPEN: said(reopen_reason),
                InputStep.REMARK: said(remark_given),
                InputStep.ANSWER: said(answer_given),
                InputStep.AFTER_PHOTO: [
                    pressed,
                    MessageHandler(filters.PHOTO, after_photo),
                    MessageHandler(~filters.COMMAND, need_photo),
                ],
            },
            fallbacks=conversation_fallbacks(),
            name="ticket-input",
            persistent=True,
        )
    )
    app.add_handler(CommandHandler("mytickets", my_tickets))
    app.add_handler(CommandHandler("tickets", staff_queue))
    app.add_handler(CallbackQueryHandler(queue_page, pattern=queue_view.QueueButton.pattern()))
    app.add_handler(CallbackQueryHandler(assigned, pattern=view.AssignTo.pattern()))
    app.add_handler(CallbackQueryHandler(taken, pattern=view.TakeTicket.pattern()))
