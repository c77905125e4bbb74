"""The office's daily work in the console, in Debian's Chromium (Playwright), on the demo: staff
work a ticket from the board to done with a photo (the reporter is asked in the bot to confirm),
a clerk uploads a bank statement and books the row no home matched, a committee member enters a
batch of paper ballots checked line by line, and the district officer drills down the KPIs to
the compound and downloads its report. Each signs in from the demo page's persona list.
Screenshots go to docs/screenshots/console-*.png.

Run with `make e2e`; plain `make test` skips it.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from core.db import unit_of_work
from core.settings import Settings
from demo.app import Demo
from models import Ballot, Building, Compound, EligibleHome, Household
from services import billing, vote_documents

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEOUT = 20_000  # ms


def _png() -> bytes:
    """A small picture of the fixed state (a lamp that is on)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure = pyplot.figure(figsize=(3, 2), dpi=60)
    figure.patches.append(
        pyplot.Circle((0.5, 0.5), 0.3, color="#ffca28", transform=figure.transFigure)
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


@pytest.fixture
async def demo(tmp_path):
    running = Demo(Settings(_env_file=None), port=0, database=tmp_path / "demo.db")
    await running.start(reset=True)
    try:
        yield running
    finally:
        await running.stop()


@asynccontextmanager
async def _chromium() -> AsyncIterator[Any]:
    """A browser context (zh-CN, the console's size) in Debian's Chromium."""
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is missing: `make e2e` installs Debian's chromium package"
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            context = await browser.new_context(
                viewport={"width": 1100, "height": 760}, locale="zh-CN", accept_downloads=True
            )
            context.set_default_timeout(TIMEOUT)
            yield context
        finally:
            await browser.close()


def _ids(demo: Demo) -> dict[str, int]:
    return {p["name"]: p["user_id"] for p in demo.personas("zh_Hans")}


async def _chat(context: Any, demo: Demo, name: str) -> Any:
    """The demo's chat page of a persona."""
    from playwright.async_api import expect

    page = await context.new_page()
    await page.goto(f"{demo.url}/#user={_ids(demo)[name]}")
    await expect(page.locator("#chat-name")).to_have_text(name)
    return page


async def _signed_in(context: Any, demo: Demo, name: str) -> Any:
    """The persona list's "open the console as …" link, then 继续: the console's home page."""
    from playwright.async_api import expect

    chat = await _chat(context, demo, name)
    async with context.expect_page() as opened:
        await chat.get_by_role("link", name=f"以{name}身份打开办公后台").click()
    console = await opened.value
    await expect(console.locator("main")).to_contain_text(f"以{name}身份继续")
    await console.get_by_role("button", name="继续").click()
    await expect(console.locator("h1")).to_contain_text(f"欢迎，{name}")
    await chat.close()
    return console


def _nav(console: Any, label: str) -> Any:
    return console.locator("header nav").get_by_role("link", name=label, exact=True)


# --- 1. a ticket from the board to done, with a photo ---------------------------------------
async def test_staff_work_a_ticket_from_the_board_to_done_with_a_photo(demo, tmp_path):
    from playwright.async_api import expect

    photo = tmp_path / "lift-fixed.png"
    photo.write_bytes(_png())
    async with _chromium() as context:
        console = await _signed_in(context, demo, "陈师傅")
        await _nav(console, "工单").click()
        await expect(console.locator("h1")).to_have_text("工单")
        board = console.locator(".board")
        await expect(board).to_contain_text("1栋电梯运行时有异响")  # 王芳's, new
        await expect(board).to_contain_text("2栋门前的绿篱很久没修剪了")  # 李娜's, acknowledged
        await console.screenshot(path=str(SHOTS / "console-ticket-board.png"), full_page=True)

        await board.get_by_role("link", name="#1", exact=True).click()
        await expect(console.locator("h1")).to_contain_text("工单 #1")
        await expect(console.locator("#ticket")).to_contain_text("报事人：王芳")
        await expect(console.locator("#ticket")).to_contain_text("尚未指派")

        # Assigned to a colleague if the compound has one, else to themselves.
        options = [o.strip() for o in await console.locator("#assignee option").all_inner_texts()]
        assert "陈师傅" in options, options
        assignee = next((o for o in options if o != "陈师傅"), "陈师傅")
        await console.locator("#assignee").select_option(label=assignee)
        await console.get_by_role("button", name="指派", exact=True).click()
        await expect(console.locator(".notice")).to_contain_text("工单已指派")
        await expect(console.locator("#ticket")).to_contain_text(f"负责人：{assignee}")

        await console.get_by_role("button", name="开始处理", exact=True).click()
        await expect(console.locator("#ticket")).to_contain_text("状态：处理中")

        # Done, with a photo of the fixed state and a note for the resident.
        finish = console.locator("#finish")
        await finish.locator("#photo").set_input_files(str(photo))
        await finish.locator("#caption").fill("已更换电梯导靴，运行正常。")
        await finish.get_by_role("button", name="标记完成").click()
        await expect(console.locator(".notice")).to_contain_text("工单已标记完成")
        await expect(console.locator("#ticket")).not_to_contain_text("状态：处理中")
        await expect(console.locator("#finish")).to_have_count(0)
        picture = console.locator("#photos img")
        await expect(picture).to_have_count(1)
        await expect(picture).to_have_js_property("complete", True)
        assert await picture.evaluate("img => img.naturalWidth") > 0  # fetched from the Bot API
        await expect(console.locator("#history")).to_contain_text("已更换电梯导靴")
        await console.screenshot(path=str(SHOTS / "console-ticket.png"), full_page=True)

        # The reporter is asked in the bot, with the photo, to confirm.
        reporter = await _chat(context, demo, "王芳")
        told = reporter.locator(".message", has_text="您的工单 #1 已处理完毕")
        await expect(told).to_have_count(1)
        await expect(told.locator("img")).to_have_count(1)
        await expect(told.get_by_role("button", name="已修好，确认")).to_be_visible()


# --- 2. a bank statement uploaded and its unmatched row booked -------------------------------
async def _open_bill(demo: Demo, building: str, unit: str, room: str) -> Decimal:
    """The first open bill of a demo home: what its owner would transfer."""
    runtime = demo.runtime
    assert runtime is not None
    today = runtime.clock.now().astimezone(runtime.settings.tz).date()
    async with unit_of_work(runtime.sessions) as session:
        home = (
            await session.exec(
                select(col(Household.id))
                .join(Building, col(Building.id) == col(Household.building_id))
                .join(Compound, col(Compound.id) == col(Household.compound_id))
                .where(col(Compound.name) == "幸福家园", col(Building.name) == building)
                .where(col(Household.unit) == unit, col(Household.room) == room)
            )
        ).one()
        bills = await billing.open_bills(session, home or 0, today)
    assert bills, "the demo home has no open bill"
    return Decimal(bills[0].remaining)


def _statement(amount: Decimal) -> bytes:
    """A statement as 工行 exports it: title lines, the header, two incoming transfers (one
    naming 1栋1单元101 in its memo, one naming no home), an outgoing one, the totals, GBK."""
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            ["中国工商银行账户历史明细"],
            ["户名：幸福家园物业服务中心（演示）"],
            ["账号：6222 0210 0999 0001"],
            ["起止日期：2026-11-01 至 2026-11-30"],
            [
                "交易日期",
                "摘要",
                "对方户名",
                "借方发生额",
                "贷方发生额",
                "余额",
                "附言",
                "交易流水号",
            ],
            ["2026/11/05", "网银转入", "徐丽", "", f"{amount}", "", "1栋1单元101物业费", "E2E001"],
            ["2026/11/06", "转账支出", "武汉水务", "80.00", "", "", "水费", "E2E002"],
            ["2026/11/07", "网银转入", "陈晓东", "", "66.00", "", "转账", "E2E003"],
            ["合计", "", "", "80.00", f"{amount + Decimal('66.00')}", "", "", ""],
            ["打印时间：2026-12-01 09:00:00"],
        ]
    )
    return out.getvalue().encode("gbk")


