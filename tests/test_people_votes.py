"""A vote's eligibility is the snapshot at its opening (DOMAIN §9): a home sold during the vote
keeps its seller's vote, its buyer is refused politely, an owner who simply joins late votes, and
the record says so."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select

from jobs.votes import tick
from models import Ballot, EligibleHome, Household, Poll, pk
from services import vote_lifecycle, vote_records
from tests.test_people import HOME, SHANGHAI, sell
from views.votes import VoteCast, VoteView


async def _open_vote(world, clock) -> int:
    now = clock.now()
    async with world.session() as session:
        compound_id = (await session.exec(select(col(Household.compound_id)))).first()
        poll = await vote_lifecycle.draft(
            session,
            None,
            compound_id=compound_id,
            title="更换电梯",
            body="是否同意使用维修资金更换1号电梯",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=now + timedelta(days=22),
            now=now,
        )
        poll_id = pk(poll)
    clock.advance(days=15)
    assert (await tick(world.runtime))["opened"] == 1
    await world.deliver()
    return poll_id


async def test_a_home_sold_during_a_vote_keeps_the_sellers_vote(world, clock):
    await world.seed_roster()
    seller, buyer, late = world.user("王芳"), world.user("孙新"), world.user("晚到的业主")
    await world.onboard(seller, HOME, "owner")
    poll_id = await _open_vote(world, clock)
    async with world.session() as session:
        home = await session.get(EligibleHome, (poll_id, 1))
        assert home is not None and home.owner_ids == [1]  # the owners at the opening, by id

    recorded = await sell(
        world, "1-1-101", clock.now().astimezone(SHANGHAI).date(), buyer_name="孙新"
    )
    assert recorded.applied
    await buyer.send(f"/start {next(i.code for i in recorded.invites if i.kind == 'owner')}")
    await buyer.press("同意")
    await world.onboard(late, "1栋 1单元 102", "owner")  # joins after the opening, no sale

    await seller.press_data(VoteView(poll_id).pack())  # no longer registered, still its voter
    assert "同意" in seller.last_message.buttons()
    await seller.press("同意")
    assert "回执码" in seller.last_text
    await buyer.press_data(VoteCast(poll_id, "disagree").pack())
    assert "开始后才过户" in buyer.last_text and "回执码" not in buyer.last_text
    await late.press_data(VoteCast(poll_id, "agree").pack())
    assert "回执码" in late.last_text
    async with world.session() as session:
        assert len((await session.exec(select(Ballot))).all()) == 2

    clock.advance(days=8)
    assert (await tick(world.runtime))["closed"] == 1
    async with world.session() as session:
        record = await vote_records.export_record(
            session, None, poll_id, tz=SHANGHAI, now=clock.now()
        )
        poll = await session.get(Poll, poll_id)
    figures = {row[3]: row for row in record.tables["tally"].rows}
    assert figures["eligibility"][1] == "the owners when voting opened"
    assert figures["snapshot_taken_at"][1].value == poll.opened_at.astimezone(SHANGHAI).replace(
        tzinfo=None, microsecond=0
    )
    columns = [c.name for c in record.tables["eligible"].columns]
    sold = columns.index("sold_during_vote")
    flagged = [row[1] for row in record.tables["eligible"].rows if row[sold]]
    assert flagged == [HOME]


async def test_a_sale_before_the_opening_gives_the_vote_to_the_buyer(world, clock):
    await world.seed_roster()
    seller, buyer = world.user("王芳"), world.user("孙新")
    await world.onboard(seller, HOME, "owner")
    recorded = await sell(world, "1-1-101", date(2026, 11, 2), buyer_name="孙新")
    await buyer.send(f"/start {next(i.code for i in recorded.invites if i.kind == 'owner')}")
    await buyer.press("同意")
    poll_id = await _open_vote(world, clock)
    await seller.press_data(VoteCast(poll_id, "agree").pack())
    assert "回执码" not in seller.last_text
    await buyer.press_data(VoteCast(poll_id, "agree").pack())
    assert "回执码" in buyer.last_text
