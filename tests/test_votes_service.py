"""Votes in the database: drafting rules, the snapshot, ballots with receipts, closing once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import col, select

from models import Ballot, EligibleVoter, Household, Poll
from services import vote_ballots, vote_lifecycle, vote_records
from services.actors import load_actor
from services.errors import DomainError, NotAllowed


async def _poll(world, **kwargs):
    now = world.clock.now()
    async with world.session() as session:
        compound_id = (await session.exec(select(col(Household.compound_id)))).first()
        defaults = dict(
            compound_id=compound_id,
            title="更换电梯",
            body="是否同意使用维修资金更换2号电梯",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=now + timedelta(days=22),
            now=now,
        )
        defaults.update(kwargs)
        poll = await vote_lifecycle.draft(session, None, **defaults)
        return poll.id


async def test_drafting_rules(world):
    await world.seed_roster()
    now = world.clock.now()
    with pytest.raises(DomainError, match="notice at least"):
        await _poll(world, opens_at=now + timedelta(days=14, hours=23))
    with pytest.raises(DomainError, match="close after"):
        await _poll(world, closes_at=now + timedelta(days=15))
    with pytest.raises(DomainError, match="past"):
        await _poll(world, notice_at=now - timedelta(days=1))
    with pytest.raises(DomainError, match="item 6, 7 or 8"):
        await _poll(world, matter="special")
    with pytest.raises(DomainError, match="candidates"):
        await _poll(world, candidates=["甲"], seats=2)
    assert await _poll(world, matter="special", special_item=6)


async def test_a_vote_from_opening_to_result(world, clock):
    await world.seed_roster()
    owners = [world.user(f"业主{i}") for i in range(3)]
    for person, label in zip(
        owners, ["1栋 1单元 101", "1栋 1单元 102", "1栋 1单元 201"], strict=True
    ):
        await world.onboard(person, label, "owner")
    tenant = world.user("租户")
    await world.onboard(tenant, "1栋 1单元 202", "tenant")
    poll_id = await _poll(world, building_ids=[1])  # building 1 only: 20 households
    clock.advance(days=15)
    async with world.session() as session:
        opened = await vote_lifecycle.open_due(session, now=clock.now())
        assert [p.id for p in opened] == [poll_id]
        assert await vote_lifecycle.open_due(session, now=clock.now()) == []
        eligible = (await session.exec(select(EligibleVoter))).all()
        assert len(eligible) == 20  # tenants add no voters; every unit of building 1 is one
    receipts = {}
    for person, choice in zip(owners, ["agree", "agree", "disagree"], strict=True):
        async with world.session() as session:
            actor = await load_actor(session, person.id)
            done = await vote_ballots.cast(session, actor, poll_id, [choice], now=clock.now())
            receipts[person.id] = done.code
    async with (
        world.session() as session
    ):  # a double tap changes nothing; a change is a new version
        actor = await load_actor(session, owners[0].id)
        again = await vote_ballots.cast(session, actor, poll_id, ["agree"], now=clock.now())
        assert again.code is None
        actor = await load_actor(session, owners[2].id)
        done = await vote_ballots.cast(session, actor, poll_id, ["agree"], now=clock.now())
        changed = done.code
        assert done.ballot.version == 2 and done.changed
        replaced, receipts[owners[2].id] = receipts[owners[2].id], changed
        with pytest.raises(NotAllowed, match="Only owners"):
            await vote_ballots.cast(
                session, await load_actor(session, tenant.id), poll_id, ["agree"], now=clock.now()
            )
    async with world.session() as session:
        published = await vote_ballots.published_hashes(session, await session.get(Poll, poll_id))
        assert len(published) == 3
        for code in receipts.values():
            assert await vote_ballots.check_receipt(session, code) == (
                await session.get(Poll, poll_id),
                "counted",
            )
            assert vote_ballots.receipt_hash(poll_id, code.split("-", 1)[1]) in published
        assert (await vote_ballots.check_receipt(session, replaced))[1] == "replaced"
        assert (await vote_ballots.check_receipt(session, f"{poll_id}-forgedcode"))[1] == "unknown"
        assert (await vote_ballots.check_receipt(session, "nonsense"))[1] == "unknown"
        assert len((await session.exec(select(Ballot))).all()) == 4  # every version kept
    clock.advance(days=7)
    async with world.session() as session:
        closed = await vote_lifecycle.close_due(session, now=clock.now())
        assert await vote_lifecycle.close_due(session, now=clock.now()) == []
        result = closed[0].result
    assert result["quorum"] is False and result["headcount"]["participating"] == "3"
    async with world.session() as session:
        actor = await load_actor(session, owners[0].id)
        with pytest.raises(DomainError, match="not open"):
            await vote_ballots.cast(session, actor, poll_id, ["disagree"], now=clock.now())
        assert (await session.get(Poll, poll_id)).status == "closed"


async def test_paper_ballot_prevails_and_is_flagged(world, clock):
    await world.seed_roster()
    owner = world.user("业主")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    poll_id = await _poll(world)
    clock.advance(days=15)
    async with world.session() as session:
        await vote_lifecycle.open_due(session, now=clock.now())
        actor = await load_actor(session, owner.id)
        await vote_ballots.cast(session, actor, poll_id, ["agree"], now=clock.now())
        household = await world.household_id("1栋", "1单元", "101")
        entry = await vote_ballots.enter_paper_ballot(
            session, None, poll_id, household, ["disagree"], now=clock.now()
        )
        paper = entry.ballot
        assert paper.flagged and paper.channel == "paper" and entry.flag == "paper_and_bot"
        with pytest.raises(DomainError, match="paper ballot"):
            await vote_ballots.cast(session, actor, poll_id, ["agree"], now=clock.now())
        counted = await vote_ballots.counted_ballots(session, await session.get(Poll, poll_id))
        assert [b.choice for b in counted.values()] == [["disagree"]]


async def test_the_job_opens_and_closes_once_also_after_a_restart(world, clock):
    from jobs.votes import open_and_close

    await world.seed_roster()
    poll_id = await _poll(world)
    assert await open_and_close(world.runtime) == (0, 0)
    clock.advance(days=15)
    assert await open_and_close(world.runtime) == (1, 0)
    await world.restart()
    assert await open_and_close(world.runtime) == (0, 0)
    clock.advance(days=7)
    assert await open_and_close(world.runtime) == (0, 1)
    await world.restart()
    assert await open_and_close(world.runtime) == (0, 0)
    async with world.session() as session:
        poll = await session.get(Poll, poll_id)
        assert poll.status == "closed"
        assert (
            poll.result["headcount"]["total"] == "59"
        )  # 60 units; the developer's 2 unsold count once


async def test_snapshot_counts_the_same_buyer_once_and_takes_the_area_that_counts(world, clock):
    await world.seed_roster()
    first = await world.household_id("1栋", "1单元", "101")
    second = await world.household_id("2栋", "1单元", "101")
    async with world.session() as session:
        a, b = await session.get(Household, first), await session.get(Household, second)
        b.owner_phone = a.owner_phone  # one buyer of two homes in the roster
        a.registered_area, a.surveyed_area, a.contract_area = None, None, Decimal("77.70")
        area_b = b.area
    poll_id = await _poll(world)
    clock.advance(days=15)
    async with world.session() as session:
        await vote_lifecycle.open_due(session, now=clock.now())
        eligible = (
            await session.exec(select(EligibleVoter).where(col(EligibleVoter.poll_id) == poll_id))
        ).all()
    assert len(eligible) == 58  # 60 homes; the developer's 2 unsold count once; the buyer of 2 once
    shared = next(v for v in eligible if first in v.household_ids)
    assert sorted(shared.household_ids) == sorted([first, second])
    assert shared.area == Decimal("77.70") + area_b  # contract area when nothing else is known


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_sql_tally_of_a_resolution_equals_the_per_voter_tally(world, clock, seed):
    """The resolution is added up in SQL (whole fen, the counted ballot by a window function);
    it must give exactly what the per-voter Python tally gives on the same rows."""
    import random

    from services.tally import Choice, MatterType, resolution_of_voters

    await world.seed_roster()
    poll_id = await _poll(world, matter="special", special_item=6)
    clock.advance(days=15)
    rng = random.Random(seed)
    async with world.session() as session:
        await vote_lifecycle.open_due(session, now=clock.now())
        keys = (
            await session.exec(
                select(col(EligibleVoter.voter_key)).where(col(EligibleVoter.poll_id) == poll_id)
            )
        ).all()
        for index, key in enumerate(keys):
            if rng.random() < 0.2:
                continue  # not returned
            for version in range(1, rng.choice((2, 2, 3, 4))):
                session.add(
                    Ballot(
                        poll_id=poll_id,
                        voter_key=key,
                        version=version,
                        cast_at=clock.now(),
                        choice=[rng.choice(["agree", "agree", "disagree", "abstain"])],
                        channel="paper" if rng.random() < 0.15 else "bot",
                        receipt_hash=f"{seed}-{index}-{version}",
                    )
                )
        await session.commit()
        poll = await session.get(Poll, poll_id)
        for unreturned_rule in (False, True):
            poll.count_unreturned_with_majority = unreturned_rule
            result = await vote_records.tally(session, poll)
            areas = {
                v.voter_key: v.area
                for v in (
                    await session.exec(
                        select(EligibleVoter).where(col(EligibleVoter.poll_id) == poll_id)
                    )
                ).all()
            }
            counted = await vote_ballots.counted_ballots(session, poll)
            expected = resolution_of_voters(
                areas,
                {k: Choice(b.choice[0]) for k, b in counted.items()},
                MatterType.SPECIAL,
                count_unreturned_with_majority=unreturned_rule,
            )
            for axis, figures in (("area", expected.area), ("headcount", expected.headcount)):
                for name in ("total", "participating", "agree", "disagree", "abstain"):
                    assert result[axis][name] == str(getattr(figures, name)), (axis, name)
            assert (result["quorum"], result["passed"]) == (expected.quorum, expected.passed)