async def test_a_clerk_uploads_a_bank_statement_and_books_the_row_no_home_matched(demo, tmp_path):
    from playwright.async_api import expect

    amount = await _open_bill(demo, "1栋", "1单元", "101")
    statement = tmp_path / "工行明细.csv"
    statement.write_bytes(_statement(amount))
    async with _chromium() as context:
        console = await _signed_in(context, demo, "陈师傅")
        await _nav(console, "银行流水").click()
        upload = console.locator("#upload")
        await expect(upload.locator("#compound option:checked")).to_have_text("幸福家园")
        await upload.locator("#file").set_input_files(str(statement))
        await upload.get_by_role("button", name="上传并入账").click()
        # the job's page refreshes itself until the statement is booked
        await expect(console.locator("#done")).to_contain_text("幸福家园", timeout=30_000)
        await expect(console.locator("#booked")).to_have_text("1")
        await expect(console.locator("#unmatched")).to_have_text("1")
        await expect(console.locator("#ambiguous")).to_have_text("0")
        await expect(console.locator("#already")).to_have_text("0")
        summary = console.locator("#summary")
        await expect(summary).to_contain_text(f"¥{amount:,.2f}")
        await expect(summary).to_contain_text("转账")
        await console.screenshot(path=str(SHOTS / "console-statement-result.png"), full_page=True)

        await console.get_by_role("link", name="处理待认领的银行来账").click()
        await expect(console.locator("h1")).to_have_text("待认领的银行来账")
        row = console.locator("section.card", has_text="E2E003")
        await expect(row).to_contain_text("陈晓东")
        await expect(row).to_contain_text("¥66.00")
        await expect(console.locator("main")).not_to_contain_text("E2E001")  # matched already
        await row.get_by_label("输入房号").fill("2栋1单元302")
        await console.screenshot(path=str(SHOTS / "console-statement-review.png"), full_page=True)
        await row.get_by_role("button", name="入账", exact=True).click()
        answered = console.locator("#answered")
        await expect(answered).to_contain_text("2栋 1单元 302")
        await expect(answered).to_contain_text("¥66.00")
        await expect(console.locator("#none")).to_be_visible()  # nothing waits any more


