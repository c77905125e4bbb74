"""Fees benchmark: one period's bills for 100,000 households, then their reminders queued.

1. `services.billing.generate_bills` (exact Decimal money in Python, bulk insert, ON CONFLICT DO
   NOTHING), then the same run again (idempotent: nothing new). Reference, same run: one
   `INSERT … SELECT` that lets the database compute the same bills in its own arithmetic.
2. `services.fee_reminders.queue_reminders` on the day 7 days before the due date (one reminder per
   household, rendered in the owner's language, into the outbox). Reference: `outbox.enqueue` of
   the same number of ready-made messages.

Time is measured without tracing; peak Python memory (tracemalloc) in a second, traced run.
`BENCH_DATABASE_URL=postgresql://... python -m benchmarks.fees` runs it on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import time
import tracemalloc
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, text
from sqlmodel import col, select

import views  # noqa: F401 (registers the message renderers)
from benchmarks.common import database_url, fresh_schema
from benchmarks.votes import seed_compound
from core.clock import FakeClock
from core.db import unit_of_work
from core.i18n import translator
from core.runtime import Runtime
from core.settings import Settings
from models import Bill, FeeReminder, FeeSchedule, OutboxMessage
from services import billing, fee_reminders, outbox
from views.bills import reminder

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "100000"))
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


async def _peak(work) -> float:
    tracemalloc.start()
    try:
        await work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


async def main() -> None:
    url = database_url()
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    await fresh_schema(url)
    clock = FakeClock(datetime(2026, 11, 1, 0, 5, tzinfo=SHANGHAI))
    runtime = Runtime.create(Settings(DATABASE_URL=url, _env_file=None), clock)
    try:
        owners = (
            HOUSEHOLDS - HOUSEHOLDS // 500
        )  # all but the developer's unsold homes have an owner
        compound_id = await seed_compound(runtime, HOUSEHOLDS, list(range(10**9, 10**9 + owners)))
        async with unit_of_work(runtime.sessions) as session:
            schedule = await billing.create_schedule(
                session,
                None,
                compound_id=compound_id,
                price_per_m2=Decimal("1.85"),
                period="monthly",
                due_day=15,
                starts_on=date(2026, 11, 1),
                now=clock.now(),
                subsidy_share=Decimal("0.2"),
            )
            schedule_id = schedule.id
        today = date(2026, 11, 1)

        async def generate() -> int:
            async with unit_of_work(runtime.sessions) as session:
                return await billing.generate_bills(session, today=today, now=clock.now())

        async def clear_bills() -> None:
            async with unit_of_work(runtime.sessions) as session:
                await session.exec(delete(Bill))

        first, created = await _timed(generate)
        again, recreated = await _timed(generate)
        assert created == HOUSEHOLDS and recreated == 0, (created, recreated)
        await clear_bills()
        generate_peak = await _peak(generate)

        async def reference_bills() -> None:
            async with unit_of_work(runtime.sessions) as session:
                other = FeeSchedule(
                    compound_id=compound_id,
                    price_per_m2=Decimal("1.85"),
                    due_day=15,
                    starts_on=today,
                    created_at=clock.now(),
                    active=False,
                )
                session.add(other)
                await session.flush()
                await (await session.connection()).execute(
                    text(
                        "INSERT INTO bill (schedule_id, household_id, compound_id, period_start, period_end, days, period_days, months, area,"
                        " price_per_m2, gross, subsidy, amount, paid, paid_off, due_date, created_at)"
                        " SELECT :sid, id, compound_id, :start, :end, 30, 30, 1, COALESCE(registered_area, surveyed_area, contract_area),"
                        " 1.85, ROUND(COALESCE(registered_area, surveyed_area, contract_area) * 1.85, 2),"
                        " ROUND(COALESCE(registered_area, surveyed_area, contract_area) * 1.85 * 0.2, 2),"
                        " ROUND(COALESCE(registered_area, surveyed_area, contract_area) * 1.85, 2)"
                        " - ROUND(COALESCE(registered_area, surveyed_area, contract_area) * 1.85 * 0.2, 2),"
                        " 0, :no, :due, :now FROM household WHERE compound_id = :cid"
                    ).bindparams(
                        sid=other.id,
                        start=today,
                        end=date(2026, 11, 30),
                        no=False,
                        due=date(2026, 11, 15),
                        now=clock.now(),
                        cid=compound_id,
                    )
                )
                await session.exec(delete(Bill).where(col(Bill.schedule_id) == other.id))

        reference, _ = await _timed(reference_bills)
        async with unit_of_work(runtime.sessions) as session:
            assert (
                len(
                    (
                        await session.exec(
                            select(col(Bill.id)).where(col(Bill.schedule_id) == schedule_id)
                        )
                    ).all()
                )
                == HOUSEHOLDS
            )

        clock.set(datetime(2026, 11, 8, 10, 0, tzinfo=SHANGHAI))

        async def remind() -> int:
            async with unit_of_work(runtime.sessions) as session:
                return await fee_reminders.queue_reminders(
                    session, today=date(2026, 11, 8), now=clock.now(), tz=SHANGHAI
                )

        async def clear_reminders() -> None:
            async with unit_of_work(runtime.sessions) as session:
                await session.exec(delete(FeeReminder))
                await session.exec(delete(OutboxMessage))

        remind_time, queued = await _timed(remind)
        assert queued == owners, queued
        await clear_reminders()
        remind_peak = await _peak(remind)
        await clear_reminders()

        async def reference_queue() -> None:
            payload = reminder(
                translator("zh_Hans"),
                tz=SHANGHAI,
                bills=[(today, date(2026, 11, 30), Decimal("166.98"), date(2026, 11, 15))],
                offset=-7,
            ).payload()
            messages = [
                outbox.Outgoing(chat_id=10**9 + i, payload=payload, recipient_key=str(i))
                for i in range(HOUSEHOLDS)
            ]
            async with unit_of_work(runtime.sessions) as session:
                await outbox.enqueue(session, "reference", messages, now=clock.now(), quiet=None)

        queue_reference, _ = await _timed(reference_queue)
    finally:
        await runtime.close()
    print(
        f"[{backend}] fees: {HOUSEHOLDS:,} households, one monthly period\n"
        f"generate bills            {first:7.2f} s   peak {generate_peak:6.1f} MiB   (again: {again:.2f} s, 0 new)\n"
        f"INSERT … SELECT reference {reference:7.2f} s   ratio {first / reference:.1f}x\n"
        f"queue reminders ({queued:,}) {remind_time:7.2f} s   peak {remind_peak:6.1f} MiB\n"
        f"bare outbox.enqueue ref.  {queue_reference:7.2f} s   ratio {remind_time / queue_reference:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
