"""A bill run from the office console, as a job: "Run the bills now" answers at once with the
job's page, which refreshes itself and says how many homes are billed so far, then what the run
made; the bills are made a few hundred homes per unit of work, and a second run makes none.
Staff, another site's form and another person's job address are refused."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any

from sqlmodel import col, func, select

from core.db import insert_many
from models import AuditEvent, Bill, Building, Household, Role
from services import console_fees
from tests.test_console import _signed_in
from tests.test_fees import _people, _set_fee
from tests.utils.console import Browser, Page


async def _follow(browser: Browser, page: Page, seen: list[str] | None = None) -> Page:
    """Reload the job's page as it asks until the run is done; the progress lines seen."""
    for _ in range(1000):
        if 'http-equiv="refresh"' not in page.html:
            return page
        if seen is not None:
            found = re.search(r'id="progress">([^<]*)<', page.html)
            assert found, page.text
            seen.append(found.group(1))
        await asyncio.sleep(0.01)
        page = await browser.open(page.url)
        assert page.status == 200, page.text
    raise AssertionError("the bill run never ended")


async def _run(browser: Browser, seen: list[str] | None = None) -> Page:
    page = await browser.open("/fees/schedules")
    assert page.status == 200, page.text
    page = await browser.submit(page.form("/bills"))
    assert page.status == 200 and "/fees/schedules/jobs/" in page.url, page.text
    return await _follow(browser, page, seen)


async def _bills(world) -> tuple[int, int, Decimal]:
    async with world.session() as session:
        bills, homes, amount = (
            await session.exec(
                select(
                    func.count(col(Bill.id)),
                    func.count(col(Bill.household_id).distinct()),
                    func.coalesce(func.sum(col(Bill.amount)), 0),
                )
            )
        ).one()
    return int(bills), int(homes), Decimal(amount)


async def test_an_administrator_runs_the_bills_and_follows_the_job(world, console):
    admin, _owner, _tenant, staff = await _people(world)
    await _set_fee(admin)
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await _run(browser)
        bills, homes, amount = await _bills(world)
        assert bills == 60 and homes == 60 and amount == Decimal("5156.04")
        assert page.status == 200 and "幸福家园" in page.text
        assert "60 张账单" in page.text and "60 户" in page.text and "¥5,156.04" in page.text
        job = page.url
        assert (await browser.open(job)).status == 200  # a reload of a finished job: the same
        page = await _run(browser)  # again: nothing more
        assert "没有生成新账单" in page.text
        assert await _bills(world) == (60, 60, Decimal("5156.04"))
        schedules = await browser.open("/fees/schedules")
        form = schedules.form("/bills")
        browser.origin = "https://evil.example.com"
        page = await browser.submit(form)
        assert page.status == 403 and "不是从办公后台" in page.text
    async with world.session() as session:
        runs = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "fee.bill_run"))
        ).all()
        assert [r.details.get("bills") for r in runs] == [60, 0]
    other = world.user("另一位管理员")
    await world.join_as(other, Role.ADMIN)
    async with Browser() as browser:  # another person's session: the job is not theirs
        await _signed_in(world, other, browser)
        assert (await browser.open(job)).status == 404
        assert (await browser.open("/fees/schedules/jobs/nosuchjob")).status == 404
    async with Browser() as browser:  # staff record payments but do not set fees
        await _signed_in(world, staff, browser)
        assert (await browser.open("/fees/schedules")).status == 403
        assert (await browser.open(job)).status == 404
        token = (await browser.open("/fees/payments")).html
        token = token.split('name="form_token" value="')[1].split('"')[0]
        form.fields["form_token"] = token
        page = await browser.submit(form)
        assert page.status == 403
    assert (await _bills(world))[0] == 60


async def test_a_large_compound_shows_its_progress_home_by_home(world, console, monkeypatch):
    admin, _owner, _tenant, _staff = await _people(world)
    async with world.session() as session:
        building = (
            await session.exec(select(Building).where(col(Building.compound_id) == 1))
        ).first()
        assert building is not None
        rows = [
            {
                "building_id": building.id,
                "compound_id": 1,
                "unit": "9单元",
                "room": str(1000 + n),
                "registered_area": Decimal("90.00"),
            }
            for n in range(1200)
        ]
        await insert_many(session, Household, rows)
        await session.commit()
    await _set_fee(admin)
    made = console_fees.bill_part

    async def slowly(*args: Any, **kwargs: Any) -> int:  # a part takes a moment, as on a city
        await asyncio.sleep(0.03)
        return await made(*args, **kwargs)

    monkeypatch.setattr(console_fees, "bill_part", slowly)
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        seen: list[str] = []
        page = await _run(browser, seen)
        bills, homes, _amount = await _bills(world)
        assert bills == homes == 1260
        assert f"{bills:,} 张账单" in page.text and "1,260 户" in page.text
        between = [s for s in seen if re.search(r"已完成 [1-9][\d,]* 户，共 1,260 户", s)]
        assert between and all("共 1,260 户" in s for s in seen), seen
        page = await _run(browser)
        assert "没有生成新账单" in page.text
    assert (await _bills(world))[0] == 1260
