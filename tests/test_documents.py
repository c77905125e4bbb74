"""Printed documents through the bot and the command line: the notice for the notice board, the
door-knocking list, paper ballots (and entering one by its code), the result notice; each read
back as text, refused to the wrong person, and unbroken by hostile text."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from core.i18n import translator
from jobs.votes import tick
from models import (
    Ballot,
    BallotChannel,
    Building,
    Household,
    Notice,
    NoticeCategory,
    Poll,
    PollStatus,
    Role,
)
from services import vote_lifecycle
from services.notice_documents import NoticeSheet
from services.vote_documents import BallotHome, PaperBallots
from tests.test_cli import _cli
from tests.utils.hostile import HOSTILE
from tests.utils.pdf import pdf_text
from views.documents.ballot_sheet import ballots_pdf
from views.documents.notice_sheet import notice_pdf, printable_html
from views.notices import NoticeManage
from views.vote_results import figure_text, percent_text
from views.votes import VoteManage

SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE = re.compile(r"V\d+-H\d+-[A-Z2-7]{8}")
PRINT_REFUSED = "只有本小区的物业服务人员、业委会委员和管理员可以打印纸质选票"


def _pdf(world, person) -> bytes:
    message = person.last_message
    assert message.kind == "document", message.content
    assert message.document["file_name"].endswith(".pdf")
    return world.emulator.file_bytes(message.document["file_id"])


async def _sent_notice(world, text: str):
    await world.seed_roster()
    owner, liaison = world.user("王芳"), world.user("刘书记")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(liaison, Role.LIAISON)
    await liaison.send("/notice")
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    await liaison.send(text)
    await liaison.press("否")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    await world.deliver()
    return owner, liaison


async def test_a_notice_prints_for_the_notice_board_with_its_office_and_stamp(world):
    owner, liaison = await _sent_notice(world, "<3 & <b>{0}%s</b> <i\n明天 9:00–12:00 停水")
    await liaison.press("送达报告")
    await liaison.press("打印公告 (PDF)")
    text = pdf_text(_pdf(world, liaison))
    assert "幸福家园" in text and "服务通知" in text and "公告编号：1" in text
    assert "<3 & <b>{0}%s</b> <i" in text and "明天 9:00–12:00 停水" in text
    assert (
        "发布单位：幸福家园党员联络员（党员联络员 刘书记）" in text
        and "日期：2026年11月2日" in text
    )
    await owner.press_data(NoticeManage("print", 1).pack())  # a forged button
    assert owner.last_message.kind == "text"


def test_telegram_formatting_prints_readably_and_tags_never_show():
    html = (
        '<b>停水</b> <i>通知</i> <u>今天</u> <s>作废</s> <span class="tg-spoiler">秘密</span> '
        '<a href="https://x.cn">详情</a> <code>A-1</code>\n<blockquote>引用</blockquote> &lt;b&gt;'
    )
    assert "<span" not in printable_html(html) and "<s>" not in printable_html(html)
    notice = Notice(id=7, compound_id=1, sender_id=1, text=html, created_at=datetime(2026, 11, 2))
    sheet = NoticeSheet(notice, "幸福家园", "陈师傅", Role.STAFF)
    text = pdf_text(notice_pdf(sheet, translator("zh_Hans"), SHANGHAI))
    for word in ("停水", "通知", "今天", "作废", "秘密", "详情", "A-1", "引用", "<b>"):
        assert word in text
    assert "幸福家园物业服务中心（物业服务人员 陈师傅）" in text and "<span" not in text


async def test_the_door_knocking_list_has_names_phones_and_columns_for_the_visit(world):
    owner, liaison = await _sent_notice(world, "请阅读垃圾分类新规")
    await liaison.press("送达报告")
    await liaison.press("敲门走访清单 (PDF)")
    assert "共 59 户" in liaison.last_message.content
    text = pdf_text(_pdf(world, liaison))
    assert "敲门走访清单" in text and "网格：第一网格 · 联络员：刘书记" in text
    assert "1栋 1单元 102" in text and "高静" in text and "13807784483" in text
    assert "无人注册" in text and "走访日期" in text and "走访结果" in text
    assert "1栋 1单元 101" not in text  # reached
    await owner.press_data(NoticeManage("knock", 1).pack())
    assert owner.last_message.kind == "text"


async def _open_vote(
    world, clock, title="续聘物业服务企业", body="续聘三年，物业费不变。", only=None
):
    """Two votes of 幸福家园 (of `only` its building 1栋), open; the cast who print them."""
    await world.seed_roster()
    names = ("周委员", "徐丽", "陈师傅", "社区王干部")
    committee, owner, staff, officer = (world.user(n) for n in names)
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(officer, Role.OFFICER, "community:幸福社区")
    now = clock.now()
    async with world.session() as session:
        buildings = (
            await session.exec(select(col(Building.id)).where(col(Building.name) == only))
        ).all()
        for name in (title, "另一项表决"):
            await vote_lifecycle.draft(
                session,
                None,
                compound_id=1,
                title=name,
                body=body,
                notice_at=now,
                opens_at=now + timedelta(days=15),
                closes_at=datetime(2026, 11, 25, 18, 0, tzinfo=SHANGHAI),
                now=now,
                building_ids=list(buildings),
            )
    clock.advance(days=15, minutes=1)
    await tick(world.runtime)
    await world.deliver()
    return committee, owner, staff, officer


async def _card(person, poll: int = 1) -> None:
    await person.send("/vote")
    await person.press(f"#{poll}")


async def test_paper_ballots_print_one_per_home_and_their_codes_enter_the_ballot(world, clock):
    committee, owner, staff, officer = await _open_vote(world, clock, only="1栋")
    async with world.session() as session:
        homes = len(
            (await session.exec(select(Household.id).where(Household.building_id == 1))).all()
        )
    for person in (owner, officer):
        await _card(person)
        assert "打印纸质选票" not in person.last_message.buttons()
        await person.press_data(VoteManage("ballots", 1).pack())
        assert PRINT_REFUSED in person.last_text
    await _card(committee)
    await committee.press("打印纸质选票")
    assert f"纸质选票共 {homes} 张" in committee.last_message.content
    text = pdf_text(_pdf(world, committee))
    pages = text.split("\f")
    assert len([p for p in pages if "业主大会纸质表决票" in p]) == homes > 0
    first = next(p for p in pages if "1栋 1单元 102" in p)
    for words in ("续聘物业服务企业", "续聘三年，物业费不变。", "第二百七十八条", "同意", "反对",
                  "弃权", "业主签字", "三分之二"):  # fmt: skip
        assert words in first, words
    code = CODE.search(first)
    assert code is not None
    await staff.send("/vote")
    await staff.press("#2")
    await staff.press("打印纸质选票")
    other = CODE.search(pdf_text(_pdf(world, staff)))
    assert other is not None
    await _card(staff)
    await staff.press("录入纸质选票")
    await staff.send(other[0])
    assert "不属于表决 #1" in staff.last_text
    forged = code[0][:-1] + ("A" if code[0][-1] != "A" else "B")
    await staff.send(forged)
    assert "这不是有效的纸质选票编码" in staff.last_text
    await staff.send(code[0].lower())
    await staff.press("同意")
    async with world.session() as session:
        ballot = (
            await session.exec(select(Ballot).where(col(Ballot.channel) == BallotChannel.PAPER))
        ).one()
    assert ballot.poll_id == 1 and ballot.choice == ["agree"]


async def test_the_result_notice_prints_every_figure_for_the_committee(world, clock):
    committee, owner, staff, officer = await _open_vote(world, clock, only="1栋")
    await _card(owner)
    await owner.press("同意")
    clock.set(datetime(2026, 11, 25, 18, 1, tzinfo=SHANGHAI))
    await tick(world.runtime)
    await world.deliver()
    for person in (owner, staff):
        await person.press_data(VoteManage("result", 1).pack())
        assert person.last_message.kind == "text" and "只有" in person.last_text
    async with world.session() as session:
        poll = await session.get(Poll, 1)
    assert poll is not None and poll.status == PollStatus.CLOSED
    _ = translator("zh_Hans")
    area, head = poll.result["area"], poll.result["headcount"]
    figures = [figure_text(area["total"], _), figure_text(area["agree"], _),
               percent_text(area["participating"], area["total"], _),
               percent_text(head["participating"], head["total"], _)]  # fmt: skip
    for person in (committee, officer):
        await _card(person)
        await person.press("表决结果公告 (PDF)")
        text = pdf_text(_pdf(world, person))
        assert "业主大会表决结果公告" in text and "续聘物业服务企业" in text
        assert "总数（表决基数）" in text and "参与表决" in text and "同意" in text
        assert "《中华人民共和国民法典》" in text and "第二百七十八条" in text
        assert "未达到法定人数" in text and "初步结果" in text and "收到异议" in text
        assert "幸福家园业主委员会（盖章）" in text and "日期：2026年11月25日" in text
        for figure in figures:
            assert figure in text, figure


def test_hostile_titles_and_texts_print_without_breaking_the_pdf():
    _ = translator("zh_Hans")
    for hostile in HOSTILE:
        notice = Notice(id=1, compound_id=1, sender_id=1, text=hostile, created_at=datetime(2026, 11, 2),
                        category=NoticeCategory.POLICY)  # fmt: skip
        text = pdf_text(notice_pdf(NoticeSheet(notice, hostile, hostile, None), _, SHANGHAI))
        assert hostile[:20] in text.replace("\n", "")
        poll = Poll(id=3, compound_id=1, title=hostile[:200], body=hostile, kind="election",
                    candidates=[hostile[:30], "李四"], seats=1, notice_at=datetime(2026, 11, 2),
                    opens_at=datetime(2026, 11, 17), closes_at=datetime(2026, 11, 25),
                    created_at=datetime(2026, 11, 2), status=PollStatus.OPEN)  # fmt: skip
        found = PaperBallots(
            poll, hostile, [hostile], [BallotHome(1, hostile[:50], "V3-H1-AAAA2222")]
        )
        text = pdf_text(ballots_pdf(found, _, SHANGHAI)).replace("\n", "")
        assert "V3-H1-AAAA2222" in text and "李四" in text and hostile[:20] in text


async def test_the_command_line_writes_paper_ballots_and_the_result_notice(
    world, clock, database_url, monkeypatch, tmp_path, capsys
):
    await _open_vote(world, clock)

    def ballots() -> int:
        return _cli(monkeypatch, database_url, "admin", "paper-ballots", "1", "--out", str(tmp_path),
                    language="zh_Hans")  # fmt: skip

    assert await asyncio.to_thread(ballots) == 0
    assert "共 60 张纸质选票" in capsys.readouterr().out
    text = pdf_text((tmp_path / "vote-1-paper-ballots.pdf").read_bytes())
    assert text.count("业主大会纸质表决票") == 60 and len(set(CODE.findall(text))) == 60
    clock.set(datetime(2026, 11, 25, 18, 1, tzinfo=SHANGHAI))
    await tick(world.runtime)

    def export() -> int:
        return _cli(monkeypatch, database_url, "admin", "export-vote", "1", "--out", str(tmp_path),
                    language="zh_Hans")  # fmt: skip

    assert await asyncio.to_thread(export) == 0
    text = pdf_text((tmp_path / "vote-1-result.pdf").read_bytes())
    assert "业主大会表决结果公告" in text and "续聘物业服务企业" in text


def test_the_readme_pictures_are_drawn_from_fixed_data(tmp_path):
    from tools.doc_pictures import main

    saved = main(tmp_path)
    assert [p.name for p in saved] == [
        "notice-sheet.png", "paper-ballot.png", "vote-result-notice.png", "door-knocking-list.png"
    ]  # fmt: skip
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in saved)
