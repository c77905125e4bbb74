"""KPIs and notices in the office console, signed in through the bot: a district officer drills
from the district down to one compound, the figures the same as the report's, and downloads the
workbook and the 信息月报; nobody opens a place outside their roles; a notice's delivery and
acknowledgement figures and the households it did not reach."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from console.downloads import disposition
from models import AuditEvent, Compound, Resident, Role
from services import billing, kpi, payments
from services.places import resolve_scope
from tests.utils.console import Browser, link_in
from views.surveys import SurveyScore

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2026-11"


async def _signed_in(person, browser: Browser):
    await person.send("/console")
    page = await browser.open(link_in(person.last_text))
    page = await browser.submit(page.form("/signin"))
    assert page.status == 200, page.text
    return page


async def _district(world, tmp_path):
    """幸福家园 (60 homes, professional service; two survey answers through the bot, a month's
    bills, one paid in full and one in part) and 和平里 (1 home, no service model)."""
    await world.seed_roster()
    homes = [await world.household_id("1栋", "1单元", room) for room in ("101", "102")]
    await world.seed_other_compound(tmp_path)
    happy_owner, unhappy_owner = world.user("徐丽"), world.user("高静")
    await world.onboard(happy_owner, "1栋 1单元 101", "owner")
    await world.onboard(unhappy_owner, "1栋 1单元 102", "owner")
    for person, overall in ((happy_owner, 5), (unhappy_owner, 2)):
        await person.press_data(SurveyScore(MONTH, 5, overall).pack())
        await person.press_data(SurveyScore(MONTH, 0, 4).pack())  # cleaning
    now = world.clock.now()
    async with world.session() as session:
        happy = (await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))).one()
        happy.service_model = "professional"
        await billing.create_schedule(
            session,
            None,
            compound_id=happy.id,
            price_per_m2=Decimal("1.00"),
            period="monthly",
            due_day=15,
            starts_on=date(2026, 11, 1),
            now=now,
        )
        await billing.generate_bills(session, today=date(2026, 11, 2), now=now)
        for home, amount, reference in ((homes[0], "89.50", "k1"), (homes[1], "18.36", "k2")):
            await payments.record_payment(
                session,
                None,
                household_id=home,
                amount=Decimal(amount),
                method="cash",
                reference=reference,
                paid_on=date(2026, 11, 2),
                now=now,
            )


async def _report(world, scope: str):
    async with world.session() as session:
        place = await resolve_scope(session, scope)
        found = await kpi.report(session, place.kind, place.id, place.name, MONTH, SHANGHAI)
    return place, found.total.current


def _row(page, name: str) -> str:
    """The text of the first table row that starts with `name`, its cells joined by spaces."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page.html, re.S):
        cells = [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        if cells and cells[0].startswith(name):
            return " ".join(cells)
    raise AssertionError(f"no row {name!r} on {page.url}")


async def test_a_district_officer_drills_down_to_a_compound_and_downloads_the_report(
    world, console, tmp_path
):
    await _district(world, tmp_path)
    officer = world.user("周科长")
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    async with Browser() as browser:
        page = await _signed_in(officer, browser)
        assert "月度指标" in page.text or "指标" in page.text
        page = await browser.open(page.link("指标"))
        assert page.status == 200
        assert "2026年10月月报：江岸区" in page.text  # last month by default
        page = await browser.open(page.link("后一个月"))  # the current one, not complete yet
        assert "2026年11月月报：江岸区" in page.text
        _district_place, figures = await _report(world, "district:江岸区")
        assert (figures.covered, figures.compounds) == (1, 2)
        assert (figures.satisfied, figures.answers) == (1, 2)
        assert "覆盖率 50.00% 1 / 2" in _row(page, "覆盖率")
        assert "满意率 50.00% 1 / 2" in _row(page, "满意率")
        assert f"参与率 3.28% 2 / {figures.households}" in _row(page, "参与率")
        assert "武汉市" not in page.text.split("2026年11月月报")[0]  # no way up to the city
        assert '<img class="chart"' in page.html
        # down: the sub-district, its community, then the compound
        for name in ("后湖街道", "幸福社区", "幸福家园"):
            page = await browser.open(page.link(name))
            assert page.status == 200 and f"2026年11月月报：{name}" in page.text, name
        assert [label for _href, label in page.links if label in ("江岸区", "后湖街道")] == [
            "江岸区",
            "后湖街道",
        ]
        compound, here = await _report(world, "compound:幸福家园")
        assert (here.paid, here.billed) == (Decimal("107.86"), figures.billed)
        assert "¥107.86 / ¥" in _row(page, "收费率")
        assert f"2 / {here.households}" in _row(page, "参与率")
        assert "第一网格" in page.text  # the compound's grids
        chart = await browser.http.get(page.url.replace("/kpi?", "/kpi/chart.png?"))
        assert chart.status == 200 and chart.content_type == "image/png"
        assert (await chart.read())[:4] == b"\x89PNG"

        async with browser.http.get(_absolute(page, page.link("XLSX"))) as response:
            assert response.status == 200
            assert response.content_type == (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            name = quote(f"幸福家园-{MONTH}-月度指标.xlsx")
            assert f"filename*=UTF-8''{name}" in response.headers["Content-Disposition"]
            assert response.headers["Content-Disposition"].startswith("attachment; filename=")
            book = load_workbook(io.BytesIO(await response.read()))
        sheet = book["小区"]
        header = [c.value for c in sheet[1]]
        row = [c.value for c in sheet[2]]
        assert row[0] == "幸福家园"
        assert row[header.index("收费率分子")] == pytest.approx(107.86)
        assert row[header.index("收费率分母")] == pytest.approx(float(here.billed))
        assert row[header.index("满意率分子")] == 1 and row[header.index("满意率分母")] == 2

        async with browser.http.get(_absolute(page, page.link("PDF"))) as response:
            assert response.status == 200 and response.content_type == "application/pdf"
            assert (
                quote(f"幸福家园-{MONTH}-信息月报.pdf") in response.headers["Content-Disposition"]
            )
            assert (await response.read())[:5] == b"%PDF-"
        async with browser.http.get(_absolute(page, page.link("Word"))) as response:
            assert response.status == 200
            assert response.content_type.endswith("wordprocessingml.document")
            assert (await response.read())[:2] == b"PK"

        # a place outside the officer's district, and forged places
        async with world.session() as session:
            city = await resolve_scope(session, "city:武汉市")
        for forged, status in (
            (f"city:{city.id}", 403),
            ("compound:99999", 403),
            ("compound:幸福家园", 404),
            ("planet:1", 404),
            ("district:-1", 404),
        ):
            page = await browser.open(f"/kpi?place={quote(forged)}&month={MONTH}")
            assert page.status == status, (forged, page.text)
        page = await browser.open(f"/kpi?month=2026-13&place=compound:{compound.id}")
        assert page.status == 400 and "例如 2026-10" in page.text


def _absolute(page, href: str) -> str:
    from urllib.parse import urljoin

    return urljoin(page.url, href)


async def test_a_city_officer_drills_from_the_city_and_climbs_back(world, console, tmp_path):
    await _district(world, tmp_path)
    officer = world.user("钱处长")
    await world.join_as(officer, Role.OFFICER, "city:武汉市")
    async with Browser() as browser:
        await _signed_in(officer, browser)
        page = await browser.open(f"/kpi?month={MONTH}")
        assert "2026年11月月报：武汉市" in page.text
        assert _row(page, "江岸区").startswith("江岸区 50.00% 1 / 2")  # coverage of the district
        for name in ("江岸区", "后湖街道", "幸福社区", "幸福家园"):
            page = await browser.open(page.link(name))
            assert f"2026年11月月报：{name}" in page.text
        trail = page.html.split('<nav class="trail"')[1].split("</nav>")[0]
        assert [n for n in ("武汉市", "江岸区", "后湖街道", "幸福社区") if n in trail] == [
            "武汉市",
            "江岸区",
            "后湖街道",
            "幸福社区",
        ]
        page = await browser.open(page.link("武汉市"))
        assert "2026年11月月报：武汉市" in page.text
        for language, words in (("en", "Coverage"), ("zh_Hant", "覆蓋率")):
            async with world.session() as session:
                me = (
                    await session.exec(
                        select(Resident).where(col(Resident.display_name) == "钱处长")
                    )
                ).one()
                me.language = language
            page = await browser.open(page.url)
            assert page.status == 200 and words in page.text and "武汉市" in page.text
            assert _row(page, "江岸区").startswith("江岸区 50.00% 1 / 2"), language


def test_a_downloaded_files_name_is_safe_and_keeps_its_chinese():
    name = disposition('幸福"家园\r\n/../x;.xlsx')
    assert "\r" not in name and "\n" not in name and "/" not in name.split("filename*=")[0]
    assert name.startswith('attachment; filename="') and "filename*=UTF-8''" in name
    assert quote("幸福") in name and name.count('"') == 2


async def test_a_compound_administrator_sees_the_compound_only(world, console, tmp_path):
    await _district(world, tmp_path)
    admin = world.user("孙管理")
    await world.join_as(admin, Role.ADMIN)
    async with world.session() as session:
        district = await resolve_scope(session, "district:江岸区")
        other = await resolve_scope(session, "compound:和平里")
    async with Browser() as browser:
        await _signed_in(admin, browser)
        page = await browser.open(f"/kpi?month={MONTH}")
        assert page.status == 200 and "2026年11月月报：幸福家园" in page.text
        assert "江岸区" not in page.text
        for place in (f"district:{district.id}", f"compound:{other.id}"):
            for path in ("/kpi", "/kpi/workbook.xlsx", "/kpi/report.pdf", "/kpi/chart.png"):
                page = await browser.open(f"{path}?place={place}&month={MONTH}")
                assert page.status == 403 and "只能查看本辖区" in page.text, (path, place)
    async with Browser() as stranger:
        page = await stranger.open(f"http://127.0.0.1:{console.port}/kpi?month={MONTH}")
        assert page.status == 401


async def _notice_sent(world):
    """A liaison's notice to all residents through the bot: three residents, one has blocked the
    bot, one reads it."""
    await world.seed_roster()
    reader, silent, gone = world.user("王芳"), world.user("李娜"), world.user("赵三")
    await world.onboard(reader, "1栋 1单元 101", "owner")
    await world.onboard(silent, "2栋 1单元 302", "tenant")
    await world.onboard(gone, "3栋 1单元 201", "owner")
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    await liaison.send("/notice")
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    await liaison.send("明天 9:00–12:00 停水 <b>请储水</b>")
    await liaison.press("是，请求确认阅读")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    world.block(gone)
    await world.deliver()
    await reader.press("我已阅读")
    assert "已记录" in reader.last_text
    return liaison


async def test_notices_show_delivery_and_acknowledgement_and_who_was_not_reached(
    world, console, clock
):
    liaison = await _notice_sent(world)
    clock.advance(timedelta(days=3))  # past the grace for reading it
    async with Browser() as browser:
        page = await _signed_in(liaison, browser)
        page = await browser.open(page.link("通知"))
        assert page.status == 200 and "幸福家园" in page.text
        row = _row(page, "#1")
        assert "停水 <b>请储水</b>" in row  # what the liaison typed, shown as text
        assert "<b>请储水" not in page.html and "&lt;b&gt;请储水" in page.html
        assert "全体住户" in row and " 3 0 2 1 1" in row, row
        page = await browser.open(page.link("停水"))
        assert page.status == 200
        for figure, value in (("已送达", 2), ("已屏蔽机器人", 1), ("已读", 1), ("发送中", 0)):
            assert _row(page, figure) == f"{figure} {value}"
        assert "未送达的住户：59 / 60 户" in page.text
        assert _row(page, "3栋 1单元 201").endswith("已屏蔽机器人")  # blocked the bot
        assert _row(page, "2栋 1单元 302").endswith("未确认阅读")  # reached, not read
        assert _row(page, "1栋 1单元 102") == "1栋 1单元 102 高静 13807784483 无人注册"
        assert "1栋 1单元 101" not in page.text  # it was read
        assert "刘书记" in page.text  # the liaison who knocks on those doors
        async with browser.http.get(_absolute(page, page.link("XLSX"))) as response:
            assert response.status == 200
            assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
            book = load_workbook(io.BytesIO(await response.read()))
        assert book.active is not None and book.active.max_row == 60  # 59 homes and the header
        async with browser.http.get(_absolute(page, page.link("PDF"))) as response:
            assert response.status == 200 and response.content_type == "application/pdf"
            assert quote("幸福家园-敲门走访清单-1.pdf") in response.headers["Content-Disposition"]
            assert (await response.read())[:5] == b"%PDF-"
        page = await browser.open("/notices/99999")
        assert page.status == 404
        page = await browser.open("/notices/x")
        assert page.status == 404
        page = await browser.open("/notices?compound=99999")
        assert page.status == 403
    async with world.session() as session:
        reads = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    assert {"not_reached", "door_list"} <= {r.details["what"] for r in reads}


async def test_another_compounds_administrator_cannot_read_the_notice(world, console, tmp_path):
    await _notice_sent(world)
    await world.seed_other_compound(tmp_path)
    other = world.user("吴管理")
    await world.join_as(other, Role.ADMIN, "compound:和平里")
    async with Browser() as browser:
        page = await _signed_in(other, browser)
        page = await browser.open("/notices")
        assert page.status == 200 and "和平里" in page.text and "停水" not in page.text
        for path in ("/notices/1", "/notices/1/not-reached.xlsx", "/notices/1/door-list.pdf"):
            page = await browser.open(path)
            assert page.status == 403, path
        async with world.session() as session:
            happy = await resolve_scope(session, "compound:幸福家园")
        page = await browser.open(f"/notices?compound={happy.id}")
        assert page.status == 403