# --- 3. a batch of paper ballots -------------------------------------------------------------
async def _codes_not_voted(demo: Demo, count: int) -> dict[str, str]:
    """The printed codes of `count` homes of the open vote that have not voted (each its own
    voter), by home."""
    runtime = demo.runtime
    assert runtime is not None
    async with unit_of_work(runtime.sessions) as session:
        printed = await vote_documents.paper_ballots(session, None, 1, now=runtime.clock.now())
        keys = dict(
            (
                await session.exec(
                    select(col(EligibleHome.household_id), col(EligibleHome.voter_key)).where(
                        col(EligibleHome.poll_id) == 1
                    )
                )
            ).all()
        )
        voted = set(
            (
                await session.exec(select(col(Ballot.voter_key)).where(col(Ballot.poll_id) == 1))
            ).all()
        )
    assert printed.poll.title == "1栋加装电梯"
    chosen: dict[str, str] = {}
    for home in printed.homes:
        key = keys[home.household_id]
        if key not in voted:
            chosen[home.label] = home.code
            voted.add(key)
        if len(chosen) == count:
            return chosen
    raise AssertionError("the demo's vote has too few homes that have not voted")


def _typo(code: str) -> str:
    return code[:-1] + ("A" if code[-1] != "A" else "B")


async def test_a_committee_member_enters_a_batch_of_paper_ballots(demo):
    from playwright.async_api import expect

    codes = await _codes_not_voted(demo, 3)
    (first, a), (second, b), (third, c) = codes.items()
    async with _chromium() as context:
        console = await _signed_in(context, demo, "张建国")
        await _nav(console, "业主表决").click()
        await console.locator("#votes").get_by_role("link", name="1栋加装电梯").click()
        await expect(console.locator("h1")).to_contain_text("1栋加装电梯")
        await expect(console.locator("#turnout")).to_contain_text("参与表决的人数：0 /")
        await console.get_by_role("link", name="录入纸质选票").click()
        await expect(console.locator("h1")).to_have_text("录入纸质选票")

        # Checked with a typo on the second line: the problem is shown on its line.
        lines = console.locator("#lines")
        await lines.fill(f"{a} 同意\n反对 {_typo(b)}\n{c}")
        await console.locator("#default").select_option(label="同意")
        await console.get_by_role("button", name="检查这批选票").click()
        checked = console.locator("#checked")
        await expect(checked).to_contain_text("共 3 行 · 可录入：2 · 有问题：1")
        await expect(console.locator("#line-1")).to_contain_text(first)
        await expect(console.locator("#line-1")).to_contain_text("可以录入")
        await expect(console.locator("#line-2")).to_have_class(re.compile(r"\bproblem\b"))
        await expect(console.locator("#line-2")).to_contain_text("不是有效的纸质选票编码")
        await expect(console.locator("#line-3")).to_contain_text(third)
        await expect(lines).to_have_value(f"{a} 同意\n反对 {_typo(b)}\n{c}")
        await console.screenshot(path=str(SHOTS / "console-paper-ballots.png"), full_page=True)

        # Fixed, checked again, then entered.
        await lines.fill(f"{a} 同意\n反对 {b}\n{c}")
        await console.get_by_role("button", name="检查这批选票").click()
        await expect(checked).to_contain_text("共 3 行 · 可录入：3 · 有问题：0")
        await expect(console.locator("#line-2")).to_contain_text(second)
        await expect(console.locator("#line-2")).to_contain_text("反对")
        await console.get_by_role("button", name="录入已检查的选票（3）").click()
        entered = console.locator("#entered")
        await expect(entered).to_contain_text("已录入纸质选票：3")
        for home in (first, second, third):
            await expect(entered).to_contain_text(home)
        await expect(console.locator("#checked")).to_have_count(0)
        await expect(lines).to_have_value("")  # nothing is left to fix

        # The vote's page: the turnout counts the three homes (never their choices).
        await console.get_by_role("link", name="表决 #1：1栋加装电梯").click()
        turnout = console.locator("#turnout")
        await expect(turnout).to_contain_text("参与表决的人数：3 /")
        await expect(turnout).not_to_contain_text("同意")
        await console.screenshot(path=str(SHOTS / "console-vote-turnout.png"), full_page=True)


