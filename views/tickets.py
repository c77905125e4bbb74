"""How tickets look: the card with the viewer's buttons, its history, /mytickets and the staff
queue, the questions a button asks, and the messages staff and residents are sent."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Msg, Translator, html, join, plain
from core.screen import EMPTY, Button, Screen, Venue, button, keyboard
from models import PlaceKind, Resident, Ticket, TicketCategory, TicketEvent, TicketStatus, pk
from services.notify import renders
from services.ticket_alerts import ALERT, CHANGED, DIGEST, FOLLOWED, Level, Overdue
from services.ticket_dispatch import Taken
from services.ticket_queue import FLAG_NAME, Flag, QueueFilter, QueuePage
from services.ticket_reading import By, HistoryEntry, TicketCard, TicketHistory, TicketPlace
from services.ticket_rules import STATUS_LABEL, FollowUp, TicketAction, WorkAction
from services.tickets import Asked, InputStep
from views.callbacks import CallbackData
from views.emergencies import urgent_head, urgent_text

A, W, F = TicketAction, WorkAction, FollowUp
CATEGORY: dict[str, Msg] = {
    TicketCategory.CLEANING: N_("Cleaning (清扫保洁)"),
    TicketCategory.GREENING: N_("Greening (绿化养护)"),
    TicketCategory.ORDER: N_("Order and security (秩序维护)"),
    TicketCategory.REPAIR: N_("Common-area repair (公共部位日常维修)"),
    TicketCategory.FACILITY: N_("Facilities: lifts, pumps, lights, fire equipment (设施设备运行)"),
    TicketCategory.OTHER: N_("Other or complaint"),
}
CATEGORY_SHORT: dict[str, Msg] = {
    TicketCategory.CLEANING: N_("cleaning"),
    TicketCategory.GREENING: N_("greening"),
    TicketCategory.ORDER: N_("order and security"),
    TicketCategory.REPAIR: N_("common-area repair"),
    TicketCategory.FACILITY: N_("facilities"),
    TicketCategory.OTHER: N_("other"),
}
BUTTON: dict[str, Msg] = {
    A.ACKNOWLEDGE: N_("Acknowledge"),
    A.START: N_("Start work"),
    A.DONE: N_("Done"),
    W.ASSIGN: N_("Assign"),
    W.NOTE_PUBLIC: N_("Note to resident"),
    W.NOTE_INTERNAL: N_("Internal note"),
    A.REJECT: N_("Reject"),
    A.CONFIRM: N_("Fixed, confirm"),
    A.REOPEN: N_("Not fixed, reopen"),
    A.CANCEL: N_("Cancel my report"),
    W.QUESTION: N_("Need more information"),
    F.REMARK: N_("Add a comment"),
    F.URGE: N_("Urge (催单)"),
    F.PHOTOS: N_("Photos"),
}
# How the actions a viewer may take are laid out on the card, row by row.
ROWS: tuple[tuple[str, ...], ...] = (
    (A.ACKNOWLEDGE, A.START, A.DONE),
    (W.ASSIGN, W.NOTE_PUBLIC, W.NOTE_INTERNAL),
    (A.REJECT,),
    (A.CONFIRM, A.REOPEN),
    (A.CANCEL,),
    (W.QUESTION,),
    (F.REMARK, F.URGE),
    (F.PHOTOS,),
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
PROMPT = {
    InputStep.REJECT: N_(
        "Why is ticket #{id} rejected? Send the reason (the resident will see it)."
    ),
    InputStep.NOTE_PUBLIC: N_("Send the note for ticket #{id}; the resident will see it."),
    InputStep.NOTE_INTERNAL: N_("Send the internal note for ticket #{id}; only staff will see it."),
    InputStep.AFTER_PHOTO: N_("Send a photo of the fixed state for ticket #{id}, or tap Skip."),
    InputStep.REOPEN: N_(
        "What is still wrong with ticket #{id}? Send a few words, or a photo (with a caption if you like); the staff will read it."
    ),
    InputStep.REMARK: N_(
        "Send your comment on ticket #{id}, or a photo (with a caption if you like); the staff will read it."
    ),
    InputStep.QUESTION: N_(
        "What do you need to know about ticket #{id}? Send the question; the resident can answer it in the chat."
    ),
    InputStep.ANSWER: N_(
        "Send your answer about ticket #{id} (text, or a photo with a caption); the staff member who asked will read it."
    ),
}


# What the history calls events that do not change the status.
@dataclasses.dataclass(frozen=True)
class TicketButton(CallbackData, kind="tk"):
    """A button on a ticket card: action name and ticket id."""

    action: str
    ticket_id: int


@dataclasses.dataclass(frozen=True)
class QueueButton(CallbackData, kind="tq"):
    """A page of the staff queue under a filter (its key, see services.ticket_queue)."""

    page: int
    filter: str


@dataclasses.dataclass(frozen=True)
class AssignTo(CallbackData, kind="ta"):
    ticket_id: int
    resident_id: int


@dataclasses.dataclass(frozen=True)
class RateTicket(CallbackData, kind="tr"):
    ticket_id: int
    stars: int


@dataclasses.dataclass(frozen=True)
class TakeTicket(CallbackData, kind="tt"):
    """ "Take it" (接单) on an offered ticket's alert: the first staff member to press it."""

    ticket_id: int


