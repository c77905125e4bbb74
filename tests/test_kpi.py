"""The four KPIs on a small city computed by hand: every numerator and denominator exact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from models import Compound, Grid, Resident, SurveyAnswer, Ticket
from services import billing, kpi, payments
from services.places import resolve_scope

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _city(world, tmp_path):
    """幸福家园 (60 homes, professional service) and 和平里 (1 home, no service model yet)."""
    await world.seed_roster()
    homes = [await world.household_id("1栋", "1单元", room) for room in ("101", "102", "201")]
    other_home = await world.household_id("2栋", "1单元", "101")
    await world.seed_other_compound(tmp_path)
    now = world.clock.now()
    async with world.session() as session:
        happy = (await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))).one()
        happy.service_model = "professional"
        person = Resident(telegram_id=1, display_name="x", created_at=now, consent_at=now)
        session.add(person)
        await session.flush()
        for home, overall, cleaning in zip(homes, (5, 4, 2), (3, 4, 5), strict=True):
            session.add(
                SurveyAnswer(
                    household_id=home,
                    compound_id=happy.id,
                    month="2026-11",
                    overall=overall,
                    cleaning=cleaning,
                    answered_at=now,
                )
            )
        session.add(
            SurveyAnswer(
                household_id=homes[0],
                compound_id=happy.id,
                month="2026-10",
                overall=1,
                answered_at=now,
            )
        )
        for home, escalated, rating in (
            (homes[0], 0, 4),
            (other_home, 1, None),
            (None, 0, None),  # a common-area ticket: no home, still a ticket of the compound
        ):
            session.add(
                Ticket(
                    compound_id=happy.id,
                    household_id=home,
                    category="repair",
                    reporter_id=person.id,
                    created_at=datetime(2026, 11, 3, 2, 0, tzinfo=UTC),
                    escalation_level=escalated,
                    rating=rating,
                )
            )
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
        await payments.record_payment(
            session,
            None,
            household_id=homes[0],
            amount=Decimal("89.50"),
            method="cash",
            reference="k1",
            paid_on=date(2026, 11, 2),
            now=now,
        )
        await payments.record_payment(
            session,
            None,
            household_id=homes[1],
            amount=Decimal("18.36"),
            method="cash",
            reference="k2",
            paid_on=date(2026, 11, 2),
            now=now,
        )
        return homes


async def test_each_kpi_on_a_hand_computed_city(world, tmp_path):
    await _city(world, tmp_path)
    async with world.session() as session:
        happy = (await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))).one()
        # A compound whose homes are not loaded yet still counts in coverage.
        session.add(
            Compound(community_id=happy.community_id, name="新建小区", service_model="professional")
        )
        await session.commit()
        city = await resolve_scope(session, "city:武汉市")
        report = await kpi.report(session, "city", city.id, "武汉市", "2026-11", SHANGHAI)
        total = report.total
        open_amounts = [await billing.outstanding(session, h) for h in range(1, 61)]
        billed = sum(open_amounts, Decimal(0))
    now, before = total.current, total.previous
    assert (now.covered, now.compounds) == (2, 3)  # 和平里 has no service model yet
    assert (now.engaged, now.households) == (4, 61)  # 3 answers + 2 tickets, one home in both
    assert (now.satisfied, now.answers, now.score_sum) == (2, 3, 11) and now.mean_score == Decimal(
        11
    ) / 3
    assert now.services["cleaning"] == [3, 2, 12]  # 3 answers, 2 of them 4 or 5, sum 12
    assert (now.on_time, now.tickets, now.rated, now.rating_sum) == (2, 3, 1, 4)
    assert now.paid == Decimal("107.86") and now.billed == billed + Decimal("107.86")
    assert (now.homes_paid, now.homes_billed) == (1, 60)  # 101 paid in full, 102 in part
    assert (before.answers, before.satisfied, before.tickets, before.billed) == (1, 0, 0, 0)
    assert before.collection is None and before.sla is None  # no data, not a division by zero
    community = report.levels["community"][0]
    assert community.current.compounds == 3 and len(report.levels["compound"]) == 3
    grids = {u.name: u.current for u in report.levels["grid"]}
    assert grids["第一网格"].answers == 3 and grids["第三网格"].households == 1
    assert kpi.stars(now) == 3  # 66.67 % satisfied … see the README's formula


async def test_an_empty_scope_has_no_data_not_errors(world, tmp_path):
    await _city(world, tmp_path)
    async with world.session() as session:
        grid = (await session.exec(select(Grid).where(col(Grid.name) == "第三网格"))).one()
        report = await kpi.report(session, "grid", grid.id, "第三网格", "2026-09", SHANGHAI)
    figures = report.total.current
    assert figures.households == 1
    assert None in (figures.satisfaction,) and figures.collection is None and figures.sla is None
    assert kpi.stars(figures) is None


async def test_places_can_be_named_in_pinyin_on_a_latin_keyboard(world):
    """`bot.py report --scope district:Jiang'an`: the usual reading of the name, with or without
    its 区/市/街道 or an English place word; a reading two places share is refused with both."""
    import pytest

    from models import City, District
    from services.errors import DomainError

    await world.seed_roster()
    async with world.session() as session:
        for text, name in (
            ("city:Wuhan", "武汉市"),
            ("district:Jiang'an", "江岸区"),
            ("district:jiang’an district", "江岸区"),
            ("district:JIANGANQU", "江岸区"),
            ("sub_district:Houhu Street", "后湖街道"),
            ("community:xingfu", "幸福社区"),
            ("compound:Xingfu Jiayuan", "幸福家园"),
        ):
            assert (await resolve_scope(session, text)).name == name, text
        with pytest.raises(DomainError) as missing:
            await resolve_scope(session, "district:Atlantis")
        assert missing.value.msgid == "No {kind} named {name!r}."

        wuhan = (await session.exec(select(City).where(col(City.name) == "武汉市"))).one()
        session.add(District(city_id=wuhan.id, name="江安县"))  # also "Jiang'an"
        await session.flush()
        with pytest.raises(DomainError) as twice:
            await resolve_scope(session, "district:Jiang'an")
        assert "江岸区" in twice.value.params["ids"] and "江安县" in twice.value.params["ids"]
        assert (
            await resolve_scope(session, "district:江岸区")
        ).name == "江岸区"  # Chinese stays exact
