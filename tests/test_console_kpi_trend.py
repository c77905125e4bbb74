"""The KPI trend on the console's KPI page: the four KPIs of the place in view for the six months
to the shown one, each with its numerator and denominator (the monthly report's own figures,
month by month), a link to each month, and the chart of them; refused outside the viewer's
area, and for a malformed month."""

from __future__ import annotations

import re
from html import unescape
from zoneinfo import ZoneInfo

from models import Role
from services import kpi
from services.places import resolve_scope
from tests.test_console_kpi import MONTH, _district, _signed_in
from tests.utils.console import Browser, Page

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _trend_rows(page: Page) -> dict[str, list[str]]:
    """The trend table: month (as in the address) → its cells as text."""
    table = page.html.split('id="trend"')[1].split("</table>")[0]
    rows = {}
    for month, row in re.findall(r'<tr data-month="([^"]+)"[^>]*>(.*?)</tr>', table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows[month] = [" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells]
    return rows


async def test_the_trend_is_the_monthly_reports_month_by_month(world, tmp_path):
    await _district(world, tmp_path)
    async with world.session() as session:
        place = await resolve_scope(session, "district:江岸区")
        months = kpi.months_to(MONTH, 6)
        assert months == ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")
        assert kpi.months_to("2026-02", 3) == ("2025-12", "2026-01", "2026-02")
        points = await kpi.trend(session, place.kind, place.id, months, SHANGHAI)
        for month in ("2026-10", "2026-11"):
            report = await kpi.report(session, place.kind, place.id, place.name, month, SHANGHAI)
            shown = dict(points)[month]
            for name in ("covered", "compounds", "engaged", "households", "paid", "billed"):
                assert getattr(shown, name) == getattr(report.total.current, name), (month, name)
            assert (shown.satisfied, shown.answers) == (
                report.total.current.satisfied,
                report.total.current.answers,
            )
        grid = await resolve_scope(session, "grid:第一网格")
        [(_month, of_grid)] = await kpi.trend(session, grid.kind, grid.id, (MONTH,), SHANGHAI)
        report = await kpi.report(session, grid.kind, grid.id, grid.name, MONTH, SHANGHAI)
        assert of_grid.households == report.total.current.households


async def test_an_officer_sees_six_months_of_the_four_kpis(world, console, tmp_path):
    await _district(world, tmp_path)
    officer = world.user("周科长")
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    async with Browser() as browser:
        await _signed_in(officer, browser)
        page = await browser.open(f"/kpi?month={MONTH}")
        assert page.status == 200 and "近 6 个月" in page.text
        rows = _trend_rows(page)
        assert list(rows) == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
        now = rows["2026-11"]
        assert now[0] == "2026年11月"
        assert now[1] == "50.00% 1 / 2"  # coverage
        assert now[4] == "50.00% 1 / 2"  # satisfaction: one of two answers
        assert now[3] == "1.76% ¥107.86 / ¥6,138.20"  # fee collection, money
        assert rows["2026-10"][4] == "暂无数据 0 / 0"  # no survey that month
        # each month is a link to its own report
        page = await browser.open(page.link("2026年9月"))
        assert page.status == 200 and "2026年9月月报：江岸区" in page.text
        assert list(_trend_rows(page))[-1] == "2026-09"
        chart = await browser.http.get(page.url.replace("/kpi?", "/kpi/trend.png?"))
        assert chart.status == 200 and chart.content_type == "image/png"
        assert (await chart.read())[:4] == b"\x89PNG"
        async with world.session() as session:
            city = await resolve_scope(session, "city:武汉市")
        base = page.url.split("/kpi?")[0]
        for query, status in (
            (f"place=city:{city.id}&month={MONTH}", 403),
            ("place=planet:1", 404),
            (f"month=2026-13&place=city:{city.id}", 400),
            ("month=<script>", 400),
        ):
            async with browser.http.get(f"{base}/kpi/trend.png?{query}") as response:
                assert response.status == status, query
                assert "<script>" not in await response.text()


def test_a_place_named_with_dollar_signs_is_drawn_as_text():
    """A name is data: a pair of $ in it is not matplotlib's mathtext (which would refuse it)."""
    from datetime import date

    from core.i18n import translator
    from services.kpi import Figures
    from views.kpi import trend_chart

    picture = trend_chart(r"A$\frac{$B", [(date(2026, 11, 1), Figures())], translator("en"))
    assert picture[:4] == b"\x89PNG"
