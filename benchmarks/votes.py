"""Voting benchmarks.

1. The tally of a 10,000-household compound (every owner counted, 8,000 ballots, some changed,
   some on paper): `services.vote_records.tally` against the bare database aggregate over the same rows
   (reference), median of several runs. Target: ≤ 200 ms.
2. 1,000 owners voting in a burst through the emulator (/vote, open the card, tap 同意: 3 updates
   each), next to the PTB echo bot answering the same number of messages.

`BENCH_DATABASE_URL=postgresql://... python -m benchmarks.votes` runs it on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import func, insert
from sqlmodel import col, select

from benchmarks.common import (
    LoadResult,
    database_url,
    fresh_schema,
    report,
    start_polling,
    stop_polling,
)
from benchmarks.help_start import TOKEN, echo_baseline
from core.clock import SystemClock
from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from emulator import BotApiEmulator
from handlers.app import build_application
from handlers.context import UnitOfWorkProcessor
from models import (
    Ballot,
    Building,
    City,
    Community,
    Compound,
    District,
    EligibleVoter,
    Household,
    Membership,
    Poll,
    Resident,
    SubDistrict,
    pk,
)
from services import vote_ballots, vote_lifecycle, vote_records

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "10000"))
VOTERS = int(os.environ.get("BENCH_VOTERS", "1000"))
CHUNK = 1000


async def seed_compound(runtime: Runtime, households: int, owners: list[int] = ()) -> int:  # type: ignore[assignment]
    """A compound of `households` homes in 20-storey buildings; the first len(owners) homes get an
    owner registered in the bot (Telegram ids given). Returns the compound id."""
    now = runtime.clock.now()
    rng = random.Random(7)
    async with unit_of_work(runtime.sessions) as session:
        city = City(name="武汉市")
        session.add(city)
        await session.flush()
        district = District(city_id=pk(city), name="江岸区")
        session.add(district)
        await session.flush()
        sub = SubDistrict(district_id=pk(district), name="后湖街道")
        session.add(sub)
        await session.flush()
        community = Community(sub_district_id=pk(sub), name="百步亭社区")
        session.add(community)
        await session.flush()
        compound = Compound(community_id=pk(community), name="百步亭花园")
        session.add(compound)
        await session.flush()
        per_building = 200
        buildings = []
        for index in range((households + per_building - 1) // per_building):
            building = Building(compound_id=pk(compound), name=f"{index + 1}栋")
            session.add(building)
            buildings.append(building)
        await session.flush()
        rows = [
            {
                "building_id": buildings[i // per_building].id,
                "compound_id": compound.id,
                "unit": f"{(i % per_building) // 100 + 1}单元",
                "room": f"{(i % 100) // 4 + 1}{i % 4 + 1:02d}",
                "floor": (i % 100) // 4 + 1,
                "registered_area": Decimal(rng.randint(6000, 14000)) / 100,
                "developer_unit": i % 500 == 499,
            }
            for i in range(households)
        ]
        for start in range(0, len(rows), CHUNK):
            await session.exec(insert(Household).values(rows[start : start + CHUNK]))
        compound_id = pk(compound)
    if owners:
        async with unit_of_work(runtime.sessions) as session:
            homes = (
                await session.exec(
                    select(col(Household.id))
                    .where(col(Household.compound_id) == compound_id)
                    .where(col(Household.developer_unit).is_(False))
                    .order_by(col(Household.id))
                    .limit(len(owners))
                )
            ).all()
            people = [
                {
                    "telegram_id": t,
                    "display_name": f"业主{t}",
                    "language": "zh_Hans",
                    "consent_at": now,
                    "created_at": now,
                }
                for t in owners
            ]
            for start in range(0, len(people), CHUNK):
                await session.exec(insert(Resident).values(people[start : start + CHUNK]))
            ids = (
                await session.exec(
                    select(col(Resident.id))
                    .where(col(Resident.telegram_id).between(min(owners), max(owners)))
                    .order_by(col(Resident.telegram_id))
                )
            ).all()
            memberships = [
                {"resident_id": r, "household_id": h, "kind": "owner", "created_at": now}
                for r, h in zip(ids, homes, strict=True)
            ]
            for start in range(0, len(memberships), CHUNK):
                await session.exec(insert(Membership).values(memberships[start : start + CHUNK]))
    return compound_id


async def open_poll(runtime: Runtime, compound_id: int) -> int:
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        poll = await vote_lifecycle.draft(
            session,
            None,
            compound_id=compound_id,
            title="使用维修资金更换电梯",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=now + timedelta(days=22),
            now=now,
            matter="special",
            special_item=6,
        )
        poll_id = pk(poll)
    async with unit_of_work(runtime.sessions) as session:
        await vote_lifecycle.open_due(session, now=now + timedelta(days=15, minutes=1))
    return poll_id


async def tally_benchmark(url: str) -> str:
    runtime = Runtime.create(Settings(DATABASE_URL=url, _env_file=None), SystemClock())
    try:
        compound_id = await seed_compound(runtime, HOUSEHOLDS)
        started = time.perf_counter()
        poll_id = await open_poll(runtime, compound_id)
        snapshot = time.perf_counter() - started
        rng = random.Random(11)
        now = runtime.clock.now()
        async with unit_of_work(runtime.sessions) as session:
            keys = (
                await session.exec(
                    select(col(EligibleVoter.voter_key)).where(
                        col(EligibleVoter.poll_id) == poll_id
                    )
                )
            ).all()
            ballots = []
            for index, key in enumerate(rng.sample(list(keys), int(len(keys) * 0.8))):
                choice = rng.choices(["agree", "disagree", "abstain"], [0.8, 0.15, 0.05])[0]
                ballots.append(
                    {
                        "poll_id": poll_id,
                        "voter_key": key,
                        "version": 1,
                        "choice": [choice],
                        "channel": "paper" if index % 20 == 0 else "bot",
                        "cast_at": now,
                        "receipt_hash": f"{index:064x}",
                        "flagged": False,
                    }
                )
                if index % 10 == 0:  # a tenth changed their mind once
                    ballots.append(
                        {
                            **ballots[-1],
                            "version": 2,
                            "choice": ["agree"],
                            "channel": "bot",
                            "receipt_hash": f"{index + 10**6:064x}",
                        }
                    )
            for start in range(0, len(ballots), CHUNK):
                await session.exec(insert(Ballot).values(ballots[start : start + CHUNK]))

        async def ours() -> float:
            async with unit_of_work(runtime.sessions) as session:
                poll = await session.get(Poll, poll_id)
                started = time.perf_counter()
                assert poll is not None
                result = await vote_records.tally(session, poll)
                elapsed = time.perf_counter() - started
            assert result["headcount"]["total"] == str(len(keys))
            return elapsed

        async def reference() -> float:
            async with unit_of_work(runtime.sessions) as session:
                started = time.perf_counter()
                await session.exec(
                    select(func.count(), func.sum(col(EligibleVoter.area))).where(
                        col(EligibleVoter.poll_id) == poll_id
                    )
                )
                await session.exec(
                    select(func.count(), func.count(func.distinct(col(Ballot.voter_key)))).where(
                        col(Ballot.poll_id) == poll_id
                    )
                )
                return time.perf_counter() - started

        await ours()  # warm up
        mine = statistics.median([await ours() for _ in range(7)])
        base = statistics.median([await reference() for _ in range(7)])
    finally:
        await runtime.close()
    return (
        f"tally: {HOUSEHOLDS} households, {len(keys)} headcount units, {len(ballots)} ballot rows\n"
        f"snapshot at opening           {snapshot * 1000:8.1f} ms\n"
        f"vote_records.tally (median)   {mine * 1000:8.1f} ms   (target ≤ 200 ms)\n"
        f"bare SQL aggregate (reference){base * 1000:8.1f} ms\n"
        f"ratio (ours / reference): {mine / base:.1f}x"
    )


async def burst(emulator: BotApiEmulator, users: list, url: str) -> LoadResult:
    settings = Settings(
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=emulator.base_url,
        TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        DATABASE_URL=url,
        _env_file=None,
    )
    runtime = Runtime.create(settings, SystemClock())
    compound_id = await seed_compound(runtime, max(VOTERS * 2, 2000), [u.id for u in users])
    poll_id = await open_poll(runtime, compound_id)
    async with unit_of_work(runtime.sessions) as session:  # open now, for the burst
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        poll.closes_at = runtime.clock.now() + timedelta(days=7)
    app = build_application(runtime)
    done: dict[int, asyncio.Event] = {}
    cast(UnitOfWorkProcessor, app.update_processor).on_done.append(
        lambda update_id: done.setdefault(update_id, asyncio.Event()).set()
    )
    await start_polling(app)
    latencies: list[float] = []

    async def step(act) -> None:
        started = time.perf_counter()
        update_id = act()
        await asyncio.wait_for(done.setdefault(update_id, asyncio.Event()).wait(), 300)
        latencies.append(time.perf_counter() - started)

    async def one(user) -> None:
        await step(lambda: user.send("/vote"))
        await step(lambda: user.press_button(f"#{poll_id}"))
        await step(lambda: user.press_button("同意"))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one(u) for u in users))
    finally:
        elapsed = time.perf_counter() - started
        await stop_polling(app, emulator)
    async with unit_of_work(runtime.sessions) as session:
        found = await session.get(Poll, poll_id)
        assert found is not None
        counted = await vote_ballots.counted_ballots(session, found)
    await runtime.close()
    assert len(counted) == len(users), f"{len(counted)} ballots for {len(users)} owners"
    return LoadResult(
        f"Red Property voting ({len(users)} owners)", len(latencies), elapsed, latencies
    )


async def main() -> None:
    url = database_url()
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    await fresh_schema(url)
    print(f"[{backend}] " + await tally_benchmark(url))
    await fresh_schema(url)
    async with BotApiEmulator(token=TOKEN, bot_username="BenchBot") as emulator:
        users = [
            emulator.add_user(first_name=f"业主{i}", language_code="zh-hans") for i in range(VOTERS)
        ]
        baseline = await echo_baseline(emulator, users)
        ours = await burst(emulator, users, url)
    title = f"[{backend}] burst: {VOTERS} owners each voting (/vote, open, 同意: 3 updates)"
    print(report(title, baseline, ours))


if __name__ == "__main__":
    asyncio.run(main())
