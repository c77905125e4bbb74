"""Following tickets: /mytickets for residents, /tickets for staff, and every button on a ticket."""

from __future__ import annotations

import dataclasses

from telegram import InlineKeyboardMarkup, Update
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
from handlers.common import buttons, edit_or_reply, handler, reply
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands, registered, with_role
from models import OPEN_STATUSES, Ticket, TicketCategory, TicketStatus
from services import pending, tickets
from services.outbox import quiet_hours
from views.callbacks import CallbackData, InvalidCallback
from views.tickets import TicketButton, event_payload, staff_alert_payload, status_text, ticket_card

INPUT = 0
NEEDS_INPUT = {"reject", "note_pub", "note_int", "done"}


@dataclasses.dataclass(frozen=True)
class AssignTo(CallbackData, kind="ta"):
    ticket_id: int
    resident_id: int


@dataclasses.dataclass(frozen=True)
class RateTicket(CallbackData, kind="tr"):
    ticket_id: int
    stars: int


def _actions(
    ticket: Ticket, _: Translator, *, staff: bool, reporter: bool
) -> InlineKeyboardMarkup | None:
    b = lambda label, action: (label, TicketButton(action, ticket.id).pack())  # noqa: E731
    rows: list[list[tuple[str, str]]] = []
    status = TicketStatus(ticket.status)
    if staff and status in OPEN_STATUSES:
        first = []
        if status in (TicketStatus.NEW, TicketStatus.REOPENED):
            first.append(b(_("Acknowledge"), "acknowledge"))
        if status != TicketStatus.IN_PROGRESS:
            first.append(b(_("Start work"), "start"))
        if status != TicketStatus.NEW:
            first.append(b(_("Done"), "done"))
        rows.append(first)
        rows.append(
            [
                b(_("Assign"), "assign"),
                b(_("Note to resident"), "note_pub"),
                b(_("Internal note"), "note_int"),
            ]
        )
        rows.append([b(_("Reject"), "reject")])
    if reporter:
        if status == TicketStatus.DONE:
            rows.append([b(_("Fixed, confirm"), "confirm"), b(_("Not fixed, reopen"), "reopen")])
        if status in (TicketStatus.NEW, TicketStatus.ACKNOWLEDGED):
            rows.append([b(_("Cancel my report"), "cancel")])
    rows.append([b(_("History"), "history")])
    return buttons(rows)


async def _show(update: Update, context: BotContext, ticket: Ticket, *, edit: bool = False) -> None:
    _ = context._
    session, actor = context.session, context.actor
    compound, building = await tickets.place_names(session, ticket)
    household = await tickets.household_of(session, ticket.household_id)
    place = " ".join(p for p in (compound, building, household.room if household else None) if p)
    if ticket.floor is not None:
        place += _(", floor {floor}").format(floor=ticket.floor)
    if ticket.latitude is not None:
        place += f" ({ticket.latitude:.5f}, {ticket.longitude:.5f})"
    photos = await tickets.photos(session, ticket.id)
    text = ticket_card(
        ticket, _, context.runtime.settings.tz, place=place, photos=len(photos),
        followers=await tickets.follower_count(session, ticket.id),
    )  # fmt: skip
    staff, reporter = await tickets.viewer(session, actor, ticket)
    markup = _actions(ticket, _, staff=staff, reporter=reporter)
    if edit:
        await edit_or_reply(update, text, reply_markup=markup)
    else:
        await reply(update, text, reply_markup=markup)


@handler
async def my_tickets(update: Update, context: BotContext) -> None:
    """/mytickets: the household's tickets with their status."""
    _ = context._
    found = await tickets.my_tickets(context.session, context.actor)
    if not found:
        await reply(update, _("You have no tickets yet. Send /report to report an issue."))
        return
    rows = [
        [
            (
                f"#{t.id} · {status_text(t.status, _)} · {t.description[:20]}",
                TicketButton("view", t.id).pack(),
            )
        ]
        for t in found
    ]
    await reply(update, _("<b>Your tickets</b> (tap one for details)"), reply_markup=buttons(rows))


