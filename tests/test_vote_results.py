"""A vote published the way Chinese compounds do it, through the bot and the jobs on the test
clock: the owners told at the opening with both denominators, the live turnout the committee and
liaisons follow, the preliminary result at the close, an owner's objection reaching the
committee, and the final result after the objection period — each sent exactly once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from jobs.votes import tick
from models import Household, OutboxMessage, Poll, Role, VoteObjection, pk
from services import vote_ballots, vote_lifecycle, vote_publication
from views.vote_objections import ObjectionList
from views.vote_results import ObjectionStart
from views.vote_turnout import VoteTurnout

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSES = datetime(2026, 11, 25, 18, 0, tzinfo=SHANGHAI)
OPENING = "业主大会表决开始投票"
PRELIMINARY = "【初步结果】业主大会表决结果"
FINAL = "【最终结果】业主大会表决结果"
TURNOUT = "实时投票进度"
HOSTILE = '<b>计票有误</b> & <script>alert("x")</script>：201室的纸质选票没有计入'
SEVEN = 7  # Art. 278 item 7 (rebuilding, e.g. adding a lift): a special matter


async def _ticked(world) -> dict[str, int]:
    done = await tick(world.runtime)
    await world.deliver()
    return done


async def _people(world):
    await world.seed_roster()
    names = ("周委员", "徐丽", "高静", "租客小王", "陈师傅", "刘书记")
    committee, owner_a, owner_b, tenant, staff, liaison = (world.user(n) for n in names)
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner_a, "1栋 1单元 101", "owner")  # 89.50 ㎡
    await world.onboard(owner_b, "1栋 1单元 102", "owner")  # 118.36 ㎡
    await world.onboard(tenant, "1栋 1单元 202", "tenant")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(liaison, Role.LIAISON)
    return committee, owner_a, owner_b, tenant, staff, liaison


async def _open_vote(world, clock, **options) -> int:
    """A vote drafted now (notice at once), opened 15 days later; the ticks run meanwhile."""
    now = clock.now()
    async with world.session() as session:
        poll = await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="续聘物业服务企业",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=CLOSES,
            now=now,
            **options,
        )
    await _ticked(world)
    clock.advance(days=15, minutes=1)
    return pk(poll)


def _count(person, text: str) -> int:
    return sum(text in t for t in person.texts())


def _last_with(person, text: str):
    return [m for m in person.bot_messages if text in m.content][-1]


async def test_owners_are_told_at_the_opening_with_both_denominators_once(world, clock):
    committee, owner_a, owner_b, tenant, staff, _liaison = await _people(world)
    english = world.user("Tom", language="en")
    await world.onboard(english, "3栋 1单元 101", "owner")
    await _open_vote(world, clock)
    done = await _ticked(world)
    assert (done["opened"], done["announced"]) == (1, 1)
    for _ in range(2):
        assert not any((await _ticked(world)).values())
    await world.restart()
    assert not any((await _ticked(world)).values())

    told = _last_with(owner_a, OPENING)
    # The 60 homes of the roster; the developer's two unsold homes count once (DOMAIN §5).
    assert "专有部分总面积：6,138.20㎡" in told.content
    assert "业主总人数：59 人" in told.content
    assert "2026年11月25日 18:00" in told.content  # the close
    assert "三分之二以上" in told.content and "过半数" in told.content
    assert told.buttons() == ["立即投票"]
    english_told = _last_with(english, "Voting is open")
    assert "Total exclusive area: 6,138.20 m²" in english_told.content
    assert "Total headcount: 59 owners" in english_told.content
    for person in (owner_a, owner_b, english):
        assert _count(person, OPENING) + _count(person, "Voting is open") == 1
    for person in (tenant, staff, committee):
        assert _count(person, OPENING) == 0

    await owner_a.press("立即投票", told.message_id)
    assert "同意" in owner_a.last_message.buttons()
    async with world.session() as session:
        poll = await session.get(Poll, 1)
        assert (poll.published_area, poll.published_headcount) == (Decimal("6138.20"), 59)
        assert poll.opening_sent_at is not None
        opening = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.purpose) == "poll:1:opening")
            )
        ).all()
    assert len(opening) == 3  # the three owners who use the bot, once each


async def test_a_special_matter_for_one_building_has_its_own_denominators(world, clock):
    _committee, owner_a, *_ = await _people(world)
    far = world.user("赵敏")
    await world.onboard(far, "2栋 1单元 101", "owner")
    await _open_vote(world, clock, matter="special", special_item=SEVEN, building_ids=[1])
    assert (await _ticked(world))["announced"] == 1
    told = _last_with(owner_a, OPENING)
    assert "专有部分总面积：2,078.60㎡" in told.content and "业主总人数：20 人" in told.content
    assert "四分之三以上" in told.content
    assert _count(far, OPENING) == 0  # building 2 is not in scope


async def test_the_committee_and_liaisons_follow_the_turnout_as_owners_vote(world, clock):
    committee, owner_a, owner_b, tenant, staff, liaison = await _people(world)
    await _open_vote(world, clock, building_ids=[1])
    await _ticked(world)
    await committee.send("/vote")
    await committee.press("#1")
    card = committee.last_text
    assert TURNOUT in card and "参与表决的人数：0 / 20（0.00%）" in card
    assert "参与表决的专有面积：0.00㎡ / 2,078.60㎡（0.00%）" in card

    await owner_a.send("/vote")
    await owner_a.press("#1")
    await owner_a.press("同意")
    await owner_b.send("/vote")
    await owner_b.press("#1")
    await owner_b.press("反对")
    await liaison.send("/vote")
    await liaison.press("#1")
    await liaison.press("投票进度")
    shown = liaison.last_text
    assert "参与表决的人数：2 / 20（10.00%）" in shown
    assert "参与表决的专有面积：207.86㎡ / 2,078.60㎡（10.00%）" in shown  # 89.50 + 118.36
    assert "尚未达到法定人数" in shown
    assert "同意" not in shown and "反对" not in shown  # no running yes/no
    assert liaison.last_message.buttons() == ["刷新投票进度"]

    # Staff enter paper ballots for 15 more homes: all of building 1 but five.
    skipped = {
        ("1单元", "101"),
        ("1单元", "102"),
        ("1单元", "201"),
        ("2单元", "101"),
        ("2单元", "102"),
    }
    async with world.session() as session:
        homes = (await session.exec(select(Household).where(col(Household.building_id) == 1))).all()
        for home in homes:
            if (home.unit, home.room) not in skipped:
                await vote_ballots.enter_paper_ballot(
                    session, None, 1, home.id, ["agree"], now=clock.now()
                )
    await liaison.press("刷新投票进度")
    shown = liaison.last_text
    assert "参与表决的人数：17 / 20（85.00%）" in shown and "已达到法定人数" in shown

    for person in (staff, owner_a, tenant):
        await person.press_data(VoteTurnout(1).pack())
        assert "只有本小区的业委会委员、联络员和管理员可以查看实时投票进度" in person.last_text
    await staff.send("/vote")
    await staff.press("#1")
    assert TURNOUT not in staff.last_text and "投票进度" not in staff.last_message.buttons()


async def test_preliminary_result_objection_and_final_result_each_sent_once(world, clock):
    committee, owner_a, owner_b, tenant, staff, liaison = await _people(world)
    await _open_vote(world, clock)
    await _ticked(world)
    for owner, choice in ((owner_a, "同意"), (owner_b, "反对")):
        await owner.send("/vote")
        await owner.press("#1")
        await owner.press(choice)

    # The close: the preliminary result, with every figure, the deadline and the chart.
    clock.set(CLOSES + timedelta(minutes=1))
    done = await _ticked(world)
    assert (done["closed"], done["preliminary"], done["final"]) == (1, 1, 0)
    for person in (owner_a, owner_b, committee):
        preliminary = _last_with(person, PRELIMINARY)
        assert "以上为初步结果" in preliminary.content
        assert "2026年11月28日 18:01 前通过机器人提出异议" in preliminary.content  # 3 days
        assert (
            "参与表决的人数：2 / 59" in preliminary.content
            and "未达到法定人数" in preliminary.content
        )
        assert preliminary.buttons() == ["提出异议"]
        assert person.last_message.kind == "photo"  # the chart goes with the preliminary
    for person in (tenant, staff, liaison):
        assert _count(person, PRELIMINARY) == 0

    # An owner objects; the text is kept as typed and reaches the committee at once.
    await owner_a.press("提出异议", _last_with(owner_a, PRELIMINARY).message_id)
    assert "最多 1000 字" in owner_a.last_text and "2026年11月28日 18:01" in owner_a.last_text
    await owner_a.send(HOSTILE)
    assert "第 1 条异议" in owner_a.last_text and HOSTILE in owner_a.last_text
    await world.deliver()
    alert = _last_with(committee, "初步结果的第 1 条异议")
    assert "1栋 1单元 101" in alert.content and HOSTILE in alert.content
    assert "徐丽" not in alert.content  # the home, not the name
    for person in (staff, liaison, owner_b, tenant):
        assert not any(HOSTILE in t for t in person.texts())
    await committee.press("查看全部异议")
    assert "初步结果共收到 1 条异议" in committee.last_text and HOSTILE in committee.last_text

    # Too long is refused and nothing is kept; a tenant and staff cannot object at all.
    await owner_b.press("提出异议", _last_with(owner_b, PRELIMINARY).message_id)
    await owner_b.send("长" * 1001)
    assert "最多 1000 字" in owner_b.last_text and "请精简" in owner_b.last_text
    await owner_b.send("/cancel")
    for person in (tenant, staff):
        await person.press_data(ObjectionStart(1).pack())
        assert "只有在本次表决中有表决资格的房屋的业主" in person.last_text
    await owner_a.press_data(ObjectionList(1).pack())
    assert "只有本小区的业委会委员和管理员可以查看异议" in owner_a.last_text

    # Ticks during the period, and a restart, publish nothing more.
    clock.advance(days=1)
    assert not any((await _ticked(world)).values())
    await world.restart()
    assert not any((await _ticked(world)).values())

    # The period ends while an owner is writing: told so, nothing is kept.
    await owner_b.press("提出异议", _last_with(owner_b, PRELIMINARY).message_id)
    clock.set(datetime(2026, 11, 28, 18, 2, tzinfo=SHANGHAI))
    await owner_b.send("我也有异议")
    assert "异议期已于 2026年11月28日 18:01 结束" in owner_b.last_text
    await owner_b.send("/vote")
    assert "#1" in " ".join(owner_b.last_message.buttons())  # no longer in the conversation

    # The final result, once, to the same people, stating the one objection.
    assert (await _ticked(world))["final"] == 1
    assert not any((await _ticked(world)).values())
    await world.restart()
    assert not any((await _ticked(world)).values())
    for person in (owner_a, owner_b, committee):
        final = _last_with(person, FINAL)
        assert (
            "异议期内共收到 1 条异议" in final.content and "参与表决的人数：2 / 59" in final.content
        )
        assert final.buttons() == []
        assert (_count(person, PRELIMINARY), _count(person, FINAL)) == (1, 1)
        assert sum(m.kind == "photo" for m in person.bot_messages) == 1
    for person in (tenant, staff, liaison):
        assert _count(person, FINAL) == 0

    # After the deadline the old button answers that the period has ended.
    await owner_a.press("提出异议", _last_with(owner_a, PRELIMINARY).message_id)
    assert "异议期已于 2026年11月28日 18:01 结束，不能再提出异议" in owner_a.last_text

    # The record: the publication times, the denominators told at the opening, the objection.
    await committee.send("/vote")
    await committee.press("#1")
    assert "异议（1）" in committee.last_message.buttons() and FINAL in committee.last_text
    await committee.press("导出表决记录")
    files = {
        m.document["file_name"]: world.emulator.files[m.document["file_id"]].data
        for m in committee.bot_messages[-3:]
    }
    record = json.loads(files["vote-1.json"])
    tally = {row["figure"]: row for row in record["tally"]}
    assert tally["published_total_area_m2"]["value"] == "6138.20"
    assert tally["published_total_headcount"]["value"] == 59
    assert tally["objections"]["value"] == 1
    assert tally["opening_published_at"]["value"] == "2026-11-17 10:01:00"
    assert tally["preliminary_published_at"]["value"] == "2026-11-25 18:01:00"
    assert tally["objection_until"]["value"] == "2026-11-28 18:01:00"
    assert tally["final_published_at"]["value"] == "2026-11-28 18:02:00"
    assert [(o["number"], o["home"], o["text"]) for o in record["objections"]] == [
        (1, "1栋 1单元 101", HOSTILE)
    ]

    async with world.session() as session:
        assert len((await session.exec(select(VoteObjection))).all()) == 1
        purposes = Counter(
            (m.purpose, m.chat_id) for m in (await session.exec(select(OutboxMessage))).all()
        )
    assert max(purposes.values()) == 1  # nobody was queued anything twice


async def test_the_objection_period_is_a_compound_setting_of_one_to_three_days(world, clock):
    committee, owner_a, *_ = await _people(world)
    async with world.session() as session:
        await vote_publication.set_objection_days(session, None, 1, 1)
    await _open_vote(world, clock)
    await _ticked(world)
    clock.set(CLOSES + timedelta(minutes=1))
    await _ticked(world)
    assert "2026年11月26日 18:01 前" in _last_with(owner_a, PRELIMINARY).content
    clock.set(datetime(2026, 11, 26, 18, 0, tzinfo=SHANGHAI))
    assert (await _ticked(world))["final"] == 0
    clock.set(datetime(2026, 11, 26, 18, 1, tzinfo=SHANGHAI))
    assert (await _ticked(world))["final"] == 1
    assert "异议期内未收到异议" in _last_with(committee, FINAL).content


async def test_the_objection_period_is_set_from_the_command_line(database_url, monkeypatch, capsys):
    import asyncio

    from tests.test_cli import _cli
    from tests.utils.paths import SAMPLE_ROSTER

    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        settings = ("admin", "vote-settings", "幸福家园")
        return [
            _cli(monkeypatch, database_url, *settings),
            _cli(monkeypatch, database_url, *settings, "--objection-days", "2"),
            _cli(monkeypatch, database_url, *settings, "--objection-days", "4"),
            _cli(monkeypatch, database_url, *settings, "--objection-days", "0"),
            _cli(monkeypatch, database_url, *settings, "--objection-days", "1", language="zh_Hans"),
        ]

    codes = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    assert codes == [0, 0, 1, 1, 0], captured
    assert "object to a preliminary result for 3 days" in captured.out  # the default
    assert "object to a preliminary result for 2 days" in captured.out
    assert captured.err.count("must be 1 to 3 days") == 2
    assert "业主可在 1 天内提出异议" in captured.out
