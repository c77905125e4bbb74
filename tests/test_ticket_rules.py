"""The ticket state machine, directly: every legal move, and every other one refused."""

from __future__ import annotations

import itertools

import pytest

from core.i18n import translator
from models import OPEN_STATUSES, TicketStatus
from services.errors import DomainError
from services.ticket_rules import (
    SIDE,
    TRANSITIONS,
    Side,
    TicketAction,
    WorkAction,
    actions_for,
    next_status,
)

LEGAL = {
    ("new", "acknowledge"): "acknowledged",
    ("new", "start"): "in_progress",
    ("new", "reject"): "rejected",
    ("new", "cancel"): "cancelled",
    ("acknowledged", "start"): "in_progress",
    ("acknowledged", "done"): "done",
    ("acknowledged", "reject"): "rejected",
    ("acknowledged", "cancel"): "cancelled",
    ("in_progress", "done"): "done",
    ("in_progress", "reject"): "rejected",
    ("done", "confirm"): "confirmed",
    ("done", "auto_confirm"): "confirmed",
    ("done", "reopen"): "reopened",
    ("reopened", "acknowledge"): "acknowledged",
    ("reopened", "start"): "in_progress",
    ("reopened", "done"): "done",
    ("reopened", "reject"): "rejected",
}


def test_the_table_is_exactly_the_lifecycle():
    assert {(str(a), str(b)): str(c) for (a, b), c in TRANSITIONS.items()} == LEGAL


@pytest.mark.parametrize(("status", "action"), list(itertools.product(TicketStatus, TicketAction)))
def test_every_move_is_either_legal_or_refused_with_a_clear_message(status, action):
    if (status.value, action.value) in LEGAL:
        assert next_status(status, action) == LEGAL[(status.value, action.value)]
        return
    with pytest.raises(DomainError) as refused:
        next_status(status, action)
    text = refused.value.render(translator("zh_Hans"))
    assert "不能" in text and "{" not in text


def test_closed_tickets_accept_nothing():
    for status in ("confirmed", "rejected", "cancelled"):
        for action in TicketAction:
            with pytest.raises(DomainError):
                next_status(status, action)


@pytest.mark.parametrize("status", list(TicketStatus))
def test_the_card_offers_exactly_the_moves_of_each_side(status):
    staff = actions_for(status, staff=True, reporter=False)
    reporter = actions_for(status, staff=False, reporter=True)
    work = [a.value for a in WorkAction]
    assert [a for a in staff if a not in work] == [
        a for a in TicketAction if (status.value, a.value) in LEGAL and SIDE[a] == Side.STAFF
    ]
    assert set(work) <= set(staff) if status in OPEN_STATUSES else not set(work) & set(staff)
    assert reporter == [
        a for a in TicketAction if (status.value, a.value) in LEGAL and SIDE[a] == Side.REPORTER
    ]
    assert actions_for(status, staff=True, reporter=True) == staff + reporter
    assert actions_for(status, staff=False, reporter=False) == []
    assert TicketAction.AUTO_CONFIRM not in staff + reporter  # the scheduler's alone
