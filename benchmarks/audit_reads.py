"""Audit of a 5,000-home sheet: building the not-voted rows of every home (the sheet's own query),
then recording its read with one subject row per home, against the old count-only event; and a
person's "who read my data" lookup after a year of such reads.

    BENCH_HOMES=5000 BENCH_READS=365 python -m benchmarks.audit_reads
"""

from __future__ import annotations

import asyncio
import os
import time

from sqlmodel import col, select

from benchmarks.common import database_url, fresh_schema
from benchmarks.votes import seed_compound
from core.clock import SystemClock
from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from models import Household
from services import audit
from services.actors import Actor, HouseholdTie
from services.personal_data import reads_of
from services.vote_records import _homes

HOMES = int(os.environ.get("BENCH_HOMES", "5000"))
READS = int(os.environ.get("BENCH_READS", "365"))


async def main() -> None:
    url = database_url()
    await fresh_schema(url)
    runtime = Runtime.create(Settings(DATABASE_URL=url, _env_file=None), clock=SystemClock())
    try:
        compound = await seed_compound(runtime, HOMES, owners=[900_000])
        async with runtime.sessions() as session:
            ids = [
                home or 0
                for home in (
                    await session.exec(
                        select(col(Household.id)).where(col(Household.compound_id) == compound)
                    )
                ).all()
            ]
        now = runtime.clock.now()

        started = time.perf_counter()
        async with unit_of_work(runtime.sessions) as session:
            rows = await _homes(session, ids)
        sheet = time.perf_counter() - started

        started = time.perf_counter()
        async with unit_of_work(runtime.sessions) as session:
            audit.record(
                session,
                at=now,
                actor_id=None,
                action="people.read",
                subject_type="poll",
                what="not_voted",
                homes=len(rows),
            )
        count_only = time.perf_counter() - started

        started = time.perf_counter()
        async with unit_of_work(runtime.sessions) as session:
            await audit.record_read(
                session,
                at=now,
                actor_id=None,
                what="not_voted",
                subject_type="poll",
                compound_id=compound,
                households=[r.household_id for r in rows],
            )
        per_home = time.perf_counter() - started

        for _ in range(READS - 1):
            async with unit_of_work(runtime.sessions) as session:
                await audit.record_read(
                    session,
                    at=now,
                    actor_id=None,
                    what="not_voted",
                    subject_type="poll",
                    compound_id=compound,
                    households=ids,
                )
        actor = Actor(telegram_id=900_000)
        actor.households = [HouseholdTie(ids[0], "owner", compound, 0, None, "")]
        started = time.perf_counter()
        async with runtime.sessions() as session:
            found = await reads_of(session, actor)
        lookup = time.perf_counter() - started
    finally:
        await runtime.close()
    print(f"audit of a {HOMES}-home sheet ({url.split(':')[0]}):")
    print(f"  building the sheet's rows        {sheet * 1000:8.1f} ms (reference)")
    print(f"  count-only event (before)        {count_only * 1000:8.1f} ms")
    print(
        f"  event + {len(rows)} subject rows      {per_home * 1000:8.1f} ms"
        f" = {per_home / sheet:.2f}× building the rows"
    )
    print(
        f"  /mydata lookup after {READS} full-sheet reads ({READS * HOMES} subject rows):"
        f" {lookup * 1000:.1f} ms, {len(found)} reads found"
    )


if __name__ == "__main__":
    asyncio.run(main())
