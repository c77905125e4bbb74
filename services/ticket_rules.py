"""The ticket lifecycle (报事报修), in one place: the moves from each status, which side makes
each (the property staff, or the resident who reported it), and what a viewer can do now."""

from __future__ import annotations

from enum import StrEnum

from core.i18n import N_, Msg
from models import OPEN_STATUSES, TicketStatus
from services.errors import DomainError
from services.policy import Permission


class TicketAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    DONE = "done"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    REJECT = "reject"
    CANCEL = "cancel"
    AUTO_CONFIRM = "auto_confirm"


class WorkAction(StrEnum):
    """What staff do on an open ticket besides moving it."""

    ASSIGN = "assign"
    NOTE_PUBLIC = "note_pub"  # a note the resident sees
    NOTE_INTERNAL = "note_int"  # a note only staff see
    QUESTION = "question"  # need more information: a question the resident answers in the chat


class FollowUp(StrEnum):
    """What a ticket's people do besides moving it: open its photos; a resident comments on an
    open ticket, or urges (催单) an overdue one once a day."""

    PHOTOS = "photos"
    REMARK = "remark"
    URGE = "urge"


class Side(StrEnum):
    STAFF = "staff"
    REPORTER = "reporter"  # the resident who reported it, or the liaison who filed it (代办)
    SYSTEM = "system"  # the scheduler


S = TicketStatus
A = TicketAction
# (from, action) -> to. Anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.NEW, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.REOPENED, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.NEW, A.START): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, A.START): S.IN_PROGRESS,
    (S.REOPENED, A.START): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, A.DONE): S.DONE,
    (S.IN_PROGRESS, A.DONE): S.DONE,
    (S.REOPENED, A.DONE): S.DONE,
    (S.DONE, A.CONFIRM): S.CONFIRMED,
    (S.DONE, A.AUTO_CONFIRM): S.CONFIRMED,
    (S.DONE, A.REOPEN): S.REOPENED,
    (S.NEW, A.REJECT): S.REJECTED,
    (S.ACKNOWLEDGED, A.REJECT): S.REJECTED,
    (S.IN_PROGRESS, A.REJECT): S.REJECTED,
    (S.REOPENED, A.REJECT): S.REJECTED,
    (S.NEW, A.CANCEL): S.CANCELLED,
    (S.ACKNOWLEDGED, A.CANCEL): S.CANCELLED,
}
SIDE: dict[TicketAction, Side] = {
    A.ACKNOWLEDGE: Side.STAFF,
    A.START: Side.STAFF,
    A.DONE: Side.STAFF,
    A.REJECT: Side.STAFF,
    A.CONFIRM: Side.REPORTER,
    A.REOPEN: Side.REPORTER,
    A.CANCEL: Side.REPORTER,
    A.AUTO_CONFIRM: Side.SYSTEM,
}
# The permission a person needs for the moves of a side (the reporter's is checked against
# the ticket's reporter and filer).
PERMISSION: dict[Side, Permission] = {
    Side.STAFF: Permission.TICKET_WORK,
    Side.REPORTER: Permission.TICKET_CONFIRM,
}
CLOSED = (S.CONFIRMED, S.REJECTED, S.CANCELLED)

STATUS_LABEL: dict[str, Msg] = {
    S.NEW: N_("new"),
    S.ACKNOWLEDGED: N_("acknowledged"),
    S.IN_PROGRESS: N_("in progress"),
    S.DONE: N_("done, waiting for your confirmation"),
    S.CONFIRMED: N_("confirmed"),
    S.REOPENED: N_("reopened"),
    S.REJECTED: N_("rejected"),
    S.CANCELLED: N_("cancelled"),
}
ACTION_LABEL: dict[str, Msg] = {
    A.ACKNOWLEDGE: N_("acknowledge"),
    A.START: N_("start work on"),
    A.DONE: N_("mark as done"),
    A.CONFIRM: N_("confirm"),
    A.REOPEN: N_("reopen"),
    A.REJECT: N_("reject"),
    A.CANCEL: N_("cancel"),
    A.AUTO_CONFIRM: N_("confirm"),
}


def next_status(status: str, action: str) -> str:
    """The state machine: the new status, or a DomainError naming what is not possible."""
    try:
        return TRANSITIONS[(TicketStatus(status), TicketAction(action))]
    except (KeyError, ValueError):
        raise DomainError(
            N_("A ticket that is {status} cannot be given the action “{action}”."),
            status=STATUS_LABEL.get(status, status),
            action=ACTION_LABEL.get(action, action),
        ) from None


def moves(status: str, side: Side) -> list[TicketAction]:
    """The moves this side can make from the status, in the lifecycle's order."""
    return [a for a in TicketAction if SIDE[a] == side and (status, a) in TRANSITIONS]


def actions_for(status: str, *, staff: bool, reporter: bool) -> list[str]:
    """What a viewer can do with a ticket now: staff the moves of their side, and assign and
    notes while it is open; the reporter (or filer) the moves of theirs."""
    actions: list[str] = []
    if staff:
        actions += moves(status, Side.STAFF)
        if status in OPEN_STATUSES:
            actions += list(WorkAction)
    if reporter:
        actions += moves(status, Side.REPORTER)
    return actions