@handler
async def staff_queue(update: Update, context: BotContext) -> None:
    """/tickets [urgent|category]: open tickets of the staff member's compounds, urgent and oldest first."""
    _ = context._
    argument = (context.args[0] if context.args else "").lower()
    category = argument if argument in {c.value for c in TicketCategory} else None
    found = await tickets.open_tickets(
        context.session, context.actor, category=category, urgent_only=argument == "urgent"
    )
    if not found:
        await reply(
            update,
            _("No open tickets. Filters: /tickets urgent, /tickets repair, /tickets cleaning ..."),
        )
        return
    rows = [
        [
            (
                ("⚠️ " if t.urgent else "")
                + f"#{t.id} · {status_text(t.status, _)} · {t.description[:18]}",
                TicketButton("view", t.id).pack(),
            )
        ]
        for t in found
    ]
    await reply(
        update,
        _("<b>Open tickets</b>: {count} (urgent first, then oldest)").format(count=len(found)),
        reply_markup=buttons(rows),
    )


async def _notify(context: BotContext, change: tickets.Change) -> None:
    await tickets.notify(
        context.session, change, now=context.now(), quiet=quiet_hours(context.runtime.settings), render=event_payload,
        exclude=context.actor.resident_id,
    )  # fmt: skip


@handler
async def ticket_button(update: Update, context: BotContext) -> int | None:
    """Every button on a ticket card."""
    data = TicketButton.parse(update.callback_query.data)
    _ = context._
    session, actor, now = context.session, context.actor, context.now()
    if data.action == "view":
        await _show(update, context, await tickets.visible_ticket(session, actor, data.ticket_id))
        return ConversationHandler.END
    if data.action == "history":
        ticket = await tickets.visible_ticket(session, actor, data.ticket_id)
        lines = [_("<b>History of ticket #{id}</b>").format(id=ticket.id)]
        tz = context.runtime.settings.tz
        for event in await tickets.history(session, actor, ticket):
            label = status_text(event.to_status, _) if event.to_status else _("note")
            note = f": {event.note}" if event.note else ""
            hidden = "" if event.visible else _(" (internal)")
            lines.append(f"{_.datetime(event.at, tz, 'short')} · {label}{hidden}{note}")
        await reply(update, "\n".join(lines))
        return ConversationHandler.END
    if data.action in ("acknowledge", "start", "confirm", "reopen", "cancel"):
        change = await tickets.act(session, actor, data.ticket_id, data.action, now=now)
        await _notify(context, change)
        if data.action == "reopen":
            await tickets.alert(session, change.ticket, level=0, now=now, quiet=quiet_hours(context.runtime.settings),
                                render=staff_alert_payload, key=f"reopen-{change.event.id}")  # fmt: skip
        await _show(update, context, change.ticket, edit=True)
        if data.action == "confirm":
            stars = [[(str(n) + "★", RateTicket(change.ticket.id, n).pack()) for n in range(1, 6)]]
            await reply(
                update,
                _("Thank you! How satisfied are you with the fix?"),
                reply_markup=buttons(stars),
            )
        return ConversationHandler.END
    if data.action == "assign":
        people = await tickets.colleagues(session, actor, data.ticket_id)
        rows = [
            [(p.display_name or str(p.id), AssignTo(data.ticket_id, p.id).pack())]
            for p in people[:20]
        ]
        await reply(
            update,
            _("Assign ticket #{id} to:").format(id=data.ticket_id),
            reply_markup=buttons(rows),
        )
        return ConversationHandler.END
    if data.action in NEEDS_INPUT:
        ticket = await tickets.require_staff(
            session, actor, data.ticket_id, "done" if data.action == "done" else None
        )
        await pending.expect(session, actor, data.action, ticket.id, now=now)
        prompts = {
            "reject": _(
                "Why is ticket #{id} rejected? Send the reason (the resident will see it)."
            ),
            "note_pub": _("Send the note for ticket #{id}; the resident will see it."),
            "note_int": _("Send the internal note for ticket #{id}; only staff will see it."),
            "done": _("Send a photo of the fixed state for ticket #{id}, or tap Skip."),
        }
        markup = (
            buttons([[(_("Skip"), TicketButton("skip", ticket.id).pack())]])
            if data.action == "done"
            else None
        )
        await reply(
            update,
            prompts[data.action].format(id=ticket.id) + " " + _("/cancel to stop."),
            reply_markup=markup,
        )
        return INPUT
    if data.action == "skip":
        await pending.take(session, actor, "done")
        change = await tickets.act(session, actor, data.ticket_id, "done", now=now)
        await _notify(context, change)
        await _show(update, context, change.ticket)
        return ConversationHandler.END
    raise InvalidCallback(update.callback_query.data)


