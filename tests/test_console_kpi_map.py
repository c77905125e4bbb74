"""The KPI map in the console: an administrator sets compounds' coordinates on the command line
(`admin compound-location`); the city officer's KPI page draws the compounds in view as dots
coloured by the chosen KPI, with a legend, each a link down to the compound's own report; the
compounds without coordinates are listed as not on the map. Bad coordinates and a forged KPI
are refused; names are escaped; a compound's own page has no map."""

from __future__ import annotations

import asyncio
import re
from html import unescape
from urllib.parse import unquote

import pytest
from sqlmodel import col, select

from models import AuditEvent, Compound, Role
from services.compound_location import parse_location
from services.errors import DomainError
from services.kpi_map import band, project
from tests.test_cli import _cli
from tests.test_console_kpi import MONTH, _district, _signed_in
from tests.utils.console import Browser, Form, Page


def _dots(page: Page) -> dict[str, str]:
    """Each compound's dot on the map: its name → its band."""
    svg = page.html.split('<svg xmlns="http://www.w3.org/2000/svg"')[1].split("</svg>")[0]
    found = re.findall(r'data-band="([^"]+)">.*?<text[^>]*>([^<]*?) [^ <]*</text>', svg, re.S)
    return {name: shown for shown, name in found}


async def _locate(monkeypatch, database_url: str, *argv: str) -> int:
    return await asyncio.to_thread(
        _cli, monkeypatch, database_url, "admin", "compound-location", *argv
    )


def test_coordinates_are_read_as_a_map_app_copies_them():
    assert parse_location("30.6355 114.3005") == (30.6355, 114.3005)
    assert parse_location(" 30.6355，114.3005 ") == (30.6355, 114.3005)
    assert parse_location("30.63551234, 114.30059999") == (30.635512, 114.3006)
    for bad in ("", "30.6", "91 0", "0 181", "abc def", "NaN 1", "1 2 3", "Infinity 0"):
        with pytest.raises(DomainError):
            parse_location(bad)
    assert [band(None), band(0), band(0.2), band(0.5), band(0.79), band(1)] == [
        None,
        0,
        1,
        2,
        3,
        4,
    ]
    # north up, east right, one scale for both axes, inside the box
    (w_x, w_y), (e_x, e_y) = project([(30.60, 114.20), (30.70, 114.40)])
    assert w_x < e_x and w_y > e_y and all(0 <= v <= 640 for v in (w_x, e_x, w_y, e_y))
    assert project([(30.6, 114.3), (30.6, 114.3)]) == [(320.0, 210.0), (320.0, 210.0)]


async def test_the_city_sees_its_compounds_on_a_map_coloured_by_a_kpi(
    world, console, tmp_path, monkeypatch, database_url, capsys
):
    await _district(world, tmp_path)
    officer = world.user("钱处长")
    await world.join_as(officer, Role.OFFICER, "city:武汉市")
    assert await _locate(monkeypatch, database_url, "幸福家园", "30.6355", "114.3005") == 0
    assert "幸福家园 is on the map at latitude 30.635500, longitude 114.300500." in (
        capsys.readouterr().out
    )
    for bad in (["幸福家园", "91", "0"], ["幸福家园", "abc"], ["没有的小区", "30", "114"]):
        assert await _locate(monkeypatch, database_url, *bad) == 1, bad
    assert await _locate(monkeypatch, database_url, "幸福家园") == 2  # neither place nor --clear
    assert await _locate(monkeypatch, database_url, "幸福家园", "1", "2", "--clear") == 2
    err = capsys.readouterr().err
    assert "latitude from -90 to 90" in err and "--clear" in err
    async with Browser() as browser:
        await _signed_in(officer, browser)
        page = await browser.open(f"/kpi?month={MONTH}")
        assert page.status == 200 and 'id="map"' in page.html
        assert _dots(page) == {"幸福家园": "4"}  # coverage: a service model, 100 %
        missing = page.html.split('id="not-on-map"')[1].split("</p>")[0]
        assert "和平里" in missing and "1 个小区没有坐标" in missing
        assert "80.00%及以上" in page.text and "无数据" in page.text  # the legend

        assert await _locate(monkeypatch, database_url, "和平里", "30.6400，114.3100") == 0
        page = await browser.open(page.url)
        assert _dots(page) == {"幸福家园": "4", "和平里": "0"}
        assert 'id="not-on-map"' not in page.html
        page = await browser.submit(page.form("/kpi"), map="satisfaction")
        assert page.status == 200 and "小区地图：满意率" in page.text
        assert _dots(page) == {"幸福家园": "2", "和平里": "none"}  # 1 of 2 answers; no answers
        # a dot is a link down to that compound's own report
        async with world.session() as session:
            happy = (
                await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))
            ).one()
        link = next(
            unescape(h)
            for h, _label in page.links
            if unquote(unescape(h)).find(f"place=compound:{happy.id}&") > 0 and "map=" in h
        )
        page = await browser.open(link)
        assert page.status == 200 and "2026年11月月报：幸福家园" in page.text
        assert 'id="map"' not in page.html  # a compound's own page has no map
        for forged in ("magic", "<script>", "homes_collection"):
            page = await browser.open(f"/kpi?month={MONTH}&map={forged}")
            assert page.status == 400 and "地图可选范围" in page.text, forged
            assert "<script>" not in page.html

        async with world.session() as session:  # a hostile name is text on the map
            other = (
                await session.exec(select(Compound).where(col(Compound.name) == "和平里"))
            ).one()
            other.name = '<script>alert("x")</script>'
        page = await browser.open(f"/kpi?month={MONTH}")
        assert "<script>alert" not in page.html and "&lt;script&gt;" in page.html

        assert await _locate(monkeypatch, database_url, str(other.id), "--clear") == 0
        page = await browser.open(f"/kpi?month={MONTH}")
        assert _dots(page) == {"幸福家园": "4"} and 'id="not-on-map"' in page.html
    async with world.session() as session:
        events = (
            await session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "compound.location")
            )
        ).all()
    assert [e.details.get("latitude") for e in events] == [30.6355, 30.64, None]


