"""How tickets look: the card with the viewer's buttons, its history, /mytickets and the staff
queue, the questions a button asks, and the messages staff and residents are sent."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Msg, Translator, html, join
from core.screen import Button, Screen, button, keyboard
from models import Resident, Ticket, TicketCategory, TicketEvent, TicketStatus
from services.notify import renders
from services.ticket_alerts import ALERT, CHANGED, Level
from services.ticket_reading import TicketCard, TicketHistory, TicketPlace
from services.ticket_rules import STATUS_LABEL, FollowUp, TicketAction, WorkAction
from services.tickets import Asked, InputStep
from views.callbacks import CallbackData

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
EVENT_LABEL: dict[str, Msg] = {
    "photo": N_("photo"),
    "remark": N_("comment"),
    "urge": N_("urged (催单)"),
    "question": N_("question"),
    "answer": N_("answer"),
    "rate": N_("rating"),
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
class TemplatePick(CallbackData, kind="tt"):
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


def place_text(place: TicketPlace, ticket: Ticket, _: Translator) -> Markup:
    """`幸福家园 1栋 101, floor 3 (30.63120, 114.31200)`"""
    text = join([p for p in (place.compound, place.building, place.room) if p], " ")
    if ticket.floor is not None:
        text += _(", floor {floor}").format(floor=ticket.floor)
    if ticket.latitude is not None and ticket.longitude is not None:
        text += html(" ({lat:.5f}, {lon:.5f})", lat=ticket.latitude, lon=ticket.longitude)
    return text


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
        lines.append(_("⚠️ Urgent"))
    lines.append(_("Where: {place}").format(place=place_text(card.place, ticket, _)))
    lines.append(_("Reported: {when}").format(when=_.datetime(ticket.created_at, tz, "short")))
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
    rows.append([button(_("History"), TicketButton("history", ticket.id or 0))])
    return Screen(join(lines), keyboard(*rows))


def photo_count(count: int, _: Translator) -> Markup:
    return _.ngettext("{count} photo", "{count} photos", count).format(count=_.number(count))


def ticket_history(found: TicketHistory, _: Translator, tz: ZoneInfo) -> Screen:
    lines = [_("<b>History of ticket #{id}</b>").format(id=found.ticket.id)]
    for event in found.events:
        label = status_text(event.to_status, _) if event.to_status else event_label(event.kind, _)
        lines.append(
            html(
                "{when} · {label}{hidden}{note}",
                when=_.datetime(event.at, tz, "short"),
                label=label,
                hidden=Markup("") if event.visible else _(" (internal)"),
                note=html(": {note}", note=event.note) if event.note else Markup(""),
            )
        )
    return Screen(join(lines))


def event_label(kind: str, _: Translator) -> Markup:
    label = EVENT_LABEL.get(kind)
    return _(label) if label else _("note")


def _listed(ticket: Ticket, _: Translator, length: int) -> Button:
    parts = [f"#{ticket.id}", status_text(ticket.status, _), ticket.description[:length]]
    label = join(parts, " · ")
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


def staff_queue(found: list[Ticket], _: Translator) -> Screen:
    if not found:
        return Screen(
            _("No open tickets. Filters: /tickets urgent, /tickets repair, /tickets cleaning ...")
        )
    head = _.ngettext(
        "<b>{count} open ticket</b> (urgent first, then oldest)",
        "<b>{count} open tickets</b> (urgent first, then oldest)",
        len(found),
    ).format(count=_.number(len(found)))
    return Screen(head, keyboard(*[[_listed(t, _, 18)] for t in found]))


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
    _: Translator, *, tz: ZoneInfo, ticket: Ticket, level: int, place: TicketPlace
) -> Screen:
    """A new or reopened ticket for staff (and the liaison, when urgent); an overdue one for the
    liaison, then the quality supervisor."""
    if level == Level.NEW:
        head = _("⚠️ Urgent ticket #{id}") if ticket.urgent else _("New ticket #{id}")
    elif level == Level.OVERDUE:
        head = _("Overdue ticket #{id}: not handled within the service level")
    else:
        head = _("Still overdue ticket #{id}: escalated to the quality supervisor")
    text = join(
        [
            bold(head.format(id=ticket.id)),
            join(
                [
                    category_text(ticket.category, _),
                    join([p for p in (place.compound, place.building) if p], " "),
                ],
                " · ",
            ),
            html("{text}", text=ticket.description[:300]),
        ]
    )
    return Screen(text, keyboard([button(_("Open ticket"), TicketButton("view", ticket.id or 0))]))


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
