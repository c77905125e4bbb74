"""The office's printed papers: invite cards with cut lines and the monthly 信息月报 as PDF and
DOCX — through the command line and the bot, read back as text."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from docx import Document as WordDocument
from sqlmodel import col, select

from models import Compound, Role
from tests.test_cli import _cli
from tests.utils.identity import bot_has_started
from tests.utils.paths import SAMPLE_ROSTER
from tests.utils.pdf import pdf_text
from views.kpi_documents import paper_screen
from views.surveys import SurveyScore

SHANGHAI = ZoneInfo("Asia/Shanghai")
OWNER_LINE = "业主邀请卡 · 可参加业主大会表决、查看物业费账单"
RESIDENT_LINE = "住户邀请卡 · 可报事报修、接收通知"


async def _commands(monkeypatch, database_url: str, *commands: str) -> list[int]:
    """Each command line (split on spaces) run in turn by the administrator, in Chinese, after
    the bot has started once (it records its username for the invite links)."""
    await bot_has_started(database_url)

    def run() -> list[int]:
        return [
            _cli(monkeypatch, database_url, *line.split(), language="zh_Hans") for line in commands
        ]

    return await asyncio.to_thread(run)


def _long_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


async def test_invite_cards_say_what_each_is_for_how_to_join_and_until_when(
    database_url, monkeypatch, tmp_path, capsys
):
    codes = await _commands(
        monkeypatch,
        database_url,
        f"admin import-roster {SAMPLE_ROSTER}",
        "admin ticket-settings 幸福家园 --duty-phone 027-8888-6666",
        f"admin invites 幸福家园 --out {tmp_path}",
        f"admin invites 幸福家园 --home 1-1-101 --out {tmp_path} --office-phone 027-1234-5678",
    )
    assert codes == [0, 0, 0, 0]
    expires = _long_date((datetime.now(SHANGHAI) + timedelta(days=30)).date())
    sheet = (tmp_path / "invites-1.pdf").read_bytes()
    text = pdf_text(sheet)
    assert _pages(sheet) == 20  # 120 cards, six to a page
    assert text.count(OWNER_LINE) == 60 and text.count(RESIDENT_LINE) == 60
    assert "幸福家园 · 邀请卡 · 请沿虚线剪开" in text and "1栋 1单元 101" in text
    for step in ("1. 安装 Telegram", "2. 扫描二维码或打开链接", "3. 点击“开始”并同意"):
        assert text.count(step) == 120
    assert text.count(f"有效期至{expires}") == 120
    assert text.count("物业服务电话：027-8888-6666") == 120
    codes = re.findall(r"邀请码：([A-Za-z0-9_-]+)", text)
    links = re.findall(r"https://t\.me/RedPropertyBot\?start=([A-Za-z0-9_-]+)", text)
    assert len(set(codes)) == 120 and set(codes) == set(links)
    # One home's lost cards reissued: its owner card and tenant card, with the phone given.
    (reissued,) = [p for p in tmp_path.glob("invites-1-*.pdf")]
    again = pdf_text(reissued.read_bytes())
    assert again.count("1栋 1单元 101") == 2 and OWNER_LINE in again and RESIDENT_LINE in again
    assert "物业服务电话：027-1234-5678" in again


async def test_invite_cards_print_hostile_names_as_typed(
    database_url, monkeypatch, tmp_path, capsys
):
    roster = tmp_path / "roster.csv"
    compound = "<b>{0}%s & 园"
    roster.write_text(
        "city,district,sub_district,community,compound,building,unit,room,registered_area,grid\n"
        f'武汉市,江岸区,后湖街道,幸福社区,{compound},"=HYPERLINK(""x"")",1单元,101,80.00,第一网格\n',
        encoding="utf-8",
    )

    codes = await _commands(
        monkeypatch,
        database_url,
        f"admin import-roster {roster}",
        f"admin invites 1 --out {tmp_path}",
    )
    assert codes == [0, 0]
    (sheet,) = tmp_path.glob("invites-*.pdf")
    text = pdf_text(sheet.read_bytes())
    assert text.count(compound) == 3  # the page header and both cards
    assert '=HYPERLINK("x") 1单元 101' in text
    assert text.count("物业服务电话：____________") == 2  # no phone set: a line to write it on


async def _november(world):
    """An officer of 江岸区, one survey answer and one ticket in November 2026."""
    await world.seed_roster()
    officer, resident = world.user("周科长"), world.user("徐丽")
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    await world.onboard(resident, "1栋 1单元 101", "owner")
    await resident.press_data(SurveyScore("2026-11", 5, 5).pack())
    return officer, resident


async def test_the_monthly_report_as_pdf_and_docx_through_the_bot(world, tmp_path):
    officer, resident = await _november(world)
    await officer.send("/kpi 2026-11")
    summary = officer.bot_messages[-3]
    await officer.press("信息月报（PDF）", summary.message_id)
    pdf = officer.last_message
    assert pdf.kind == "document" and pdf.document["file_name"].endswith(".pdf")
    text = pdf_text(world.emulator.file_bytes(pdf.document["file_id"]))
    assert "江岸区红色物业信息月报（2026年11月）" in text
    assert "报送单位：江岸区（区）" in text
    assert "统计期间：2026年11月1日至2026年11月30日" in text
    tight = re.sub(r"\s+", "", text)  # pdftotext keeps or drops the spaces of "1 / 60"
    for figure in ("一、四项指标", "满意率100.00%1/1", "参与率1.67%1/60", "覆盖率0.00%0/1"):
        assert figure in tight, figure
    assert "户数收费率暂无数据0/0" in tight and "平均分：5.00 分（满分 5 分）" in text
    assert "新报事0" in tight and "本月报事：0 件" in text
    assert "三、报事报修与服务时限" in text and "按时限处理：暂无数据（0 / 0）" in text
    assert "四、物业服务企业五星级排名" in text and "五、分街道情况" in text
    assert "报送单位（盖章）" in text and "负责人（签字）" in text
    await officer.press("信息月报（Word）", summary.message_id)
    word = officer.last_message
    assert word.document["file_name"].endswith(".docx")
    document = WordDocument(io.BytesIO(world.emulator.file_bytes(word.document["file_id"])))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "江岸区红色物业信息月报（2026年11月）"
    assert "报送单位：江岸区（区）" in paragraphs
    cells = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert cells[0][:3] == ["指标", "本月", "分子 / 分母"]
    assert ["满意率", "100.00%", "1 / 1"] == cells[5][:3] and cells[2][2] == "1 / 60"
    assert cells[4][:3] == ["户数收费率", "暂无数据", "0 / 0"]  # homes fully paid / billed
    assert len(document.inline_shapes) == 1  # the chart
    # A resident has no report, and a forged button for a place one may not read is refused.
    await resident.send("/kpi")
    answers = await resident.press_data("kp:v1:pdf:district:1:2026-11")
    assert "月报仅供" in resident.last_text and all(m.kind != "document" for m in answers)


async def test_a_stranger_cannot_fetch_another_districts_paper(world):
    await _november(world)
    stranger = world.user("吴科长")
    async with world.session() as session:
        from models import District

        session.add(District(city_id=1, name="武昌区"))
    await world.join_as(stranger, Role.OFFICER, "district:武昌区")
    await stranger.send("/kpi 2026-11")
    from views.kpi import KpiScope

    await stranger.press_data(KpiScope("docx", "district", 1, "2026-11").pack())
    assert "只能查看本辖区" in stranger.last_text


async def test_the_report_command_writes_the_pdf_and_docx_beside_the_workbook(
    database_url, monkeypatch, tmp_path, capsys
):
    out = tmp_path / "reports" / "happy.xlsx"

    codes = await _commands(
        monkeypatch,
        database_url,
        f"admin import-roster {SAMPLE_ROSTER}",
        f"report --month 2026-11 --scope compound:幸福家园 --out {out}",
    )
    assert codes == [0, 0]
    printed = capsys.readouterr().out
    assert str(out.with_suffix(".pdf")) in printed and str(out.with_suffix(".docx")) in printed
    text = pdf_text(out.with_suffix(".pdf").read_bytes())
    assert "幸福家园红色物业信息月报（2026年11月）" in text and "报送单位：幸福家园（小区）" in text
    tight = re.sub(r"\s+", "", text)
    assert "覆盖率0.00%0/1" in tight and "参与率0.00%0/60" in tight
    assert "五、" not in text  # a compound has no level below it in the report
    document = WordDocument(io.BytesIO(out.with_suffix(".docx").read_bytes()))
    assert document.paragraphs[0].text == "幸福家园红色物业信息月报（2026年11月）"


async def test_hostile_place_names_render_in_both_papers(world):
    from services.kpi_documents import open_paper

    await world.seed_roster()
    name = '<b>{0}%s & =HYPERLINK("x")' + "测" * 60
    async with world.session() as session:
        happy = (await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))).one()
        happy.name = name
        await session.commit()
        paper = await open_paper(
            session, None, "compound", happy.id, "2026-11", SHANGHAI, today=world.clock.now().date()
        )
    from core.i18n import translator

    _ = translator("zh_Hans")
    pdf = paper_screen(paper, "pdf", _).document
    assert pdf is not None
    assert re.sub(r"\s+", "", name) in re.sub(r"\s+", "", pdf_text(pdf.content))
    docx = paper_screen(paper, "docx", _).document
    assert docx is not None
    document = WordDocument(io.BytesIO(docx.content))
    assert document.paragraphs[0].text == f"{name}红色物业信息月报（2026年11月）"


def test_the_readme_pictures_are_drawn_from_fixed_data(tmp_path):
    from tools.doc_pictures_cards import cards_pdf, main, report_pdf

    main(tmp_path)
    assert (tmp_path / "invite-cards.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "monthly-report.png").stat().st_size > 10_000
    assert OWNER_LINE in pdf_text(cards_pdf()) and "41 / 60" in pdf_text(report_pdf())