@dataclasses.dataclass(frozen=True)
class TemplatePick(CallbackData, kind="tm"):
    """A response template offered for a note: its number in the list the note step offered."""

    ticket_id: int
    number: int


def bold(text: Markup) -> Markup:
    return Markup("<b>{}</b>").format(text)


def status_text(status: str, _: Translator) -> Markup:
    label = STATUS_LABEL.get(status)
    return _(label) if label else html("{status}", status=status)


def category_text(category: str, _: Translator, *, long: bool = False) -> Markup:
    label = (CATEGORY if long else CATEGORY_SHORT).get(category)
    return _(label) if label else html("{category}", category=category)


def stars(rating: int) -> str:
    rating = max(0, min(rating, 5))
    return "★" * rating + "☆" * (5 - rating)


def place_text(place: TicketPlace, _: Translator) -> Markup:
    """The place as reported: `幸福家园 1栋 1单元 101` (the home), `幸福家园 1栋 2单元, floor 3`
    (in a building), `幸福家园 · 大堂` (a common area), `幸福家园 · shared location 30.62150,
    114.29950` (never the reporter's door for a place elsewhere)."""
    if place.kind == PlaceKind.AREA:
        return html("{compound} · {area}", compound=place.compound, area=place.area or "?")
    if place.kind == PlaceKind.LOCATION:
        where = _("shared location {latitude}, {longitude}").format(
            latitude=f"{place.latitude or 0:.5f}", longitude=f"{place.longitude or 0:.5f}"
        )
        return html("{compound} · ", compound=place.compound) + where
    room = place.room if place.kind == PlaceKind.HOME else None
    text = join([p for p in (place.compound, place.building, place.unit, room) if p], " ")
    if place.floor is not None:
        text += _(", floor {floor}").format(floor=place.floor)
    return text


def map_button(place: TicketPlace, ticket: Ticket, _: Translator) -> list[Button]:
    """ "Show on map" for a ticket reported at a shared location (the bot sends the venue)."""
    if place.latitude is None or place.longitude is None:
        return []
    return [button(_("📍 Show on map"), TicketButton("map", ticket.id or 0))]


def ticket_map(ticket: Ticket, place: TicketPlace, _: Translator) -> Screen:
    """The shared location of a ticket as a venue: its number, category and place."""
    title = _("Ticket #{id} · {category}").format(
        id=ticket.id, category=category_text(ticket.category, _)
    )
    return Screen(
        EMPTY,
        venue=Venue(
            latitude=place.latitude or 0.0,
            longitude=place.longitude or 0.0,
            title=plain(title),
            address=plain(place_text(place, _)),
        ),
    )