# --- 4. KPIs drilled down and the report downloaded ------------------------------------------
async def test_the_district_officer_drills_down_the_kpis_and_downloads_the_report(demo):
    from openpyxl import load_workbook
    from playwright.async_api import expect

    async with _chromium() as context:
        console = await _signed_in(context, demo, "周科长")
        await _nav(console, "指标").click()
        heading = console.locator("h1")
        await expect(heading).to_contain_text("月报：江岸区")
        month = re.fullmatch(r"(\d{4})年(\d{1,2})月月报：江岸区", await heading.inner_text())
        assert month, await heading.inner_text()
        iso = f"{month[1]}-{int(month[2]):02d}"
        await expect(console.locator("img.chart")).to_have_js_property("complete", True)
        # down the district, one level at a time, by the rows of the table below
        for name in ("后湖街道", "幸福社区", "幸福家园"):
            await console.locator("table.children").get_by_role("link", name=name).click()
            await expect(heading).to_have_text(f"{month[1]}年{month[2]}月月报：{name}")
        trail = console.locator("nav.trail")
        await expect(trail).to_contain_text("江岸区")
        await expect(trail).to_contain_text("后湖街道")
        await expect(console.locator("table.kpis")).to_contain_text("收费率")
        await expect(console.locator("main")).to_contain_text("第一网格")  # the compound's grids
        chart = console.locator("img.chart")
        await expect(chart).to_have_js_property("complete", True)
        assert await chart.evaluate("img => img.naturalWidth") > 0
        await console.screenshot(path=str(SHOTS / "console-kpi.png"), full_page=True)

        async with console.expect_download() as started:
            await console.get_by_role("link", name="信息月报（PDF）").click()
        report = await started.value
        assert report.suggested_filename == f"幸福家园-{iso}-信息月报.pdf"
        path = await report.path()
        assert path.read_bytes().startswith(b"%PDF-")

        async with console.expect_download() as started:
            await console.get_by_role("link", name="指标工作簿（XLSX）").click()
        workbook = await started.value
        assert workbook.suggested_filename == f"幸福家园-{iso}-月度指标.xlsx"
        book = load_workbook(io.BytesIO((await workbook.path()).read_bytes()))
        assert any(
            row and row[0] == "幸福家园"
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
        )


