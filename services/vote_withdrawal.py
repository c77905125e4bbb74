"""Withdrawing an owners' vote before its close (撤回表决): a committee member or an administrator
gives the reason (in the bot a typed draft: the reason, then a confirmation), the vote becomes
cancelled with when, by whom and why, what was still waiting to go out about it is held back,
and everyone the bot had told of the vote receives the reason. The vote stays in the record;
every scheduled step skips it (they take only announced, open or closed votes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import OutboxMessage, OutboxStatus, Poll, PollStatus, Resident, Role
from services import audit, drafts, notify
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotFound
from services.notify import Recipient
from services.policy import Permission, allowed, authorize, holders
from services.vote_ballots import NO_SUCH_VOTE, visible_poll

MAX_REASON = 500
WITHDRAWN = "votes.withdrawn"
ALREADY = N_("This vote has already been withdrawn.")
TOO_LATE = N_("A vote can only be withdrawn while it is announced or open, before it closes.")
BAD_REASON = N_("Please send the reason owners will be told, at most 500 characters.")
GONE_OUT = (OutboxStatus.SENT, OutboxStatus.SENDING)  # what is still queued is held back instead
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class WithdrawStep(StrEnum):
    REASON = "reason"
    CONFIRM = "confirm"


class WithdrawDraft(Draft, flow="withdraw_vote", steps=WithdrawStep):
    poll_id: int
    reason: str = ""


@dataclass(frozen=True)
class Withdrawal:
    """A vote withdrawn (or about to be, at the confirmation) and how many people are told."""

    poll: Poll
    reason: str
    told: int


def _told(poll: Poll) -> str:
    """Every message about the vote (notice, opening, reminders, lists, warnings)."""
    return f"poll:{poll.id}:%"


def check_reason(text: str) -> str:
    reason = _CONTROL.sub("", (text or "").strip())
    if not reason or len(reason) > MAX_REASON:
        raise DomainError(BAD_REASON)
    return reason


async def _withdrawable(
    session: AsyncSession, actor: Actor | None, poll_id: int, *, now: datetime
) -> Poll:
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_WITHDRAW, poll.compound_id)
    if poll.status == PollStatus.CANCELLED:
        raise DomainError(ALREADY)
    if poll.status not in (PollStatus.PUBLISHED, PollStatus.OPEN) or now >= poll.closes_at:
        raise DomainError(TOO_LATE)
    return poll


async def told_of(
    session: AsyncSession, poll: Poll, *, besides: int | None = None
) -> list[Recipient]:
    """The reachable people the bot has told of the vote (what is still queued is held back
    instead) and the compound's committee members; `besides`: the person withdrawing it, who
    is answered directly."""
    statement = (
        select(
            col(Resident.id),
            col(Resident.telegram_id),
            col(Resident.language),
            func.min(col(OutboxMessage.household_id)),
        )
        .join(OutboxMessage, col(OutboxMessage.resident_id) == col(Resident.id))
        .where(col(OutboxMessage.purpose).like(_told(poll)))
        .where(col(OutboxMessage.status).in_(GONE_OUT))
        .where(col(Resident.telegram_id).is_not(None))
        .where(col(Resident.consent_at).is_not(None))
        .group_by(col(Resident.id), col(Resident.telegram_id), col(Resident.language))
        .order_by(col(Resident.id))
    )
    people = [Recipient.from_row(row) for row in await session.exec(statement)]
    seen = {p.resident_id for p in people}
    committee = await holders(
        session, Permission.VOTE_WITHDRAW, poll.compound_id, only=[Role.COMMITTEE]
    )
    people += [Recipient.of(r) for r in committee if r.id not in seen]
    return [p for p in people if p.resident_id != besides]


async def start(session: AsyncSession, actor: Actor, poll_id: int, *, now: datetime) -> Poll:
    """ "Withdraw the vote" on its card: the reason is asked next."""
    poll = await _withdrawable(session, actor, poll_id, now=now)
    asked = WithdrawDraft(step=WithdrawStep.REASON, poll_id=poll_id)
    await drafts.begin(session, actor, asked, now=now)
    return poll


async def give_reason(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> Withdrawal:
    """The reason, typed: then the confirmation, saying how many people will be told."""
    current = await drafts.load(session, actor, WithdrawDraft, WithdrawStep.REASON)
    poll = await _withdrawable(session, actor, current.poll_id, now=now)
    reason = check_reason(text)
    await drafts.save(
        session, actor, drafts.replace(current, step=WithdrawStep.CONFIRM, reason=reason), now=now
    )
    told = await told_of(session, poll, besides=actor.resident_id)
    return Withdrawal(poll, reason, len(told))


async def confirm(
    session: AsyncSession, actor: Actor, poll_id: int, confirmed: bool, *, now: datetime
) -> Withdrawal | None:
    """The confirmation's answer (None: the vote stays). A second tap, once it is withdrawn,
    says so."""
    current = await drafts.find(session, actor, WithdrawDraft)
    if current is None or current.step != WithdrawStep.CONFIRM or current.poll_id != poll_id:
        poll = await session.get(Poll, poll_id)
        if (
            poll is not None
            and poll.status == PollStatus.CANCELLED
            and await allowed(session, actor, Permission.VOTE_WITHDRAW, poll.compound_id)
        ):
            raise DomainError(ALREADY)
        raise DomainError(drafts.STALE)
    await drafts.finish(session, actor, WithdrawDraft)
    if not confirmed:
        return None
    return await withdraw(session, actor, poll_id, current.reason, now=now)


async def withdraw(
    session: AsyncSession, actor: Actor | None, poll_id: int, reason: str, *, now: datetime
) -> Withdrawal:
    """Withdraw the vote: cancelled with when, who and why; messages about it not yet sent are
    held back; everyone who was told of it gets the reason (once: one dedupe key)."""
    if await session.get(Poll, poll_id, with_for_update=True, populate_existing=True) is None:
        raise NotFound(NO_SUCH_VOTE)
    poll = await _withdrawable(session, actor, poll_id, now=now)
    reason = check_reason(reason)
    poll.status = PollStatus.CANCELLED
    poll.withdrawn_at, poll.withdrawal_reason = now, reason
    poll.withdrawn_by = actor.resident_id if actor else None
    held = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.purpose).like(_told(poll)))
        .where(col(OutboxMessage.status) == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED)
    )
    people = await told_of(session, poll, besides=poll.withdrawn_by)
    notify.tell(session, f"poll:{poll.id}:withdrawn", WITHDRAWN, people, now=now, poll=poll)
    audit.record(
        session,
        at=now,
        actor_id=poll.withdrawn_by,
        action="poll.withdraw",
        subject_type="poll",
        subject_id=poll.id,
        reason=reason,
        held_back=held.rowcount,
        told=len(people),
    )
    return Withdrawal(poll, reason, len(people))
