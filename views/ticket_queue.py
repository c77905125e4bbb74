"""The lists of tickets: a resident's /mytickets and the staff queue (/tickets) with its pages and
filter buttons."""

from __future__ import annotations

import dataclasses

from markupsafe import Markup

from core.i18n import Translator, join
from core.screen import Button, Screen, button, keyboard
from models import Ticket, TicketCategory
from services.ticket_queue import FLAG_NAME, Flag, QueueFilter, QueuePage
from views.callbacks import CallbackData
from views.tickets import TicketButton, category_text, status_text


@dataclasses.dataclass(frozen=True)
class QueueButton(CallbackData, kind="tq"):
    """A page of the staff queue under a filter (its key, see services.ticket_queue)."""

    page: int
    filter: str


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
                "No open tickets. Filters: /tickets mine, unassigned, overdue, urgent, a "
                "building (2栋) or a service ({greening}, {repair})."
            ).format(
                greening=category_text(TicketCategory.GREENING, _),
                repair=category_text(TicketCategory.REPAIR, _),
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