@handler
async def input_received(update: Update, context: BotContext) -> int | None:
    """The reason, note or after-photo a button asked for."""
    _ = context._
    session, actor, now = context.session, context.actor, context.now()
    message = update.effective_message
    row = await pending.current(session, actor)
    if row.purpose == "done":
        if not message.photo:
            await reply(update, _("Please send a photo, or tap Skip."))
            return INPUT
        await pending.take(session, actor, "done")
        await tickets.add_after_photo(
            session, actor, row.ref_id, message.photo[-1].file_id, now=now
        )
        change = await tickets.act(session, actor, row.ref_id, "done", now=now)
    elif not message.text:
        await reply(update, _("Please answer with text, or send /cancel to stop."))
        return INPUT
    elif row.purpose == "reject":
        await pending.take(session, actor, "reject")
        change = await tickets.act(
            session, actor, row.ref_id, "reject", now=now, reason=message.text
        )
    elif row.purpose == "comment":
        await pending.take(session, actor, "comment")
        await tickets.comment(session, actor, row.ref_id, message.text)
        await reply(update, _("Thank you for your comment."))
        return ConversationHandler.END
    else:
        await pending.take(session, actor, row.purpose)
        change = await tickets.add_note(
            session, actor, row.ref_id, message.text, visible=row.purpose == "note_pub", now=now
        )
    await _notify(context, change)
    await _show(update, context, change.ticket)
    return ConversationHandler.END


@handler
async def assigned(update: Update, context: BotContext) -> None:
    data = AssignTo.parse(update.callback_query.data)
    change = await tickets.assign(
        context.session, context.actor, data.ticket_id, data.resident_id, now=context.now()
    )
    await _notify(context, change)
    await edit_or_reply(update, context._("Ticket #{id} is assigned.").format(id=data.ticket_id))


@handler
async def rated(update: Update, context: BotContext) -> int | None:
    data = RateTicket.parse(update.callback_query.data)
    ticket = await tickets.rate(
        context.session, context.actor, data.ticket_id, data.stars, now=context.now()
    )
    await pending.expect(context.session, context.actor, "comment", ticket.id, now=context.now())
    _ = context._
    await edit_or_reply(
        update,
        _(
            "Thank you for rating {stars}. Would you like to add a comment? Send it, or tap No comment."
        ).format(stars="★" * data.stars),
        reply_markup=buttons([[(_("No comment"), TicketButton("nocomment", ticket.id).pack())]]),
    )
    return INPUT


@handler
async def no_comment(update: Update, context: BotContext) -> int:
    await pending.take(context.session, context.actor, "comment")
    await edit_or_reply(update, context._("Thank you for your feedback."))
    return ConversationHandler.END


def register(app: Application) -> None:
    add_commands(
        MenuCommand("mytickets", N_("My reported issues"), registered, order=11),
        MenuCommand(
            "tickets", N_("Open tickets of my compound"), with_role(*tickets.STAFF_ROLES), order=12
        ),
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[
                CallbackQueryHandler(ticket_button, pattern=TicketButton.pattern()),
                CallbackQueryHandler(rated, pattern=RateTicket.pattern()),
            ],
            states={
                INPUT: [
                    CallbackQueryHandler(no_comment, pattern=r"^v1:tk:nocomment:"),
                    CallbackQueryHandler(ticket_button, pattern=TicketButton.pattern()),
                    MessageHandler(~filters.COMMAND, input_received),
                ]
            },
            fallbacks=conversation_fallbacks(),
            name="ticket-input",
            persistent=True,
        )
    )
    app.add_handler(CommandHandler("mytickets", my_tickets))
    app.add_handler(CommandHandler("tickets", staff_queue))
    app.add_handler(CallbackQueryHandler(assigned, pattern=AssignTo.pattern()))
