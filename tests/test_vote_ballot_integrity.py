"""A household that votes twice is caught, and a home sees its own choice: through the bot, a
second paper ballot is refused with the earlier one shown, then confirmed as its replacement;
each case flags the home in the record and warns the committee; the card shows the home's
current choice after voting and after changing it, and nobody else's."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from jobs.votes import tick
from models import AuditEvent, Ballot, BallotFlag, Role
from services import vote_ballots, vote_lifecycle
from views.vote_office import PaperReplace
from views.votes import VoteCast

SHANGHAI = ZoneInfo("Asia/Shanghai")
REFUSED = "已有纸质选票"
REPLACE = "确认替换"


async def _ticked(world) -> dict:
    done = await tick(world.runtime)
    await world.deliver()
    return done


async def _open_vote(world, clock, **kwargs):
    """幸福家园 with a committee member, two owners with the bot, two staff, and an open vote."""
    await world.seed_roster()
    names = ("周委员", "徐丽", "刘军", "陈师傅", "李师傅")
    committee, owner, neighbour, staff, other_staff = (world.user(n) for n in names)
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(neighbour, "1栋 1单元 301", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(other_staff, Role.STAFF)
    now = clock.now()
    async with world.session() as session:
        await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="续聘物业服务企业",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=datetime(2026, 11, 25, 18, 0, tzinfo=SHANGHAI),
            now=now,
            **kwargs,
        )
    clock.advance(days=15, minutes=1)
    await _ticked(world)
    return committee, owner, neighbour, staff, other_staff


async def _paper(staff, home: str, choice: str) -> None:
    await staff.send("/vote")
    await staff.press("#1")
    await staff.press("录入纸质选票")
    await staff.send(home)
    await staff.press(choice)


async def _flags(world) -> list[tuple[str, int | None, int | None]]:
    async with world.session() as session:
        rows = (await session.exec(select(BallotFlag).order_by(col(BallotFlag.id)))).all()
    return [(r.reason, r.earlier_ballot_id, r.ballot_id) for r in rows]


async def test_a_second_paper_ballot_is_refused_then_confirmed_as_the_replacement(world, clock):
    committee, owner, _neighbour, staff, other_staff = await _open_vote(world, clock)
    await _paper(staff, "1-1-102", "同意")
    first = staff.last_text
    assert "1栋 1单元 102 的纸质选票已录入：同意" in first and "选票编号" in first
    reference = first.split("选票编号 ")[1][:8]

    # The second one is refused, the first shown: what it says, when, by whom, its reference.
    await _paper(other_staff, "1栋 1单元 102", "反对")
    refusal = other_staff.last_text
    assert REFUSED in refusal and "这第二张（反对）未予录入" in refusal
    assert "此前的纸质选票：同意，由 陈师傅 于 2026年11月17日 10:01 录入" in refusal
    assert f"编号 {reference}" in refusal
    assert set(other_staff.last_message.buttons()) == {
        f"确认替换 2026年11月17日 10:01 录入的选票（{reference}）",
        "保留此前的选票",
    }
    async with world.session() as session:
        ballots = (await session.exec(select(Ballot))).all()
        first_id = ballots[0].id
        assert [b.choice for b in ballots] == [["agree"]]  # nothing recorded
        refused_audit = (
            await session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "poll.ballot_flag")
            )
        ).all()
    assert await _flags(world) == [("paper_refused", first_id, None)]
    assert refused_audit[0].details["reason"] == "paper_refused"
    await world.deliver()
    warning = committee.last_text
    assert "⚠️ 表决 #1“续聘物业服务企业”，1栋 1单元 102" in warning
    assert (
        "李师傅 录入的第二张纸质选票已被拒绝" in warning
        and "陈师傅 于 2026年11月17日 10:01" in warning
    )
    assert "同意" not in warning and "反对" not in warning  # the committee never sees a choice
    assert not any(REFUSED in t or "第二张" in t for t in owner.texts())

    # Typed text while the question waits; a forged button naming another earlier ballot.
    await other_staff.send("是的")
    assert "请使用上面的按钮" in other_staff.last_text
    await other_staff.press_data(PaperReplace(1, 2, 999, True).pack())
    assert "此按钮已不再有效" in other_staff.last_text

    # Confirmed as the replacement of that ballot: recorded, flagged, the committee told.
    await other_staff.press(REPLACE)
    replaced = other_staff.last_text
    assert "1栋 1单元 102 的纸质选票已录入：反对" in replaced and "替换了" in replaced
    confirm = next(m for m in reversed(other_staff.bot_messages) if REPLACE in str(m.buttons()))
    await other_staff.press(confirm.buttons()[0], confirm.message_id)  # a double tap
    assert "此按钮已不再有效" in other_staff.last_text
    await world.deliver()
    assert "李师傅 确认以第二张纸质选票替换 陈师傅 于 2026年11月17日 10:01 录入的选票" in (
        committee.last_text
    )
    async with world.session() as session:
        poll = await vote_ballots.visible_poll(session, None, 1)
        counted = await vote_ballots.counted_ballots(session, poll)
        second_id = (await session.exec(select(Ballot).order_by(col(Ballot.id).desc()))).first().id
    assert [b.choice for b in counted.values()] == [["disagree"]]
    assert (await _flags(world))[1] == ("paper_replaced", first_id, second_id)

    # A third one, and staff keep the earlier: nothing recorded, the refusal still flagged.
    await _paper(staff, "1-1-102", "弃权")
    assert REFUSED in staff.last_text and "此前的纸质选票：反对，由 李师傅" in staff.last_text
    await staff.press("保留此前的选票")
    assert "此前的纸质选票继续有效" in staff.last_text
    assert [f[0] for f in await _flags(world)] == [
        "paper_refused",
        "paper_replaced",
        "paper_refused",
    ]

    # Paper and bot for one home: the paper counts, flagged as before, and the committee is told.
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("同意")
    await _paper(staff, "1-1-101", "反对")
    assert "也在机器人中投过票" in staff.last_text
    await world.deliver()
    assert "该户已在机器人中投票" in committee.last_text and "1栋 1单元 101" in committee.last_text
    assert (await _flags(world))[-1][0] == "paper_and_bot"
    await owner.send("/vote")
    await owner.press("#1")
    assert "您家当前的选择：反对（已由工作人员录入纸质选票" in owner.last_text

    # The record: the flagged homes and why, never their ballots.
    clock.set(datetime(2026, 11, 25, 18, 1, tzinfo=SHANGHAI))
    await _ticked(world)
    await committee.send("/vote")
    await committee.press("#1")
    await committee.press("导出表决记录")
    files = {m.document["file_name"]: m for m in committee.bot_messages[-3:]}
    record = json.loads(world.emulator.files[files["vote-1.json"].document["file_id"]].data)
    assert [(f["home"], f["reason"]) for f in record["flags"]] == [
        ("1栋 1单元 102", "paper_refused"),
        ("1栋 1单元 102", "paper_replaced"),
        ("1栋 1单元 102", "paper_refused"),
        ("1栋 1单元 101", "paper_and_bot"),
    ]
    assert set(record["flags"][0]) == {"home", "reason", "flagged_at"}


async def test_the_card_shows_the_homes_current_choice_to_its_own_owners_only(world, clock):
    committee, owner, neighbour, staff, _other = await _open_vote(world, clock)
    await owner.send("/vote")
    await owner.press("#1")
    card = owner.last_message
    assert "您家尚未投票" in card.content and "投票截止时间：2026年11月25日 18:00" in card.content
    await owner.press("同意")
    assert "回执码" in owner.last_text
    card = owner.user.chat.by_id[card.message_id]  # the card itself now shows the choice
    assert "您家当前的选择：同意（2026年11月25日 18:00 截止前可以修改）" in card.content
    assert "尚未投票" not in card.content
    await owner.press("反对", card.message_id)
    card = owner.user.chat.by_id[card.message_id]
    assert "您家当前的选择：反对" in card.content and "您的表决已更改" in owner.last_text
    await owner.send("/vote")
    await owner.press("#1")
    assert "您家当前的选择：反对" in owner.last_text

    # Another home, the committee and staff see no choice of this home.
    await neighbour.send("/vote")
    await neighbour.press("#1")
    assert "您家尚未投票" in neighbour.last_text
    for person in (committee, staff):
        await person.send("/vote")
        await person.press("#1")
        assert (
            "当前的选择" not in person.last_text
            and "反对" not in person.last_text.split("方可通过")[-1]
        )

    # After the close the card says what was counted for the home; results stay totals only.
    clock.set(datetime(2026, 11, 25, 18, 1, tzinfo=SHANGHAI))
    await _ticked(world)
    await owner.press_data(VoteCast(1, "agree").pack(), card.message_id)  # an old button
    assert "不在投票期" in owner.last_text
    await owner.send("/vote")
    await owner.press("#1")
    assert "您家的表决：反对" in owner.last_text


async def test_an_election_card_shows_the_chosen_candidates(world, clock):
    _committee, owner, *_ = await _open_vote(
        world, clock, candidates=["张三", "李四", "王五"], seats=2
    )
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("⬜ 张三")
    await owner.press("⬜ 王五")
    card = owner.last_message
    await owner.press("提交")
    card = owner.user.chat.by_id[card.message_id]
    assert "您家当前的选择：张三、王五" in card.content
    assert "回执码" in owner.last_text
