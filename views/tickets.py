"""How tickets look: labels, the ticket card, and the messages residents get about changes."""

from __future__ import annotations

import dataclasses
from html import escape
from zoneinfo import ZoneInfo

from core.i18n import N_, Translator, translator
from models import Ticket, TicketCategory, TicketEvent, TicketStatus
from services.tickets import STATUS_LABEL
from views.callbacks import CallbackData

CATEGORY = {
    TicketCategory.CLEANING: N_("Cleaning (清扫保洁)"),
    TicketCategory.GREENING: N_("Greening (绿化养护)"),
    TicketCategory.ORDER: N_("Order and security (秩序维护)"),
    TicketCategory.REPAIR: N_("Common-area repair (公共部位日常维修)"),
    TicketCategory.FACILITY: N_("Facilities: lifts, pumps, lights, fire equipment (设施设备运行)"),
    TicketCategory.OTHER: N_("Other or complaint"),
}
CATEGORY_SHORT = {
    TicketCategory.CLEANING: N_("cleaning"),
    TicketCategory.GREENING: N_("greening"),
    TicketCategory.ORDER: N_("order and security"),
    TicketCategory.REPAIR: N_("common-area repair"),
    TicketCategory.FACILITY: N_("facilities"),
    TicketCategory.OTHER: N_("other"),
}


@dataclasses.dataclass(frozen=True)
class TicketButton(CallbackData, kind="tk"):
    """A button on a ticket card: action name and ticket id."""

    action: str
    ticket_id: int


def status_text(status: str, _: Translator) -> str:
    return _(STATUS_LABEL[TicketStatus(status)])


def ticket_card(
    ticket: Ticket, _: Translator, tz: ZoneInfo, *, place: str, photos: int = 0, followers: int = 0
) -> str:
    lines = [
        _("<b>Ticket #{id}</b> · {category}").format(
            id=ticket.id, category=_(CATEGORY_SHORT[TicketCategory(ticket.category)])
        ),
        _("Status: {status}").format(status=status_text(ticket.status, _)),
    ]
    if ticket.urgent:
        lines.append(_("⚠️ Urgent"))
    lines.append(_("Where: {place}").format(place=escape(place)))
    lines.append(_("Reported: {when}").format(when=_.datetime(ticket.created_at, tz, "short")))
    lines.append(escape(ticket.description))
    if photos:
        lines.append(_("Photos: {count}").format(count=photos))
    if followers:
        lines.append(_("Also reported by {count} neighbours").format(count=followers))
    if ticket.reject_reason and ticket.status == TicketStatus.REJECTED:
        lines.append(_("Reason: {reason}").format(reason=escape(ticket.reject_reason)))
    if ticket.rating:
        lines.append(
            _("Rating: {stars}").format(stars="★" * ticket.rating + "☆" * (5 - ticket.rating))
        )
    return "\n".join(lines)


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


def event_payload(ticket: Ticket, event: TicketEvent, language: str) -> dict:
    """The outbox message a resident gets about one visible change."""
    _ = translator(language or "zh_Hans")
    msgid = EVENT_TEXT.get(event.kind)
    text = (
        _(msgid).format(
            id=ticket.id, reason=escape(event.note or ""), note=escape(event.note or "")
        )
        if msgid
        else _("Your ticket #{id} is now {status}.").format(
            id=ticket.id, status=status_text(ticket.status, _)
        )
    )
    payload: dict = {"text": text}
    if event.kind == "done":
        payload["buttons"] = [[
            {"text": _("Fixed, confirm"), "data": TicketButton("confirm", ticket.id).pack()},
            {"text": _("Not fixed, reopen"), "data": TicketButton("reopen", ticket.id).pack()},
        ]]  # fmt: skip
    return payload


def staff_alert_payload(ticket: Ticket, language: str, place: str, level: int = 0) -> dict:
    """New or overdue ticket, for staff, the liaison or the quality supervisor."""
    _ = translator(language or "zh_Hans")
    if level == 0:
        head = _("⚠️ Urgent ticket #{id}") if ticket.urgent else _("New ticket #{id}")
    elif level == 1:
        head = _("Overdue ticket #{id}: not handled within the service level")
    else:
        head = _("Still overdue ticket #{id}: escalated to the quality supervisor")
    text = "\n".join([
        f"<b>{escape(head.format(id=ticket.id))}</b>",
        _(CATEGORY_SHORT[TicketCategory(ticket.category)]) + " · " + escape(place),
        escape(ticket.description[:300]),
    ])  # fmt: skip
    return {
        "text": text,
        "buttons": [[{"text": _("Open ticket"), "data": TicketButton("view", ticket.id).pack()}]],
    }
