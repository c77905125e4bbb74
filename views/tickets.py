"""How a ticket looks: its labels, the card with the viewer's buttons and its buttons' data, its
history, and the questions a button asks (the lists are in views.ticket_queue, the messages staff
and residents are sent in views.ticket_alerts)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Msg, Translator, html, join, plain
from core.screen import EMPTY, Button, Screen, Venue, button, keyboard
from models import PlaceKind, Resident, Ticket, TicketCategory, TicketStatus
from services.ticket_alerts import Level
from services.ticket_inputs import Asked, InputStep
from services.ticket_reading import By, HistoryEntry, TicketCard, TicketHistory, TicketPlace
from services.ticket_rules import STATUS_LABEL, FollowUp, TicketAction, WorkAction
from views.callbacks import CallbackData
from views.emergencies import urgent_text

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


@dataclasses.dataclass(frozen=True)
class TicketButton(CallbackData, kind="tk"):
    """A button on a ticket card: action name and ticket id."""

    action: str
    ticket_id: int


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


def office_status_text(status: str, _: Translator) -> Markup:
    """A status as the office reads it: "done" waits for the resident's confirmation, not the
    reader's (the resident's own card says "waiting for your confirmation")."""
    if status == TicketStatus.DONE:
        return _("Done, waiting for the resident's confirmation")
    return status_text(status, _)


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
    when = _.datetime(card.ticket.created_at, tz)
    if card.now is None:
        return _("Reported: {when}").format(when=when)
    return _("Reported: {when} ({age})").format(
        when=when, age=_.ago(card.now - card.ticket.created_at)
    )


def deadline_line(due: datetime, now: datetime | None, _: Translator, tz: ZoneInfo) -> Markup:
    """`Due: 2026/11/3 09:00` or `Due: 2026/11/2 09:15 · ⏰ overdue by 3 hours`"""
    text = _("Due: {when}").format(when=_.datetime(due, tz))
    if now is not None and now >= due:
        text += Markup(" · ") + overdue_text(due, now, _)
    return text


def overdue_text(due: datetime, now: datetime, _: Translator) -> Markup:
    """`⏰ overdue by 3 hours`"""
    return _("⏰ overdue by {duration}").format(duration=_.duration(now - due))


def photo_count(count: int, _: Translator) -> Markup:
    return _.ngettext("{count} photo", "{count} photos", count).format(count=_.number(count))


# What the history calls events that do not change the status.
EVENT_LABEL: dict[str, Msg] = {
    "report": N_("reported"),
    "note": N_("note"),
    "photo": N_("photo added"),
    "remark": N_("comment"),
    "urge": N_("urged (催单)"),
    "question": N_("question"),
    "answer": N_("answer"),
    "rate": N_("rating"),
    "unassign": N_("back to the unassigned queue (the assignee's role ended)"),
}
BY: dict[str, Msg] = {
    By.SYSTEM: N_("system"),
    By.REPORTER: N_("reporter"),
    By.RESIDENT: N_("resident"),
    By.STAFF: N_("staff"),
}


def event_label(entry: HistoryEntry, _: Translator, *, office: bool = False) -> Markup:
    """What happened: a status change, a note, an assignment, a photo, an escalation (`office`:
    in the office's words, e.g. "done, waiting for the resident's confirmation")."""
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
        shown = office_status_text if office else status_text
        return html("→ {status}", status=shown(event.to_status, _))
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
                when=_.datetime(event.at, tz),
                who=who,
                label=event_label(entry, _),
                hidden=Markup("") if event.visible else _(" (internal)"),
                note=html(": {note}", note=event.note) if event.note else Markup(""),
            )
        )
    return Screen(join(lines))


# --- what a button asks for ---------------------------------------------------------------------
def ask_input(asked: Asked, _: Translator) -> Screen:
    """The question after reject, a note or done (the answer is the next message)."""
    prompt = PROMPT.get(asked.step, PROMPT[InputStep.NOTE_PUBLIC])
    text = _.sentences(_(prompt).format(id=asked.ticket.id), _("/cancel to stop."))
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
