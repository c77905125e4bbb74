"""How a ticket's follow-ups look: its photos as an album, the cancel confirmation, an urge's
answer, and the messages about a resident's reopening, cancellation, comment, urge (催单) or
answer (to staff), an assignment (to the colleague), about staff's question (to the resident)
and the second rating offer."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Msg, Translator, html, join
from core.screen import Screen, button, keyboard
from models import Ticket, TicketEvent
from services import ticket_notices as kinds
from services.notify import renders
from services.ticket_followups import Urged
from views.tickets import RateTicket, TicketButton, bold, category_text


def ticket_photos(ticket: Ticket, photos: list[str], _: Translator) -> Screen:
    """The ticket's photos, sent together (the report's first, then later ones)."""
    if not photos:
        return Screen(_("Ticket #{id} has no photos.").format(id=ticket.id))
    caption = _.ngettext(
        "Ticket #{id}: {count} photo", "Ticket #{id}: {count} photos", len(photos)
    ).format(id=ticket.id, count=_.number(len(photos)))
    return Screen(caption, album=tuple(photos))


def confirm_cancel(ticket: Ticket, _: Translator) -> Screen:
    ticket_id = ticket.id or 0
    return Screen(
        _("Cancel your ticket #{id}? The property staff will be told.").format(id=ticket.id),
        keyboard(
            [
                button(_("Yes, cancel"), TicketButton("cancel_yes", ticket_id)),
                button(_("No, keep it"), TicketButton("cancel_no", ticket_id)),
            ]
        ),
    )


def urged(found: Urged, _: Translator) -> Screen:
    return Screen(
        _("You urged ticket #{id}; the property staff have been told.").format(id=found.ticket.id)
    )


def _about(ticket: Ticket, _: Translator) -> Markup:
    return join(
        [category_text(ticket.category, _), html("{text}", text=ticket.description[:200])], " · "
    )


def _said(event: TicketEvent, _: Translator) -> Markup:
    return html("{note}", note=event.note) if event.note else _("(a photo)")


def _photo(event: TicketEvent) -> str | None:
    photo = event.data.get("photo") if isinstance(event.data, dict) else None
    return photo if isinstance(photo, str) and photo else None


def _for_staff(head: Msg, ticket: Ticket, event: TicketEvent, _: Translator) -> Screen:
    """A resident's follow-up for whoever handles the ticket: the head (with the resident's
    words, when it has a place for them), the ticket, Open ticket, and the photo sent."""
    said = _said(event, _)
    title = _(head).format(id=ticket.id, reason=said, note=said, answer=said)
    return Screen(
        join([bold(title), _about(ticket, _)]),
        keyboard([button(_("Open ticket"), TicketButton("view", ticket.id or 0))]),
        photo=_photo(event),
    )


@renders(kinds.REOPENED)
def ticket_reopened(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    head = N_("Ticket #{id} was reopened by the resident: {reason}")
    return _for_staff(head, ticket, event, _)


@renders(kinds.CANCELLED)
def ticket_cancelled(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    return _for_staff(N_("Ticket #{id} was cancelled by the resident."), ticket, event, _)


@renders(kinds.REMARK)
def ticket_remark(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    head = N_("A comment from the resident on ticket #{id}: {note}")
    return _for_staff(head, ticket, event, _)


@renders(kinds.URGED)
def ticket_urged(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    head = N_("The resident urges ticket #{id} (催单): it is past its handling time.")
    return _for_staff(head, ticket, event, _)


@renders(kinds.ANSWER)
def ticket_answer(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    head = N_("The resident answered your question on ticket #{id}: {answer}")
    return _for_staff(head, ticket, event, _)


@renders(kinds.ASSIGNED)
def ticket_assigned(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    """To the colleague a ticket was assigned to (in the bot or the office console)."""
    return _for_staff(N_("Ticket #{id} has been assigned to you."), ticket, event, _)


@renders(kinds.QUESTION)
def ticket_question(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    """To the resident: the staff's question, with Reply."""
    text = _(
        "About your ticket #{id}, the property staff need more information: {question}"
    ).format(id=ticket.id, question=event.note or "")
    return Screen(
        join([text, _("Tap Reply to answer.")]),
        keyboard([button(_("Reply"), TicketButton("answer", ticket.id or 0))]),
    )


@renders(kinds.RATE_AGAIN)
def ticket_rate_again(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    """To the reporter, a day after the fix confirmed itself."""
    choices = [button(f"{n}★", RateTicket(ticket.id or 0, n)) for n in range(1, 6)]
    return Screen(
        _(
            "Your ticket #{id} was confirmed automatically. How satisfied are you with the fix?"
        ).format(id=ticket.id),
        keyboard(choices),
    )
