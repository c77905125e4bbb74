"""The ticket messages sent through the outbox (services.notify): the alert to staff, a
neighbour's follow, a change told to the reporter, the escalation digest; and the answer to
"Take it"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Translator, html, join
from core.screen import Screen, button, keyboard
from models import Ticket, TicketEvent, pk
from services.notify import renders
from services.ticket_alerts import ALERT, CHANGED, DIGEST, FOLLOWED, Level, Overdue
from services.ticket_dispatch import Taken
from services.ticket_reading import TicketPlace
from services.ticket_rules import TicketAction
from views.emergencies import urgent_head
from views.tickets import (
    TakeTicket,
    TicketButton,
    bold,
    category_text,
    map_button,
    overdue_text,
    place_text,
    status_text,
)

EVENT_TEXT = {
    "acknowledge": N_("Your ticket #{id} has been received by the property staff."),
    "start": N_("Work has started on your ticket #{id}."),
    "done": N_(
        "Your ticket #{id} is marked as done. Please check and confirm, or reopen it if the problem remains."
    ),
    "reject": N_("Your ticket #{id} was not accepted. Reason: {reason}"),
    "note": N_("A note on your ticket #{id}: {note}"),
    "auto_confirm": N_(
        "Your ticket #{id} was confirmed automatically because it was not reopened in time."
    ),
    "assign": N_("Your ticket #{id} has been assigned to a staff member."),
}


@renders(ALERT)
def ticket_alert(
    _: Translator,
    *,
    tz: ZoneInfo,
    ticket: Ticket,
    level: int,
    place: TicketPlace,
    offer: bool = False,
    repeat: int = 0,
) -> Screen:
    """A new or reopened ticket for staff (and the liaison, when urgent), again while nobody
    acknowledges an urgent one; an overdue one for the liaison, then the quality supervisor.
    An offered ticket (抢单) carries "Take it"."""
    if level == Level.NEW and ticket.urgent:
        head = urgent_head(ticket.urgent_kind, ticket.id, _)
    elif level == Level.NEW:
        head = _("New ticket #{id}")
    elif level == Level.OVERDUE:
        head = _("Overdue ticket #{id}: not handled within the service level")
    else:
        head = _("Still overdue ticket #{id}: escalated to the quality supervisor")
    lines = [
        bold(head.format(id=ticket.id)),
        category_text(ticket.category, _),
        _("Where: {place}").format(place=place_text(place, _)),
        html("{text}", text=ticket.description[:300]),
    ]
    if repeat:
        lines.append(
            _("⏰ Not acknowledged yet: reported at {when}. Please acknowledge it.").format(
                when=_.datetime(ticket.created_at, tz)
            )
        )
    rows = [
        [button(_("Open ticket"), TicketButton("view", ticket.id or 0))],
        map_button(place, ticket, _),
    ]
    if offer:
        rows.insert(0, [button(_("Take it (接单)"), TakeTicket(ticket.id or 0))])
    return Screen(join(lines), keyboard(*rows))


@renders(FOLLOWED)
def ticket_followed(
    _: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent, place: TicketPlace
) -> Screen:
    """A neighbour followed an urgent ticket: their own words, for whoever the ticket alerts."""
    text = join(
        [
            bold(urgent_head(ticket.urgent_kind, ticket.id, _)),
            _("Where: {place}").format(place=place_text(place, _)),
            _("Another resident reports the same: {text}").format(text=(event.note or "")[:300]),
        ]
    )
    return Screen(
        text,
        keyboard(
            [button(_("Open ticket"), TicketButton("view", ticket.id or 0))],
            map_button(place, ticket, _),
        ),
    )


def ticket_taken(taken: Taken, _: Translator) -> Screen:
    """The staff member who pressed "Take it" has the ticket."""
    ticket = taken.ticket
    text = (
        _("You have taken ticket #{id}; it is assigned to you.")
        if taken.now_taken
        else _("Ticket #{id} is already yours.")
    )
    return Screen(
        text.format(id=ticket.id),
        keyboard([button(_("Open ticket"), TicketButton("view", ticket.id or 0))]),
    )


@renders(CHANGED)
def ticket_changed(_: Translator, *, tz: ZoneInfo, ticket: Ticket, event: TicketEvent) -> Screen:
    """What the reporter, the filer and the followers are told about a visible change."""
    msgid = EVENT_TEXT.get(event.kind)
    if msgid is None:
        text = _("Your ticket #{id} is now {status}.").format(
            id=ticket.id, status=status_text(ticket.status, _)
        )
    else:
        text = _(msgid).format(id=ticket.id, reason=event.note or "", note=event.note or "")
    if event.kind != TicketAction.DONE:
        return Screen(text)
    ticket_id = ticket.id or 0
    photo = event.data.get("photo") if isinstance(event.data, dict) else None
    return Screen(
        text,
        keyboard(
            [
                button(_("Fixed, confirm"), TicketButton("confirm", ticket_id)),
                button(_("Not fixed, reopen"), TicketButton("reopen", ticket_id)),
            ]
        ),
        photo=photo if isinstance(photo, str) and photo else None,
    )


DIGEST_LISTED = 10  # tickets listed (each with a button) in one digest; the rest are counted


@renders(DIGEST)
def ticket_digest(
    _: Translator, *, tz: ZoneInfo, entries: list[Overdue], at: datetime, queue: bool
) -> Screen:
    """The tickets one escalation run escalated, for one person: urgent first, then the most
    late; each with how late it is and a button to open it (`queue`: they have /tickets)."""
    head = _.ngettext(
        "⏰ {count} ticket is overdue",
        "⏰ {count} tickets are overdue",
        len(entries),
    ).format(count=_.number(len(entries)))
    lines = [bold(head)]
    for entry in entries[:DIGEST_LISTED]:
        ticket = entry.ticket
        parts = [
            html("#{id}", id=ticket.id),
            category_text(ticket.category, _),
            join([p for p in (entry.place.compound, entry.place.building) if p], " "),
            overdue_text(entry.due, at, _),
        ]
        line = join(parts, " · ")
        if ticket.urgent:
            line = _("⚠️ Urgent") + Markup(" ") + line
        if entry.level >= Level.SUPERVISOR:
            line += Markup(" · ") + _("escalated to the quality supervisor")
        lines.append(line)
        lines.append(html("   {text}", text=ticket.description[:60]))
    more = len(entries) - DIGEST_LISTED
    if more > 0:
        lines.append(
            (
                _("… and {count} more: /tickets overdue")
                if queue
                else _("… and {count} more (the property staff have the full list).")
            ).format(count=_.number(more))
        )
    rows = [
        [button(_("Open ticket #{id}").format(id=e.ticket.id), TicketButton("view", pk(e.ticket)))]
        for e in entries[:DIGEST_LISTED]
    ]
    return Screen(join(lines), keyboard(*rows))