def ticket_card(card: TicketCard, _: Translator, tz: ZoneInfo) -> Screen:
    """The ticket, with a button for each action this viewer may take now, and its history."""
    ticket = card.ticket
    lines = [
        _("<b>Ticket #{id}</b> · {category}").format(
            id=ticket.id, category=category_text(ticket.category, _)
        ),
        _("Status: {status}").format(status=status_text(ticket.status, _)),
    ]
    if ticket.urgent:
        lines.append(_("⚠️ Urgent: {kind}").format(kind=urgent_text(ticket.urgent_kind, _)))
    lines.append(_("Where: {place}").format(place=place_text(card.place, _)))
    lines.append(reported_line(card, _, tz))
    if card.reporter is not None:
        lines.append(
            _("Reporter: {name} · {phone}").format(
                name=card.reporter.name or "?",
                phone=card.reporter.phone or _("no phone given"),
            )
        )
    if card.assignee is not None:
        lines.append(_("Assigned to: {name}").format(name=card.assignee or "?"))
    elif card.deadline is not None:
        lines.append(_("Not assigned yet"))
    if card.deadline is not None:
        lines.append(deadline_line(card.deadline, card.now, _, tz))
    lines.append(html("{text}", text=ticket.description))
    if card.photos:
        lines.append(photo_count(card.photos, _))
    if card.followers:
        lines.append(
            _.ngettext(
                "Also reported by {count} neighbour",
                "Also reported by {count} neighbours",
                card.followers,
            ).format(count=_.number(card.followers))
        )
    if ticket.reject_reason and ticket.status == TicketStatus.REJECTED:
        lines.append(_("Reason: {reason}").format(reason=ticket.reject_reason))
    if ticket.rating:
        lines.append(_("Rating: {stars}").format(stars=stars(ticket.rating)))
    rows = [
        [button(_(BUTTON[a]), TicketButton(a, ticket.id or 0)) for a in row if a in card.actions]
        for row in ROWS
    ]
    rows.append(map_button(card.place, ticket, _))
    rows.append([button(_("History"), TicketButton("history", ticket.id or 0))])
    return Screen(join(lines), keyboard(*rows))


def reported_line(card: TicketCard, _: Translator, tz: ZoneInfo) -> Markup:
    """`Reported: 2026/11/2 09:00 (2 hours ago)`"""
    when = _.datetime(card.ticket.created_at, tz, "short")
    if card.now is None:
        return _("Reported: {when}").format(when=when)
    return _("Reported: {when} ({age})").format(
        when=when, age=_.ago(card.now - card.ticket.created_at)
    )


def deadline_line(due: datetime, now: datetime | None, _: Translator, tz: ZoneInfo) -> Markup:
    """`Due: 2026/11/3 09:00` or `Due: 2026/11/2 09:15 · ⏰ overdue by 3 hours`"""
    text = _("Due: {when}").format(when=_.datetime(due, tz, "short"))
    if now is not None and now >= due:
        text += Markup(" · ") + _late_text(now - due, _)
    return text


def _late_text(late: timedelta, _: Translator) -> Markup:
    return _("⏰ overdue by {duration}").format(duration=_.duration(late))


def photo_count(count: int, _: Translator) -> Markup:
    return _.ngettext("{count} photo", "{count} photos", count).format(count=_.number(count))


EVENT_LABEL: dict[str, Msg] = {
    "report": N_("reported"),
    "note": N_("note"),
    "photo": N_("photo added"),
    "remark": N_("comment"),
    "urge": N_("urged (催单)"),
    "question": N_("question"),
    "answer": N_("answer"),
    "rate": N_("rating"),
}
BY: dict[str, Msg] = {
    By.SYSTEM: N_("system"),
    By.REPORTER: N_("reporter"),
    By.RESIDENT: N_("resident"),
    By.STAFF: N_("staff"),
}


