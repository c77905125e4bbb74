"""Owners' objections (异议) to a vote's preliminary result, in the compound's objection period
(DOMAIN §9): an owner of a home that was eligible presses the button on the preliminary result
and writes the objection (a typed draft); it is stored, the committee is told at once, and it
is part of the vote's record. One person may raise several."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Translator
from models import Poll, PollStatus, Role, VoteObjection
from services import audit, drafts, notify
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError
from services.notify import Recipient
from services.places import household_labels
from services.policy import Permission, authorize, holders
from services.tables import Column, Table, local
from services.vote_ballots import visible_poll
from services.vote_eligibility import voter_of

MAX_TEXT = 1000
OBJECTION = "votes.objection"  # to the committee, at once
NOT_YET = N_("Objections can be raised once the preliminary result is published.")


class ObjectionStep(StrEnum):
    TEXT = "text"


class ObjectionDraft(Draft, flow="vote_objection", steps=ObjectionStep):
    poll_id: int


class PeriodOver(DomainError):
    """The objection period has ended: the final result is (or is about to be) published."""

    def __init__(self, poll: Poll, tz: ZoneInfo) -> None:
        super().__init__("The objection period of vote #{id} has ended.", id=poll.id)
        self.poll, self.tz = poll, tz

    def render(self, _: Translator) -> Markup:
        until = self.poll.objection_until or self.poll.closes_at
        return _(
            "The objection period of vote #{id} ended on {until}; objections can no longer be "
            "raised. The final result states how many were received."
        ).format(id=self.poll.id, until=_.datetime(until, self.tz))


@dataclass(frozen=True)
class Raised:
    """An objection just stored: its number in the vote and the home it was raised for."""

    poll: Poll
    objection: VoteObjection
    number: int
    home: str


@dataclass(frozen=True)
class Listed:
    """A vote's objections, oldest first, as the committee reads them."""

    poll: Poll
    objections: list[tuple[VoteObjection, str]]  # with the home's label


def _zone(session: AsyncSession) -> ZoneInfo:
    return session.info.get(notify.ZONE) or ZoneInfo("Asia/Shanghai")


async def _objectable(
    session: AsyncSession, actor: Actor, poll_id: int, *, now: datetime
) -> tuple[Poll, int]:
    """The vote and the person's home in its snapshot, if they may object now."""
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_OBJECT, poll.compound_id)
    voter = await voter_of(session, actor, poll)  # refused unless their home was eligible
    if poll.status != PollStatus.CLOSED or poll.objection_until is None:
        raise DomainError(NOT_YET)
    if poll.final_sent_at is not None or now >= poll.objection_until:
        raise PeriodOver(poll, _zone(session))
    owned = {t.household_id for t in actor.households if t.is_owner}
    return poll, next(h for h in voter.household_ids if h in owned)


async def start(session: AsyncSession, actor: Actor, poll_id: int, *, now: datetime) -> Poll:
    """ "Raise an objection" on the preliminary result: the person is asked for their text."""
    poll, _home = await _objectable(session, actor, poll_id, now=now)
    await drafts.begin(
        session, actor, ObjectionDraft(step=ObjectionStep.TEXT, poll_id=poll_id), now=now
    )
    return poll


async def abandon(session: AsyncSession, actor: Actor) -> None:
    await drafts.finish(session, actor, ObjectionDraft)


async def submit(session: AsyncSession, actor: Actor, text: str, *, now: datetime) -> Raised:
    """The objection's text: stored with its home and time, and sent to the committee at once."""
    draft = await drafts.load(session, actor, ObjectionDraft, ObjectionStep.TEXT)
    poll, home = await _objectable(session, actor, draft.poll_id, now=now)
    text = (text or "").strip()
    if not text:
        raise DomainError(N_("Please write your objection in words."))
    if len(text) > MAX_TEXT:
        raise DomainError(
            N_("An objection can be at most 1,000 characters. Please shorten it and send it again.")
        )
    assert actor.resident_id is not None
    objection = VoteObjection(
        poll_id=poll.id or 0,
        resident_id=actor.resident_id,
        household_id=home,
        text=text,
        created_at=now,
    )
    session.add(objection)
    await session.flush()
    await drafts.finish(session, actor, ObjectionDraft)
    number = await objection_count(session, poll)
    label = (await household_labels(session, [home]))[home]
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="poll.objection",
        subject_type="poll",
        subject_id=poll.id,
        objection=objection.id,
    )
    notify.tell(
        session,
        f"poll:{poll.id}:objection:{objection.id}",
        OBJECTION,
        await _committee(session, poll),
        now=now,
        poll=poll,
        number=number,
        home=label,
        text=text,
        at=now,
    )
    return Raised(poll, objection, number, label)


async def _committee(session: AsyncSession, poll: Poll) -> list[Recipient]:
    """The committee members who read objections; administrators if the compound has none."""
    people = await holders(
        session, Permission.VOTE_OBJECTIONS, poll.compound_id, only=[Role.COMMITTEE]
    )
    people = people or await holders(session, Permission.VOTE_OBJECTIONS, poll.compound_id)
    return [Recipient.of(person) for person in people]


async def objection_count(session: AsyncSession, poll: Poll) -> int:
    statement = select(func.count()).where(col(VoteObjection.poll_id) == poll.id)
    return int((await session.exec(statement)).one())


async def _all(session: AsyncSession, poll: Poll) -> list[tuple[VoteObjection, str]]:
    found = list(
        (
            await session.exec(
                select(VoteObjection)
                .where(col(VoteObjection.poll_id) == poll.id)
                .order_by(col(VoteObjection.id))
            )
        ).all()
    )
    labels = await household_labels(session, sorted({o.household_id for o in found}))
    return [(o, labels.get(o.household_id, "")) for o in found]


async def objections(session: AsyncSession, actor: Actor | None, poll_id: int) -> Listed:
    """A closed vote's objections, for the committee and administrators (the home, the time and
    the text; never the person's name)."""
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_OBJECTIONS, poll.compound_id)
    if poll.status != PollStatus.CLOSED:
        raise DomainError(NOT_YET)
    return Listed(poll, await _all(session, poll))


async def objection_table(session: AsyncSession, poll: Poll, tz: ZoneInfo) -> Table:
    """The objections in the vote's record: number, time (local), home and text as typed."""
    rows: list[list[object]] = [
        [number, local(o.created_at, tz), home, o.text]
        for number, (o, home) in enumerate(await _all(session, poll), start=1)
    ]
    columns = [
        Column(N_("No."), "int", key="number"),
        Column(N_("Received at"), "datetime", key="received_at"),
        Column(N_("Home"), key="home"),
        Column(N_("Objection"), key="text"),
    ]
    return Table(columns, rows, title=N_("Objections"))
