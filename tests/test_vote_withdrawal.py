"""Votes withdrawn with a reason, and the timing rules that hold them up in court, through the bot
and the command line: the reason reaches everyone told of the vote, the jobs skip it, a stale
ballot button is answered; notice is at least 15 days, the voting window at least the
compound's minimum (a week by default, never under a day)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from jobs.votes import tick
from models import Compound, OutboxMessage, Poll, Role, pk
from services import vote_lifecycle
from services.errors import DomainError
from tests.test_cli import _cli
from tests.utils.paths import SAMPLE_ROSTER
from views.vote_office import WithdrawConfirm
from views.votes import VoteCast, VoteManage

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOSTILE = '<b>电梯</b> & {0} %s =HYPERLINK("x")'
IDLE = dict.fromkeys(
    ("notices", "opened", "announced", "reminders", "closed", "preliminary", "final"), 0
)
TOLD = "业主大会表决撤回公告"


async def _ticked(world) -> dict:
    done = await tick(world.runtime)
    await world.deliver()
    return done


async def _people(world):
    await world.seed_roster()
    names = ("周委员", "王管理员", "徐丽", "高静", "刘军", "租客小王", "陈师傅")
    committee, admin, owner_a, owner_b, owner_c, tenant, staff = (world.user(n) for n in names)
    await world.join_as(committee, Role.COMMITTEE)
    await world.join_as(admin, Role.ADMIN)
    await world.onboard(owner_a, "1栋 1单元 101", "owner")
    await world.onboard(owner_b, "1栋 1单元 102", "owner")
    await world.onboard(owner_c, "2栋 1单元 101", "owner")  # not in the vote's scope
    await world.onboard(tenant, "1栋 1单元 202", "tenant")
    await world.join_as(staff, Role.STAFF)
    return committee, admin, owner_a, owner_b, owner_c, tenant, staff


async def _draft(world, clock, *, building_ids=(1,)) -> int:
    now = clock.now()
    async with world.session() as session:
        poll = await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="1栋加装电梯",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=now + timedelta(days=23),
            now=now,
            matter="special",
            special_item=7,
            building_ids=list(building_ids),
        )
        return pk(poll)


async def test_a_withdrawn_vote_tells_everyone_who_had_the_notice_and_stays_in_the_record(
    world, clock
):
    committee, admin, owner_a, owner_b, owner_c, tenant, staff = await _people(world)
    await _draft(world, clock)
    assert (await _ticked(world))["notices"] == 1
    clock.advance(days=15, minutes=1)
    assert (await _ticked(world))["opened"] == 1
    await owner_a.send("/vote")
    await owner_a.press("#1")
    ballot_card = owner_a.last_message
    await owner_a.press("同意")
    code = re.search(r"(1-[A-Za-z0-9_-]{6,})", owner_a.last_text).group(1)

    # Not for owners or staff, even with a forged button.
    for person in (owner_a, staff):
        await person.press_data(VoteManage("withdraw", 1).pack())
        assert "只有本小区的业委会委员和管理员可以撤回表决" in person.last_text

    # The committee member: the button, the reason (too long, then hostile text), the question.
    await committee.send("/vote")
    await committee.press("#1")
    await committee.press("撤回本次表决")
    assert "请发送撤回理由" in committee.last_text
    await committee.send("长" * 501)
    assert "不超过500个字" in committee.last_text
    await committee.send(HOSTILE)
    question = committee.last_text
    assert f"原因：{HOSTILE}" in question and "不能恢复" in question
    assert "曾收到本次表决消息的 2 人将收到这一理由" in question  # the two owners in scope
    await committee.send("确定")
    assert "请使用上面的按钮" in committee.last_text
    await committee.press("确认撤回")
    assert "表决 #1 已撤回" in committee.last_text
    confirm = next(m for m in reversed(committee.bot_messages) if "确认撤回" in m.buttons())
    await committee.press("确认撤回", confirm.message_id)  # a double tap
    assert "本次表决已经撤回" in committee.last_text

    # Everyone who had the notice gets the reason, once; nobody else.
    await world.deliver()
    for person in (owner_a, owner_b):
        told = [t for t in person.texts() if TOLD in t]
        assert len(told) == 1 and HOSTILE in told[0] and "2026年11月17日 10:01" in told[0]
    for person in (owner_c, tenant, staff, admin):
        assert not any(TOLD in t for t in person.texts())
    async with world.session() as session:
        poll = await session.get(Poll, 1)
        assert poll.status == "cancelled" and poll.withdrawal_reason == HOSTILE
        assert poll.withdrawn_by is not None and poll.withdrawn_at == clock.now()

    # A stale ballot button, the card, the list, a receipt, a paper ballot.
    await owner_a.press_data(VoteCast(1, "disagree").pack(), ballot_card.message_id)
    assert "本次表决已撤回，不能再投票" in owner_a.last_text
    await owner_a.send("/vote")
    assert "#1 · 已撤回" in owner_a.last_message.buttons()[0]
    await owner_a.press("#1")
    assert f"本次表决已于 2026年11月17日 10:01 撤回。撤回理由：{HOSTILE}" in owner_a.last_text
    assert owner_a.last_message.buttons() == []
    await owner_a.send(f"/receipt {code}")
    assert "已在截止前撤回" in owner_a.last_text
    await staff.press_data(VoteManage("paper", 1).pack())
    assert "本次表决已撤回" in staff.last_text

    # Every job skips it, up to and past its close: no reminder, no close, no result.
    sent = len(owner_b.texts())
    for days in (5, 3, 1):
        clock.advance(days=days)
        assert await _ticked(world) == IDLE
    assert len(owner_b.texts()) == sent
    async with world.session() as session:
        assert (await session.get(Poll, 1)).status == "cancelled"

    # It stays in the record: the export says it was withdrawn, by whom and why.
    await committee.send("/vote")
    await committee.press("#1")
    await committee.press("导出表决记录")
    files = {m.document["file_name"]: m for m in committee.bot_messages[-3:]}
    record = json.loads(world.emulator.files[files["vote-1.json"].document["file_id"]].data)
    figures = {row["figure"]: row for row in record["tally"]}
    assert figures["status"]["value"] == "withdrawn"
    assert figures["withdrawal_reason"]["value"] == HOSTILE
    assert figures["withdrawn_by"]["value"] == "周委员"
    assert len(record["ballots"]) == 1


async def test_a_vote_withdrawn_before_its_notice_went_out_tells_nobody_but_the_committee(
    world, clock
):
    committee, admin, owner_a, *_ = await _people(world)
    clock.set(datetime(2026, 11, 2, 22, 0, tzinfo=SHANGHAI))  # quiet hours: held for morning
    await _draft(world, clock)
    assert (await _ticked(world))["notices"] == 1
    assert not any("表决公告" in t for t in owner_a.texts())
    await admin.send("/vote")
    await admin.press("#1")
    await admin.press("撤回本次表决")
    await admin.send("方案需重新论证")
    assert "曾收到本次表决消息的 1 人将收到这一理由" in admin.last_text  # the committee member
    await admin.press("确认撤回")
    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI))
    await world.deliver()
    assert not any("表决公告" in t or TOLD in t for t in owner_a.texts())
    assert any(TOLD in t and "方案需重新论证" in t for t in committee.texts())
    async with world.session() as session:
        held = (
            await session.exec(
                select(OutboxMessage.status).where(col(OutboxMessage.purpose) == "poll:1:notice")
            )
        ).all()
    assert held and set(held) == {"cancelled"}
    # Keeping the vote at the question changes nothing.
    await _draft(world, clock)
    await admin.send("/vote")
    await admin.press("#2")
    await admin.press("撤回本次表决")
    await admin.send("理由")
    await admin.press("不撤回")
    assert "未撤回" in admin.last_text
    await admin.press_data(WithdrawConfirm(2, True).pack())  # the question was answered
    assert "此按钮已不再有效" in admin.last_text
    async with world.session() as session:
        assert (await session.get(Poll, 2)).status == "published"


async def test_newvote_refuses_a_one_minute_window_and_the_notice_floor_holds(world, clock):
    committee, *_ = await _people(world)
    await committee.send("/newvote")
    await committee.send("续聘物业服务企业")
    await committee.send("是否续聘")
    await committee.press("表决事项")
    await committee.press("一般事项")
    await committee.press("整个小区")
    await committee.press("修改时间")
    await committee.send("2026-11-20 09:00\n2026-12-05 09:00\n2026-12-05 09:01")
    assert "投票期至少应为 7 天" in committee.last_text
    await committee.send("2026-11-20 09:00\n2026-12-05 09:00\n2026-12-12 08:59")
    assert "投票期至少应为 7 天" in committee.last_text
    await committee.send("2026-11-20 09:00\n2026-12-05 09:00\n2026-12-12 09:00")
    assert "60 户" in committee.last_text

    # A compound whose stored notice is below the floor (an old setting) still gets 15 days,
    # and a longer minimum window moves the suggested close.
    async with world.session() as session:
        compound = await session.get(Compound, 1)
        compound.vote_notice_days, compound.vote_min_days = 3, 10
    now = clock.now()
    with pytest.raises(DomainError, match="notice at least"):
        async with world.session() as session:
            await vote_lifecycle.draft(
                session,
                None,
                compound_id=1,
                title="x",
                body="",
                notice_at=now,
                opens_at=now + timedelta(days=4),
                closes_at=now + timedelta(days=20),
                now=now,
            )
    await committee.send("/cancel")
    await committee.send("/newvote")
    for answer in ("公约修订", "说明"):
        await committee.send(answer)
    for button in ("表决事项", "一般事项", "整个小区"):
        await committee.press(button)
    assert (
        "2026年11月18日 09:00" in committee.last_text
        and "2026年11月28日 18:00" in committee.last_text
    )


async def test_vote_rules_and_withdrawal_from_the_command_line(database_url, monkeypatch, capsys):
    from core.clock import SystemClock

    now = SystemClock().now().astimezone(ZoneInfo("Asia/Shanghai"))
    opens = (now + timedelta(days=17)).strftime("%Y-%m-%d 09:00")
    minute = (now + timedelta(days=17)).strftime("%Y-%m-%d 09:01")
    closes = (now + timedelta(days=24)).strftime("%Y-%m-%d 18:00")

    def cli(*argv: str) -> int:
        return _cli(monkeypatch, database_url, "admin", *argv)

    def run() -> list[int]:
        cli("import-roster", str(SAMPLE_ROSTER))
        return [
            cli("vote-settings", "幸福家园", "--notice-days", "3"),
            cli("vote-settings", "幸福家园", "--notice-days", "14"),
            cli("vote-settings", "幸福家园", "--min-days", "0"),
            cli("vote-settings", "幸福家园", "--notice-days", "15", "--min-days", "7"),
            cli("vote-settings", "幸福家园", "--notice-days", "16"),
            cli(
                "draft-vote", "幸福家园", "--title", "一分钟", "--opens", opens, "--closes", minute
            ),
            cli(
                "draft-vote",
                "幸福家园",
                "--title",
                "加装电梯",
                "--opens",
                opens,
                "--closes",
                closes,
            ),
            cli("withdraw-vote", "1", "--reason", "  "),
            cli("withdraw-vote", "1", "--reason", "方案需重新论证"),
            cli("withdraw-vote", "1", "--reason", "again"),
            cli("withdraw-vote", "99", "--reason", "none"),
        ]

    codes = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    assert codes == [1, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1], captured
    assert captured.err.count("15 days is the legal minimum, which a compound may raise") == 2
    assert "between 1 and 90 days" in captured.err
    assert "notice 15 days" in captured.out and "notice 16 days" in captured.out
    assert "Voting stays open at least 7 days." in captured.out
    assert "Voting must stay open at least 7 days." in captured.err
    assert "Vote #1 is published" in captured.out  # the one-minute vote got no number
    assert "at most 500 characters" in captured.err
    assert "Vote #1 is withdrawn; 0 people will be told the reason." in captured.out
    assert "already been withdrawn" in captured.err and "does not exist" in captured.err
