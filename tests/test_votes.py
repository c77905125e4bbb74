"""Owners' votes through the bot, as the committee, owners, a tenant, staff and a liaison use them."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
from sqlmodel import col, select

from jobs.votes import tick
from models import Ballot, Membership, OutboxMessage, Poll, Resident, Role
from services import vote_ballots, vote_lifecycle
from views.votes import VoteCast, VoteElect, VoteView

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEVEN = "第七项"  # Art. 278 item 7 (rebuilding, e.g. adding a lift): a special matter, ≥ 3/4


async def _people(world):
    await world.seed_roster()
    names = ("周委员", "徐丽", "高静", "刘军", "租客小王", "陈师傅", "刘书记")
    committee, owner_a, owner_b, owner_c, tenant, staff, liaison = (world.user(n) for n in names)
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner_a, "1栋 1单元 101", "owner")
    await world.onboard(owner_b, "1栋 1单元 102", "owner")
    await world.onboard(owner_c, "1栋 1单元 301", "owner")
    await world.onboard(tenant, "1栋 1单元 202", "tenant")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(liaison, Role.LIAISON)
    return committee, owner_a, owner_b, owner_c, tenant, staff, liaison


async def _draft_in_bot(committee, *, scope_building: str | None = "1栋") -> None:
    await committee.send("/newvote")
    await committee.send("1栋加装电梯")
    await committee.send("1栋加装电梯，费用约60万元，由1栋业主按面积分摊。")
    await committee.press("表决事项")
    await committee.press(SEVEN)
    if scope_building:
        await committee.press("部分楼栋")
        await committee.press(scope_building)
        await committee.press("完成")
    else:
        await committee.press("整个小区")
    await committee.press("使用这些时间")


async def _ticked(world) -> dict:
    done = await tick(world.runtime)
    await world.deliver()
    return done


def _code(text: str) -> str:
    found = re.search(r"(\d+-[A-Za-z0-9_-]{6,})", text)
    assert found is not None, text
    return found.group(1)


def _document(world, person):
    message = person.last_message
    assert message.kind == "document", message.content
    return world.emulator.files[message.document["file_id"]].data


async def test_the_life_of_a_vote(world, clock):
    committee, owner_a, owner_b, owner_c, tenant, staff, liaison = await _people(world)
    await _draft_in_bot(committee)
    preview = committee.last_text
    assert "20 户" in preview and "3 位业主" in preview and "四分之三以上" in preview
    assert "2026年11月18日 09:00" in preview and "2026年11月25日 18:00" in preview
    await committee.press("发布")
    assert "表决 #1 已发布" in committee.last_text

    # The notice goes to owners of building 1 only, once.
    assert (await _ticked(world))["notices"] == 1
    assert (await _ticked(world))["notices"] == 0
    assert "业主大会表决公告" in owner_a.last_text and "加装电梯" in owner_a.last_text
    assert not any("表决公告" in t for t in tenant.texts() + staff.texts())
    await tenant.send("/vote")
    assert "只有业主可以投票" in tenant.last_text

    # Before opening: the card says so and offers no ballot.
    await owner_a.press("查看表决")
    assert "尚未开始投票" in owner_a.last_text and "同意" not in owner_a.last_message.buttons()

    clock.advance(days=16)
    assert (await _ticked(world))["opened"] == 1
    await owner_a.send("/vote")
    await owner_a.press("#1")
    assert "您家尚未投票" in owner_a.last_text
    await owner_a.press("同意")
    assert "回执码" in owner_a.last_text
    code_a = _code(owner_a.last_text)
    await owner_a.press("同意", owner_a.user.chat.bot_messages[-2].message_id)  # a double tap
    assert "未作更改" in owner_a.last_text

    await owner_b.send("/vote")
    await owner_b.press("#1")
    await owner_b.press("反对")
    code_b_first = _code(owner_b.last_text)
    await owner_b.send("/vote")
    await owner_b.press("#1")
    assert "您家当前的选择：反对" in owner_b.last_text
    await owner_b.press("同意")
    assert "您的表决已更改" in owner_b.last_text
    code_b = _code(owner_b.last_text)

    # Forged buttons: another vote, a choice that does not exist.
    await owner_a.press_data(VoteCast(99, "agree").pack())
    assert "该表决不存在" in owner_a.last_text
    await owner_a.press_data("v1:vc:1:maybe")
    assert "不是本次表决的选项" in owner_a.last_text
    await tenant.press_data(VoteCast(1, "agree").pack())
    assert "只有业主可以投票" in tenant.last_text

    # Staff enter two paper ballots; the one for a home that also voted in the bot is flagged.
    await staff.send("/vote")
    await staff.press("#1")
    await staff.press("录入纸质选票")
    await staff.send("1栋 1单元 201")
    await staff.press("弃权")
    assert "已录入" in staff.last_text and "弃权" in staff.last_text
    await staff.send("/vote")
    await staff.press("#1")
    await staff.press("录入纸质选票")
    await staff.send("1-1-101")
    await staff.press("反对")
    assert "也在机器人中投过票" in staff.last_text
    await owner_a.send("/vote")
    await owner_a.press("#1")
    assert "您家当前的选择：反对（已由工作人员录入纸质选票" in owner_a.last_text
    await owner_a.press("同意")
    assert "纸质选票" in owner_a.last_text  # the signed paper ballot stays the one that counts

    # The liaison's list of homes not yet voted: 20 homes, 3 voted.
    await liaison.send("/vote")
    await liaison.press("#1")
    await liaison.press("未投票名单")
    sheet = openpyxl.load_workbook(io.BytesIO(_document(world, liaison))).active
    homes = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(homes) == 17 and "1栋 1单元 301" in homes and "1栋 1单元 101" not in homes
    await owner_a.send("/vote")
    await owner_a.press("#1")
    assert "未投票名单" not in owner_a.last_message.buttons()

    # Reminders: 72 h and 24 h before the close, once each, only to owners who have not voted.
    clock.set(datetime(2026, 11, 22, 18, 0, tzinfo=SHANGHAI))  # 72 h before the close
    assert (await _ticked(world))["reminders"] == 1
    assert (await _ticked(world))["reminders"] == 0
    assert "尚未投票" in owner_c.last_text
    assert sum("温馨提醒" in t for t in owner_c.texts()) == 1
    assert not any("温馨提醒" in t for t in owner_a.texts() + owner_b.texts())
    assert any("17 户尚未投票" in t for t in liaison.texts())
    assert liaison.last_message.kind == "document"
    clock.advance(days=2)
    assert (await _ticked(world))["reminders"] == 1
    assert sum("温馨提醒" in t for t in owner_c.texts()) == 2

    # The close: tally once, result with figures and chart to owners and the committee.
    clock.advance(days=1, minutes=1)
    assert (await _ticked(world))["closed"] == 1
    assert not any((await _ticked(world)).values())
    for person in (owner_a, owner_c, committee):
        result = [m for m in person.user.bot_messages if "表决结果" in m.content][-1]
        assert "未达到法定人数" in result.content and "未通过" in result.content
        assert person.last_message.kind == "photo"
    assert not any("表决结果" in t for t in tenant.texts())
    await owner_a.press_data(VoteCast(1, "agree").pack())  # an old button, after the close
    assert "不在投票期" in owner_a.last_text

    # Receipts: B's final ballot counted, B's first one replaced, A's bot ballot lost to paper.
    await owner_b.send(f"/receipt {code_b}")
    assert "已计入" in owner_b.last_text
    await owner_b.send(f"/receipt {code_b_first}")
    assert "之后更改" in owner_b.last_text
    await owner_a.send(f"/receipt {code_a}")
    assert "之后更改" in owner_a.last_text
    await owner_a.send("/receipt 1-notarealcode")
    assert "没有这个回执码" in owner_a.last_text
    await owner_b.send("/vote")
    await owner_b.press("#1")
    await owner_b.press("已计票回执哈希")
    hashes = _document(world, owner_b).decode().split()
    assert vote_ballots.receipt_hash(1, code_b.split("-", 1)[1]) in hashes and len(hashes) == 3
    assert "导出表决记录" not in owner_b.last_message.buttons()

    # The committee's export: tally, snapshot and ballots, without anyone's name or choice per home.
    await committee.send("/vote")
    await committee.press("#1")
    await committee.press("导出表决记录")
    files = {
        m.document["file_name"]: world.emulator.files[m.document["file_id"]].data
        for m in committee.user.bot_messages[-3:]
    }
    assert set(files) == {"vote-1.xlsx", "vote-1-csv.zip", "vote-1.json"}
    record = json.loads(files["vote-1.json"])
    assert (
        len(record["eligible"]) == 20
        and sum(r["took_part"] is True for r in record["eligible"]) == 3
    )
    assert sorted(r["choice"] for r in record["ballots"]) == ["abstain", "agree", "disagree"]
    assert set(record["ballots"][0]) == {
        "receipt_hash",
        "choice",
        "channel",
        "flagged_paper_and_bot",
    }
    everything = files["vote-1.json"].decode() + "".join(
        zipfile.ZipFile(io.BytesIO(files["vote-1-csv.zip"])).read(n).decode("utf-8-sig")
        for n in zipfile.ZipFile(io.BytesIO(files["vote-1-csv.zip"])).namelist()
    )
    for name in ("徐丽", "高静", "黄伟", "13806480894"):
        assert name not in everything
    async with world.session() as session:
        assert len((await session.exec(select(Ballot))).all()) == 5  # every version is kept
        poll = await session.get(Poll, 1)
        assert poll.result["area"]["total"] and poll.preliminary_sent_at is not None


async def test_drafting_in_the_bot_checks_times_and_roles(world, clock):
    committee, owner_a, *_ = await _people(world)
    await owner_a.send("/newvote")
    assert "只有本小区的业委会委员" in owner_a.last_text
    await committee.send("/newvote")
    await committee.send("长" * 201)
    assert "不超过200个字" in committee.last_text
    await committee.send("续聘物业服务企业")
    await committee.send("是否续聘现物业服务企业三年")
    await committee.press("表决事项")
    await committee.send("随便打的字")
    assert "请使用上面的按钮" in committee.last_text
    await committee.press("一般事项")
    await committee.press("整个小区")
    await committee.press("修改时间")
    await committee.send("2026-11-10 09:00\n2026-11-20 18:00")
    assert "至少应提前 15 天" in committee.last_text
    await committee.send("2026-12-01 09:00\n2026-11-30 18:00")
    assert "截止时间必须晚于开始时间" in committee.last_text
    await committee.send("明天")
    assert "无法识别" in committee.last_text
    await committee.send("2026-11-20 09:00\n2026-12-05 09:00\n2026-12-12 18:00")
    assert "60 户" in committee.last_text
    await world.restart()  # a restart in the middle loses nothing
    await committee.press("发布")
    assert "表决 #1 已发布" in committee.last_text
    async with world.session() as session:
        poll = await session.get(Poll, 1)
    assert (poll.matter, poll.building_ids, poll.notice_at.day) == ("ordinary", [], 20)
    assert (await _ticked(world))["notices"] == 0  # the notice waits for its time
    clock.set(poll.notice_at)
    assert (await _ticked(world))["notices"] == 1


async def test_an_election_with_two_seats(world, clock):
    committee, owner_a, owner_b, *_ = await _people(world)
    await committee.send("/newvote")
    await committee.send("选举第二届业主委员会委员")
    await committee.send("选出2名委员")
    await committee.press("选举候选人")
    await committee.send("张三\n李四\n王五")
    await committee.press("2")
    await committee.press("整个小区")
    await committee.press("使用这些时间")
    await committee.press("发布")
    await _ticked(world)
    clock.advance(days=16)
    await _ticked(world)
    await owner_a.send("/vote")
    await owner_a.press("#1")
    await owner_a.press("张三")
    await owner_a.press("李四")
    await owner_a.press("王五")
    assert "最多可选 2 名" in owner_a.last_text
    await owner_a.press("提交")
    assert "张三、李四" in owner_a.last_text and "回执码" in owner_a.last_text
    await owner_a.press_data(
        VoteElect(1, 0b1111, True).pack()
    )  # a fourth candidate that is not there
    assert "此按钮已不再有效" in owner_a.last_text
    await owner_b.press_data(VoteView(1).pack())
    await owner_b.press_data(VoteElect(1, 0b111, True).pack())  # three chosen for two seats, forged
    assert "最多可选 2 名" in owner_b.last_text
    clock.advance(days=8)
    await _ticked(world)
    assert (
        "表决结果" in [m for m in owner_a.user.bot_messages if "表决结果" in m.content][-1].content
    )


async def test_the_close_happens_after_a_restart_and_reminders_wait_for_morning(world, clock):
    _committee, owner_a, *_ = await _people(world)
    now = clock.now()
    async with world.session() as session:
        poll = await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="小区公约修订",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=datetime(2026, 11, 24, 23, 0, tzinfo=SHANGHAI),
            now=now,
        )
    await _ticked(world)
    clock.advance(days=15)
    await _ticked(world)
    clock.set(poll.closes_at - timedelta(hours=24))  # 23:00: quiet hours
    await world.restart()
    assert (await _ticked(world))["reminders"] == 1
    async with world.session() as session:
        held = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.purpose) == "poll:1:remind:24")
            )
        ).all()
    assert held and all(m.not_before.astimezone(world.runtime.settings.tz).hour == 8 for m in held)
    assert not any("温馨提醒" in t for t in owner_a.texts())
    clock.set(poll.closes_at + timedelta(minutes=1))
    await world.restart()
    assert (await _ticked(world))["closed"] == 1
    await world.restart()
    assert (await _ticked(world))["closed"] == 0


async def test_co_owners_tapping_at_once_give_one_ballot_and_other_compounds_votes_are_hidden(
    world, clock, tmp_path
):
    _committee, owner_a, *_ = await _people(world)
    partner = world.user("徐丽的丈夫")
    await world.onboard(partner, "1栋 1单元 101", "tenant")
    async with world.session() as session:
        membership = (
            await session.exec(
                select(Membership).join(Resident).where(col(Resident.telegram_id) == partner.id)
            )
        ).one()
        membership.kind = "co_owner"  # co-owners of one home are one voter
    await world.seed_other_compound(tmp_path)
    now = clock.now()
    async with world.session() as session:
        ours = await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="续聘物业",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=now + timedelta(days=22),
            now=now,
        )
        theirs = await vote_lifecycle.draft(
            session,
            None,
            compound_id=2,
            title="和平里的表决",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=now + timedelta(days=22),
            now=now,
        )
    clock.advance(days=15, minutes=1)
    await _ticked(world)
    for person in (owner_a, partner):
        await person.press_data(VoteView(ours.id).pack())
    first = owner_a.user.press_button("同意")
    second = partner.user.press_button("同意")
    await world.settle(first)
    await world.settle(second)
    async with world.session() as session:
        ballots = (await session.exec(select(Ballot).where(col(Ballot.poll_id) == ours.id))).all()
    assert len(ballots) == 1
    assert any("回执码" in t for t in owner_a.texts()[-1:] + partner.texts()[-1:])
    await owner_a.press_data(VoteCast(theirs.id, "agree").pack())  # another compound's vote
    assert "该表决不存在" in owner_a.last_text
    await owner_a.press_data(VoteView(theirs.id).pack())
    assert "该表决不存在" in owner_a.last_text
    await owner_a.send("/vote")
    assert "和平里" not in " ".join(owner_a.last_message.buttons())