async def test_a_district_officer_drills_down_only_where_their_role_reaches(
    world, console, tmp_path, monkeypatch, database_url
):
    await _district(world, tmp_path)
    for name, where in (("幸福家园", "30.6355 114.3005"), ("和平里", "30.64 114.31")):
        assert await _locate(monkeypatch, database_url, name, where) == 0
    officer = world.user("周科长")
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    admin = world.user("孙管理")
    await world.join_as(admin, Role.ADMIN)
    async with Browser() as browser:
        await _signed_in(officer, browser)
        page = await browser.open(f"/kpi?month={MONTH}")
        assert "2026年11月月报：江岸区" in page.text
        assert set(_dots(page)) == {"幸福家园", "和平里"}
        svg = page.html.split('class="map"')[1].split("</svg>")[0]
        assert svg.count("<a href=") == 2
    async with Browser() as browser:  # a compound's administrator: their compound's page only
        await _signed_in(admin, browser)
        page = await browser.open(f"/kpi?month={MONTH}")
        assert "2026年11月月报：幸福家园" in page.text and 'id="map"' not in page.html


async def test_an_administrator_sets_where_the_compound_is_in_the_console(world, console, tmp_path):
    await _district(world, tmp_path)
    admin, staff, officer = world.user("孙管理"), world.user("陈师傅"), world.user("周科长")
    await world.join_as(admin, Role.ADMIN)
    await world.join_as(staff, Role.STAFF)
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    async with world.session() as session:
        other = (await session.exec(select(Compound).where(col(Compound.name) == "和平里"))).one()
    async with Browser() as browser:
        page = await _signed_in(admin, browser)
        page = await browser.open(page.link("花名册"))
        page = await browser.open(page.link("小区位置"))
        assert page.status == 200 and "幸福家园" in page.text and "未在地图上" in page.text
        assert "和平里" not in page.text  # not this administrator's compound
        form = page.form("/roster/locations/1")
        for bad in ("abc", "91 0", '<script>alert("x")</script>'):
            page = await browser.submit(form, location=bad, do="save")
            assert page.status == 400 and "请以度为单位给出纬度和经度" in page.text, bad
            assert 'id="error-location-1"' in page.html and "<script>alert" not in page.html
        assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in page.html
        page = await browser.submit(form, location="30.6355,114.3005", do="save")
        assert page.status == 200 and "已保存" in page.text
        assert "纬度 30.635500，经度 114.300500" in page.text
        forged = Form(form.action.replace("/locations/1", f"/locations/{other.id}"), "post")
        forged.fields = dict(form.fields)
        assert (await browser.submit(forged, location="30 114", do="save")).status == 403
        forged.action = form.action.replace("/locations/1", "/locations/99999")
        assert (await browser.submit(forged, location="30 114", do="save")).status == 404
    async with Browser() as browser:  # staff keep no roster
        page = await _signed_in(staff, browser)
        assert (await browser.open("/roster/locations")).status == 403
        form.fields["form_token"] = page.html.split('name="form_token" value="')[1].split('"')[0]
        page = await browser.submit(form, location="0 0", do="clear")
        assert page.status == 403
    async with Browser() as browser:  # the district's map has the dot
        await _signed_in(officer, browser)
        page = await browser.open(f"/kpi?month={MONTH}")
        assert _dots(page) == {"幸福家园": "4"}
    async with Browser() as browser:
        await _signed_in(admin, browser)
        page = await browser.open("/roster/locations")
        page = await browser.submit(page.form("/roster/locations/1"), do="clear")
        assert page.status == 200 and "未在地图上" in page.text
    async with world.session() as session:
        happy = await session.get(Compound, 1)
        assert happy is not None and happy.latitude is None
        events = (
            await session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "compound.location")
            )
        ).all()
    assert len(events) == 2 and all(e.actor_id is not None for e in events)
