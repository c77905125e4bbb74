"""Probes of the permissions around a vote's result: the live turnout, objecting to a
preliminary result, and reading the objections."""

from __future__ import annotations

from sqlmodel import col, select

from models import PollStatus, VoteObjection
from services import vote_publication
from services.policy import Permission as P
from tests.permissions.cast import Cast
from tests.permissions.probe import Probe, home_id, preparing, probe, resident_id, saw
from tests.permissions.probes_votes import _last, _poll, _poll_id
from tests.utils.world import Person, World
from views.vote_objections import ObjectionList
from views.vote_results import ObjectionStart
from views.vote_turnout import VoteTurnout

MARKER = "计票有误，请复核"


async def _preliminary(world: World) -> int:
    """A closed vote of 幸福家园 whose preliminary result is published (objection period open)."""
    poll_id = await _poll(world, PollStatus.CLOSED)
    async with world.session() as session:
        await vote_publication.publish_preliminary(session, now=world.clock.now())
    return poll_id


@probe(P.VOTE_TURNOUT)
async def turnout(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    before = len(person.bot_messages)
    await person.press_data(VoteTurnout(_poll_id(probe)).pack(), _last(person))
    return saw(person, "此处只显示参与情况", before)


@preparing(P.VOTE_TURNOUT)
async def _open(probe: Probe, world: World, cast: Cast) -> None:
    probe.state["poll"] = await _poll(world, PollStatus.OPEN)


@probe(P.VOTE_OBJECT)
async def object_to(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    await person.press_data(ObjectionStart(_poll_id(probe)).pack(), _last(person))
    await person.send(f"{MARKER} {person.id}")
    me = await resident_id(world, person)
    async with world.session() as session:
        found = await session.exec(
            select(col(VoteObjection.id)).where(col(VoteObjection.resident_id) == me)
        )
        return me is not None and found.first() is not None


@probe(P.VOTE_OBJECTIONS)
async def objections(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    before = len(person.bot_messages)
    await person.press_data(ObjectionList(_poll_id(probe)).pack(), _last(person))
    return saw(person, MARKER, before)


@preparing(P.VOTE_OBJECT)
async def _objectable(probe: Probe, world: World, cast: Cast) -> None:
    probe.state["poll"] = await _preliminary(world)


@preparing(P.VOTE_OBJECTIONS)
async def _objected(probe: Probe, world: World, cast: Cast) -> None:
    poll_id = await _preliminary(world)
    probe.state["poll"] = poll_id
    async with world.session() as session:
        me = await resident_id(world, cast["owner"])
        assert me is not None
        session.add(
            VoteObjection(
                poll_id=poll_id,
                resident_id=me,
                household_id=await home_id(world),
                text=MARKER,
                created_at=world.clock.now(),
            )
        )
