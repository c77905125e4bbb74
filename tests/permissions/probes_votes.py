"""Probes of the voting, survey and KPI permissions."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select

from core.i18n import translator
from models import Ballot, BallotChannel, Poll, PollStatus, SurveyAnswer, pk
from services import vote_lifecycle
from services.actors import load_actor
from services.errors import NotAllowed
from services.policy import Permission as P
from tests.permissions.cast import HERE, HOME, Cast
from tests.permissions.probe import (
    Probe,
    audited,
    compound_id,
    home_id,
    preparing,
    probe,
    resident_id,
    saw,
)
from tests.utils.world import Person, World
from views.kpi import KpiScope
from views.surveys import SurveyScore
from views.vote_drafting import DraftStep
from views.vote_office import PaperChoice, PaperReplace, WithdrawConfirm
from views.votes import VoteCast, VoteManage, VoteView

_ = translator("zh_Hans")
TITLE = "2号楼外墙维修"


def _last(person: Person) -> int | None:
    return person.bot_messages[-1].message_id if person.bot_messages else None


async def _announced(world: World) -> int:
    """A vote of 幸福家园, announced: voting opens in 15 days and lasts a week."""
    now = world.clock.now()
    async with world.session() as session:
        poll = await vote_lifecycle.draft(
            session,
            None,
            compound_id=await compound_id(world),
            title=TITLE,
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15, minutes=1),
            closes_at=now + timedelta(days=22, minutes=1),
            now=now,
        )
        return pk(poll)


async def _poll(world: World, status: PollStatus) -> int:
    """A vote of 幸福家园, open (its snapshot taken), or closed with its tally."""
    poll_id = await _announced(world)
    world.clock.advance(timedelta(days=15, minutes=2))
    async with world.session() as session:
        await vote_lifecycle.open_due(session, now=world.clock.now())
    if status == PollStatus.CLOSED:
        world.clock.advance(timedelta(days=8))
        async with world.session() as session:
            await vote_lifecycle.close_due(session, now=world.clock.now())
    return poll_id


def _prepare(status: PollStatus):
    async def prepare(probe: Probe, world: World, cast: Cast) -> None:
        probe.state["poll"] = await _poll(world, status)

    return prepare


def _poll_id(probe: Probe) -> int:
    return int(str(probe.state["poll"]))


@probe(P.VOTE_VIEW)
async def view(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    before = len(person.bot_messages)
    await person.press_data(VoteView(_poll_id(probe)).pack(), _last(person))
    return saw(person, TITLE, before)


@probe(P.VOTE_CAST)
async def cast_ballot(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    await person.press_data(VoteCast(_poll_id(probe), "agree").pack(), _last(person))
    me = await resident_id(world, person)
    async with world.session() as session:
        found = await session.exec(
            select(col(Ballot.id)).where(
                col(Ballot.poll_id) == _poll_id(probe), col(Ballot.cast_by) == me
            )
        )
        return me is not None and found.first() is not None


@probe(P.VOTE_PAPER_BALLOT)
async def paper(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    poll_id = _poll_id(probe)
    await person.press_data(VoteManage("paper", poll_id).pack(), _last(person))
    await person.send(HOME)
    await person.press_data(
        PaperChoice(poll_id, await home_id(world), "agree").pack(), _last(person)
    )
    if person.bot_messages and person.last_message.inline_keyboard:
        # Someone before had entered the home's ballot: this one replaces it, confirmed.
        replace = person.button_data()
        if replace.startswith(f"v1:{PaperReplace.kind}:"):
            await person.press_data(replace, _last(person))
    await person.send("/cancel")
    me = await resident_id(world, person)
    async with world.session() as session:
        found = await session.exec(
            select(col(Ballot.id))
            .where(col(Ballot.poll_id) == poll_id, col(Ballot.cast_by) == me)
            .where(col(Ballot.channel) == BallotChannel.PAPER)
        )
        return me is not None and found.first() is not None


@probe(P.VOTE_NOT_VOTED_LIST)
async def not_voted(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    await person.press_data(VoteManage("notvoted", _poll_id(probe)).pack(), _last(person))
    return await audited(world, person, "people.read", _poll_id(probe))


async def _got_file(probe: Probe, person: Person, action: str, suffix: str) -> bool:
    """Whether the card's office button gave the person a file of that kind."""
    before = len(person.bot_messages)
    await person.press_data(VoteManage(action, _poll_id(probe)).pack(), _last(person))
    return any(
        m.kind == "document" and str((m.document or {}).get("file_name", "")).endswith(suffix)
        for m in person.bot_messages[before:]
    )