# --- 5. the roster: errors shown by row, fixed, applied; the invite cards downloaded ---------
def _roster(area: str) -> bytes:
    """The office's roster as Chinese Excel saves "CSV (逗号分隔)": GBK, a title line; three new
    homes of a new building 9栋, one area as typed by hand."""
    from tests.test_roster_files import CHINESE

    header = list(CHINESE)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["幸福家园业主名册（2026年12月）"])
    writer.writerow([CHINESE[k] for k in header])
    for room, size in (("101", "88.00"), ("102", area), ("201", "96.40")):
        row = dict.fromkeys(header, "")
        row.update(
            city="武汉市",
            district="江岸区",
            sub_district="后湖街道",
            community="幸福社区",
            compound="幸福家园",
            building="9栋",
            unit="1单元",
            room=room,
            registered_area=size,
            grid="第一网格",
            owner_name="新业主",
            owner_phone="13900000000",
            developer_unit="否",
        )
        writer.writerow([row[k] for k in header])
    return out.getvalue().encode("gbk")


async def test_an_administrator_fixes_and_applies_a_roster_and_prints_its_invites(demo, tmp_path):
    from playwright.async_api import expect

    bad, good = tmp_path / "名册.csv", tmp_path / "名册（改）.csv"
    bad.write_bytes(_roster("九十平"))
    good.write_bytes(_roster("90.50"))
    async with _chromium() as context:
        console = await _signed_in(context, demo, "孙管理")
        await _nav(console, "花名册").click()
        await console.locator("#file").set_input_files(str(bad))
        await console.get_by_role("button", name="检查文件").click()
        await expect(console.locator("#problems")).to_contain_text("九十平")
        await expect(console.locator("main")).to_contain_text("第 4 行")
        await expect(console.get_by_role("button", name="导入这份花名册")).to_have_count(0)
        await console.screenshot(path=str(SHOTS / "console-roster-problems.png"), full_page=True)
        await console.locator("#file").set_input_files(str(good))
        await console.get_by_role("button", name="检查文件").click()
        await expect(console.locator("main")).to_contain_text("文件读取没有问题")
        await console.screenshot(path=str(SHOTS / "console-roster-preview.png"), full_page=True)
        await console.get_by_role("button", name="导入这份花名册").click()
        await expect(console.locator("main")).to_contain_text("新增 3 户", timeout=60_000)
        await console.get_by_role("link", name="邀请卡").first.click()
        await console.locator("#home").fill("9-1-102")
        await console.get_by_role("button", name="生成邀请码").click()
        await expect(console.locator("main")).to_contain_text("2 个邀请码", timeout=60_000)
        async with console.expect_download() as downloading:
            await console.get_by_role("link", name="邀请卡（PDF）").click()
        card = await downloading.value
        saved = tmp_path / "cards.pdf"
        await card.save_as(str(saved))
        assert saved.read_bytes().startswith(b"%PDF")
        assert "9栋 1单元 102" in subprocess_pdftotext(saved)
        await console.screenshot(path=str(SHOTS / "console-invites.png"), full_page=True)


def subprocess_pdftotext(path: Path) -> str:
    from tests.utils.pdf import pdf_text

    return pdf_text(path.read_bytes())