def event_label(entry: HistoryEntry, _: Translator) -> Markup:
    """What happened: a status change, a note, an assignment, a photo, an escalation."""
    event = entry.event
    if event.kind == "follow":
        return _("also reported by a neighbour")
    if event.kind == "assign":
        return _("assigned to {name}").format(name=entry.assignee or "?")
    if event.kind == "escalate":
        if event.data.get("level") == Level.SUPERVISOR:
            return _("overdue, escalated to the quality supervisor")
        return _("overdue, escalated to the liaison")
    if event.kind in EVENT_LABEL:
        return _(EVENT_LABEL[event.kind])
    if event.to_status:
        return html("→ {status}", status=status_text(event.to_status, _))
    return _("update")


def ticket_history(found: TicketHistory, _: Translator, tz: ZoneInfo) -> Screen:
    """Every event: when, who (staff by name, the reporter, a resident, the system), what, and
    the note's text; internal ones marked (staff only see them)."""
    lines = [_("<b>History of ticket #{id}</b>").format(id=found.ticket.id)]
    for entry in found.entries:
        event = entry.event
        who = entry.name if entry.by == By.STAFF and entry.name else _(BY[entry.by])
        lines.append(
            html(
                "{when} · {who} · {label}{hidden}{note}",
                when=_.datetime(event.at, tz, "short"),
                who=who,
                label=event_label(entry, _),
                hidden=Markup("") if event.visible else _(" (internal)"),
                note=html(": {note}", note=event.note) if event.note else Markup(""),
            )
        )
    return Screen(join(lines))


def _listed(ticket: Ticket, _: Translator, length: int, *, late: bool = False) -> Button:
    parts = [f"#{ticket.id}", status_text(ticket.status, _), ticket.description[:length]]
    label = join(parts, " · ")
    if late:
        label = Markup("⏰ ") + label
    if ticket.urgent:
        label = Markup("⚠️ ") + label
    return button(label, TicketButton("view", ticket.id or 0))


def my_tickets(found: list[Ticket], _: Translator) -> Screen:
    if not found:
        return Screen(_("You have no tickets yet. Send /report to report an issue."))
    return Screen(
        _("<b>Your tickets</b> (tap one for details)"),
        keyboard(*[[_listed(t, _, 20)] for t in found]),
    )


def queue_filter_text(found: QueueFilter, _: Translator) -> Markup:
    """`Mine · Overdue · 2栋 · greening`"""
    parts: list[Markup | str] = [_(FLAG_NAME[f]) for f in Flag if f in found.flags]
    parts += list(found.names)
    parts += [category_text(c, _) for c in sorted(found.categories)]
    return join(parts, " · ")


def staff_queue(found: QueuePage, _: Translator) -> Screen:
    """The queue: the true count, the filter, one button per ticket of this page, ‹ › between
    pages and the filters to switch on or off."""
    key = found.filter.key()
    if not found.total:
        text = (
            _(
                "No open tickets. Filters: /tickets mine, unassigned, overdue, urgent, a building (2栋) or a category (绿化)."
            )
            if found.filter.empty
            else _("No open tickets match the filter: {filter}").format(
                filter=queue_filter_text(found.filter, _)
            )
        )
        return Screen(text, keyboard(*_filter_rows(found.filter, _)))
    lines = [
        _.ngettext(
            "<b>{count} open ticket</b> (urgent first, then oldest)",
            "<b>{count} open tickets</b> (urgent first, then oldest)",
            found.total,
        ).format(count=_.number(found.total))
    ]
    if not found.filter.empty:
        lines.append(_("Filter: {filter}").format(filter=queue_filter_text(found.filter, _)))
    if found.pages > 1:
        lines.append(
            _("Page {page} of {pages}").format(
                page=_.number(found.page + 1), pages=_.number(found.pages)
            )
        )
    rows = [[_listed(t, _, 18, late=t.id in found.overdue)] for t in found.tickets]
    turn = []
    if found.page > 0:
        turn.append(button("‹", QueueButton(found.page - 1, key)))
    if found.page + 1 < found.pages:
        turn.append(button("›", QueueButton(found.page + 1, key)))
    if turn:
        rows.append(turn)
    return Screen(join(lines), keyboard(*rows, *_filter_rows(found.filter, _)))