@probe(P.VOTE_EXPORT)
async def export(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    return await _got_file(probe, person, "export", ".xlsx")


@probe(P.VOTE_PRINT_BALLOTS)
async def print_ballots(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    return await _got_file(probe, person, "ballots", ".pdf")


for _permission in (P.VOTE_VIEW, P.VOTE_CAST, P.VOTE_PAPER_BALLOT, P.VOTE_NOT_VOTED_LIST):
    preparing(_permission)(_prepare(PollStatus.OPEN))
preparing(P.VOTE_EXPORT)(_prepare(PollStatus.CLOSED))
preparing(P.VOTE_PRINT_BALLOTS)(_prepare(PollStatus.PUBLISHED))


@probe(P.VOTE_DRAFT)
async def draft(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    marker = f"更换物业 {person.id}"
    await person.send("/newvote")
    await person.press_data(
        DraftStep("compound", str(await compound_id(world))).pack(), _last(person)
    )
    await person.send(marker)
    await person.send("说明")
    for step, value in (
        ("kind", "resolution"),
        ("matter", "ordinary"),
        ("scope", "all"),
        ("times", "keep"),
        ("preview", "1"),
    ):
        await person.press_data(DraftStep(step, value).pack(), _last(person))
    await person.send("/cancel")
    async with world.session() as session:
        found = await session.exec(
            select(col(Poll.id))
            .where(col(Poll.title) == marker, col(Poll.compound_id) == await compound_id(world))
            .where(col(Poll.created_by) == await resident_id(world, person))
        )
        return found.first() is not None


@probe(P.VOTE_CONFIGURE)
async def configure(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """Only on the command line (run by the administrator); the service still checks an actor."""
    async with world.session() as session:
        actor = await load_actor(session, person.id)
        try:
            await vote_lifecycle.configure(
                session, actor, await compound_id(world, HERE), notice_days=20, unreturned=None
            )
        except NotAllowed:
            return False
    return True


@probe(P.SURVEY_ANSWER)
async def survey(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    await person.press_data(SurveyScore("2026-11", 0, 4).pack(), _last(person))
    async with world.session() as session:
        found = await session.exec(
            select(col(SurveyAnswer.id))
            .where(col(SurveyAnswer.household_id) == await home_id(world))
            .where(col(SurveyAnswer.resident_id) == await resident_id(world, person))
        )
        return found.first() is not None


@probe(P.KPI_VIEW)
async def kpi(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    before = len(person.bot_messages)
    place = await compound_id(world)
    await person.press_data(KpiScope("show", "compound", place, "2026-10").pack(), _last(person))
    title = _("Monthly report {month}: {scope}").format(
        month=_.month(date(2026, 10, 1)), scope=HERE
    )
    return saw(person, str(title), before)


@probe(P.VOTE_WITHDRAW)
async def withdraw(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """Each persona tries on a fresh announced vote: the card's button, a reason, confirm."""
    poll_id = await _announced(world)
    await person.press_data(VoteManage("withdraw", poll_id).pack(), _last(person))
    await person.send(f"撤回 {person.id}")
    await person.press_data(WithdrawConfirm(poll_id, True).pack(), _last(person))
    await person.send("/cancel")
    async with world.session() as session:
        found = await session.get(Poll, poll_id)
        me = await resident_id(world, person)
        return found is not None and me is not None and found.withdrawn_by == me
