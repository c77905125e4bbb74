"""KPI benchmark: the city roll-up of the monthly report (信息月报) for 500 compounds × 500 households.

The seeding script below builds one city (5 districts, 25 sub-districts, 100 communities, 50
property companies, 2 grids per compound, 250,000 households) with a month of activity and the
month before it: tickets (6 % of homes, some escalated, most rated), one bill per home per month
(80 % paid), survey answers (45 % of homes), 100 owners' votes with their eligibility snapshot
and ballots, and notices acknowledged (10 % of homes).

Measured: `services.kpi.report` for the whole city (every level: city, district, sub-district,
community, company, grid, compound; this month and the month before), then the PNG chart and the
XLSX workbook. Reference, same run: one bare `SELECT count(*)` over every household row and every
bill of the month (the floor for any report that reads the month's data at all).

`BENCH_DATABASE_URL=postgresql://... python -m benchmarks.kpi` (the issue's target is on
PostgreSQL: ≤ 5 s for all levels). BENCH_COMPOUNDS / BENCH_HOMES change the size.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, text
from sqlmodel import col, select

from benchmarks.common import database_url, fresh_schema
from core.clock import FakeClock
from core.db import unit_of_work
from core.i18n import translator
from core.runtime import Runtime
from core.settings import Settings
from models import (
    Ballot,
    Bill,
    Building,
    City,
    Community,
    Compound,
    District,
    EligibleHome,
    FeeSchedule,
    Grid,
    Household,
    Notice,
    NoticeAck,
    Poll,
    PropertyCompany,
    Resident,
    SubDistrict,
    SurveyAnswer,
    Ticket,
    pk,
)
from services import kpi
from views.kpi import chart, workbook

COMPOUNDS = int(os.environ.get("BENCH_COMPOUNDS", "500"))
HOMES = int(os.environ.get("BENCH_HOMES", "500"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH, BEFORE = "2026-10", "2026-09"
CHUNK = 5000
SERVICES = ("cleaning", "greening", "order", "repair", "facility")


async def _insert(session, model, rows) -> None:
    connection = await session.connection()
    for start in range(0, len(rows), CHUNK):  # executemany: SQLAlchemy batches the rows
        await connection.execute(insert(model), rows[start : start + CHUNK])


async def seed(runtime: Runtime) -> int:
    """The city; returns its id."""
    rng = random.Random(2019)
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        city = City(name="武汉市")
        session.add(city)
        await session.flush()
        districts = [
            District(city_id=pk(city), name=n)
            for n in ("江岸区", "江汉区", "硚口区", "汉阳区", "武昌区")
        ]
        session.add_all(districts)
        await session.flush()
        subs = [
            SubDistrict(district_id=pk(districts[i % 5]), name=f"第{i + 1}街道") for i in range(25)
        ]
        session.add_all(subs)
        await session.flush()
        communities = [
            Community(sub_district_id=pk(subs[i % 25]), name=f"第{i + 1}社区") for i in range(100)
        ]
        session.add_all(communities)
        await session.flush()
        companies = [PropertyCompany(name=f"第{i + 1}物业公司") for i in range(50)]
        session.add_all(companies)
        await session.flush()
        models = ("professional", "self_help", "public_welfare", "guided", "none")
        compounds = [
            Compound(
                community_id=pk(communities[i % 100]),
                name=f"小区{i + 1}",
                company_id=companies[i % 50].id,
                service_model=models[i % 5],
            )
            for i in range(COMPOUNDS)
        ]
        session.add_all(compounds)
        await session.flush()
        grids = [
            Grid(community_id=c.community_id, name=f"{c.name}网格{j + 1}")
            for c in compounds
            for j in range(2)
        ]
        buildings = [
            Building(compound_id=pk(c), name=f"{j + 1}栋") for c in compounds for j in range(5)
        ]
        session.add_all([*grids, *buildings])
        await session.flush()
        schedules = [
            FeeSchedule(
                compound_id=pk(c),
                price_per_m2=Decimal("1.50"),
                due_day=15,
                starts_on=date(2026, 1, 1),
                created_at=now,
            )
            for c in compounds
        ]
        session.add_all(schedules)
        await session.flush()
        await _insert(
            session,
            Household,
            [
                {
                    "building_id": buildings[c * 5 + h * 5 // HOMES].id,
                    "compound_id": compounds[c].id,
                    "grid_id": grids[c * 2 + h * 2 // HOMES].id,
                    "unit": "1单元",
                    "room": f"{h + 1}",
                    "registered_area": Decimal(rng.randint(6000, 14000)) / 100,
                }
                for c in range(COMPOUNDS)
                for h in range(HOMES)
            ],
        )
        homes = (
            await session.exec(
                select(col(Household.id), col(Household.compound_id)).order_by(col(Household.id))
            )
        ).all()
        residents = [
            {"display_name": f"居民{c}", "created_at": now, "consent_at": now}
            for c in range(COMPOUNDS)
        ]
        await _insert(session, Resident, residents)
        resident_ids = (
            await session.exec(select(col(Resident.id)).order_by(col(Resident.id)))
        ).all()
        schedule_of = {s.compound_id: s.id for s in schedules}
        reporter_of = {pk(c): int(resident_ids[i] or 0) for i, c in enumerate(compounds)}
        for month in (BEFORE, MONTH):
            start = datetime(int(month[:4]), int(month[5:]), 1, 9, tzinfo=SHANGHAI)
            due = date(int(month[:4]), int(month[5:]), 15)
            bills, answers, tickets = [], [], []
            for home, compound_id in homes:
                amount = Decimal(rng.randint(9000, 21000)) / 100
                paid = amount if rng.random() < 0.8 else Decimal(0)
                bills.append(
                    {
                        "schedule_id": schedule_of[compound_id],
                        "household_id": home,
                        "compound_id": compound_id,
                        "period_start": due.replace(day=1),
                        "period_end": due.replace(day=28),
                        "days": 28,
                        "period_days": 28,
                        "months": 1,
                        "area": Decimal("100.00"),
                        "price_per_m2": Decimal("1.50"),
                        "gross": amount,
                        "subsidy": Decimal(0),
                        "amount": amount,
                        "paid": paid,
                        "paid_off": paid == amount,
                        "due_date": due,
                        "created_at": now,
                    }
                )
                if rng.random() < 0.45:
                    answers.append(
                        {
                            "household_id": home,
                            "compound_id": compound_id,
                            "month": month,
                            "overall": rng.choice((2, 3, 4, 4, 5, 5)),
                            "answered_at": start,
                            **{s: rng.choice((1, 3, 4, 4, 5, 5)) for s in SERVICES},
                        }
                    )
                if rng.random() < 0.06:
                    tickets.append(
                        {
                            "compound_id": compound_id,
                            "household_id": home,
                            "category": rng.choice(SERVICES),
                            "reporter_id": reporter_of[compound_id],
                            "status": "closed",
                            "created_at": start + timedelta(minutes=rng.randint(0, 60 * 24 * 27)),
                            "escalation_level": 0 if rng.random() < 0.9 else 1,
                            "rating": rng.choice((None, 3, 4, 5, 5)),
                        }
                    )
            await _insert(session, Bill, bills)
            await _insert(session, SurveyAnswer, answers)
            await _insert(session, Ticket, tickets)
        # 100 votes of the month, each over one compound, about 60 % turnout.
        for index in range(100):
            compound = compounds[index * (COMPOUNDS // 100 or 1) % COMPOUNDS]
            opened = datetime(2026, 10, 10, 9, tzinfo=SHANGHAI)
            poll = Poll(
                compound_id=pk(compound),
                title=f"表决{index}",
                notice_at=opened - timedelta(days=15),
                opens_at=opened,
                closes_at=opened + timedelta(days=7),
                status="closed",
                created_at=now,
            )
            session.add(poll)
            await session.flush()
            eligible = [h for h, c in homes if c == compound.id]
            await _insert(
                session,
                EligibleHome,
                [{"poll_id": poll.id, "household_id": h, "voter_key": f"h{h}"} for h in eligible],
            )
            await _insert(
                session,
                Ballot,
                [
                    {
                        "poll_id": poll.id,
                        "voter_key": f"h{h}",
                        "choice": ["agree"],
                        "cast_at": opened + timedelta(hours=rng.randint(1, 160)),
                        "receipt_hash": f"{poll.id}-{h}",
                    }
                    for h in eligible
                    if rng.random() < 0.6
                ],
            )
        notices = [
            Notice(
                compound_id=pk(c),
                sender_id=reporter_of[pk(c)],
                status="sent",
                text="通知",
                created_at=datetime(2026, 10, 3, tzinfo=SHANGHAI),
            )
            for c in compounds
        ]
        session.add_all(notices)
        await session.flush()
        notice_of = {n.compound_id: n.id for n in notices}
        acked = [(h, c) for h, c in homes if rng.random() < 0.1]
        first = (await session.exec(select(func.max(col(Resident.id))))).one() or 0
        await _insert(
            session,
            Resident,
            [{"display_name": f"住户{h}", "created_at": now, "consent_at": now} for h, _c in acked],
        )
        await _insert(
            session,
            NoticeAck,
            [
                {
                    "notice_id": notice_of[c],
                    "resident_id": first + 1 + i,
                    "household_id": h,
                    "at": datetime(2026, 10, 4, 12, tzinfo=SHANGHAI),
                }
                for i, (h, c) in enumerate(acked)
            ],
        )
        city_id = pk(city)
    if runtime.engine.dialect.name == "postgresql":
        async with runtime.sessions() as session:
            await (await session.connection()).execute(text("ANALYZE"))
            await session.commit()
    return city_id


async def main() -> None:
    url = database_url()
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    await fresh_schema(url)
    clock = FakeClock(datetime(2026, 11, 1, 8, 0, tzinfo=SHANGHAI))
    runtime = Runtime.create(Settings(DATABASE_URL=url, _env_file=None), clock)
    try:
        started = time.perf_counter()
        city_id = await seed(runtime)
        seeded = time.perf_counter() - started
        timings = []
        for _run in range(3):
            async with runtime.sessions() as session:
                started = time.perf_counter()
                report = await kpi.report(session, "city", city_id, "武汉市", MONTH, SHANGHAI)
                timings.append(time.perf_counter() - started)
        async with runtime.sessions() as session:
            started = time.perf_counter()
            homes = (await session.exec(select(func.count()).select_from(Household))).one()
            bills = (
                await session.exec(
                    select(func.count())
                    .select_from(Bill)
                    .where(col(Bill.due_date) >= date(2026, 10, 1))
                )
            ).one()
            reference = time.perf_counter() - started
        _ = translator("zh_Hans")
        started = time.perf_counter()
        png = chart(report, _)
        png_time = time.perf_counter() - started
        started = time.perf_counter()
        xlsx = workbook(report, _)
        xlsx_time = time.perf_counter() - started
    finally:
        await runtime.close()
    total = report.total.current
    best = min(timings)
    rows = sum(len(units) for units in report.levels.values())
    print(
        f"[{backend}] kpi: {COMPOUNDS} compounds × {HOMES} households = {homes:,} homes, {bills:,} bills this month, "
        f"seeded in {seeded:.0f} s\n"
        f"city roll-up, all levels ({rows:,} rows)  best {best:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in timings)})\n"
        f"bare count(*) reference      {reference:6.2f} s   ratio {best / reference:.1f}x\n"
        f"PNG chart                    {png_time:6.2f} s   {len(png) / 1024:.0f} KiB\n"
        f"XLSX workbook                {xlsx_time:6.2f} s   {len(xlsx) / 1024:.0f} KiB\n"
        f"check: participation {total.engaged:,}/{total.households:,}, satisfaction {total.satisfied:,}/{total.answers:,}, "
        f"collection {total.paid}/{total.billed}, tickets {total.tickets:,}"
    )


if __name__ == "__main__":
    asyncio.run(main())