def _filter_rows(found: QueueFilter, _: Translator) -> list[list[Button]]:
    """A toggle per filter (✓ when on), and "All" when the filter is not empty."""
    toggles = [
        button(
            (Markup("✓ ") if flag in found.flags else Markup("")) + _(FLAG_NAME[flag]),
            QueueButton(0, found.toggled(flag).key()),
        )
        for flag in Flag
    ]
    rows = [toggles]
    if not found.empty:
        rows.append([button(_("All open tickets"), QueueButton(0, ""))])
    return rows


# --- what a button asks for ---------------------------------------------------------------------
def ask_input(asked: Asked, _: Translator) -> Screen:
    """The question after reject, a note or done (the answer is the next message)."""
    prompt = PROMPT.get(asked.step, PROMPT[InputStep.NOTE_PUBLIC])
    text = join([_(prompt).format(id=asked.ticket.id), _("/cancel to stop.")], " ")
    ticket_id = asked.ticket.id or 0
    if asked.template is not None:
        return Screen(
            join(
                [
                    _("Complete the note for ticket #{id}:").format(id=asked.ticket.id),
                    html("<i>{text}</i>", text=asked.template),
                    _("Send the missing part (it goes where “…” is, or after the colon)."),
                ]
            )
        )
    if asked.step == InputStep.AFTER_PHOTO:
        skip = button(_("Skip"), TicketButton("skip", ticket_id))
        return Screen(text, keyboard([skip]))
    if asked.templates:
        text = join([text, _("Or pick a ready-made note:")])
        rows = [
            [button(template[:60], TemplatePick(ticket_id, number))]
            for number, template in enumerate(asked.templates)
        ]
        return Screen(text, keyboard(*rows))
    return Screen(text)


def need_photo_or_skip(_: Translator) -> Screen:
    return Screen(_("Please send a photo, or tap Skip."))


def need_text(_: Translator) -> Screen:
    return Screen(_("Please answer with text, or send /cancel to stop."))


def need_text_or_photo(_: Translator) -> Screen:
    return Screen(_("Please send text or a photo, or send /cancel to stop."))


def assign_to(ticket: Ticket, people: list[Resident], _: Translator) -> Screen:
    rows = [
        [button(p.display_name or str(p.id), AssignTo(ticket.id or 0, p.id or 0))]
        for p in people[:20]
    ]
    return Screen(_("Assign ticket #{id} to:").format(id=ticket.id), keyboard(*rows))


def assigned(ticket: Ticket, _: Translator) -> Screen:
    return Screen(_("Ticket #{id} is assigned.").format(id=ticket.id))


def ask_rating(ticket: Ticket, _: Translator) -> Screen:
    choices = [button(f"{n}★", RateTicket(ticket.id or 0, n)) for n in range(1, 6)]
    return Screen(_("Thank you! How satisfied are you with the fix?"), keyboard(choices))


def rated(asked: Asked, _: Translator) -> Screen:
    ticket = asked.ticket
    text = _(
        "Thank you for rating {stars}. Would you like to add a comment? Send it, or tap No comment."
    ).format(stars="★" * max(0, min(ticket.rating or 0, 5)))
    return Screen(
        text, keyboard([button(_("No comment"), TicketButton("nocomment", ticket.id or 0))])
    )


def commented(kept: bool, _: Translator) -> Screen:
    return Screen(_("Thank you for your comment.") if kept else _("Thank you for your feedback."))


# --- messages sent through the outbox -----------------------------------------------------------
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
                when=_.datetime(ticket.created_at, tz, "short")
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
    if event.kind != A.DONE:
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
            _late_text(at - entry.due, _),
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
