"""The APScheduler set-up: started in post_init, shut down in post_shutdown."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.runtime import Runtime
from jobs import fees, housekeeping, kpi, notices, people, surveys, tickets, votes


def build_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    """Jobs keep no state in the scheduler: each tick reads what is due from the database."""
    scheduler = AsyncIOScheduler(timezone=runtime.settings.tz)
    scheduler.add_job(
        housekeeping.prune,
        "interval",
        hours=1,
        args=[runtime],
        id="housekeeping.prune",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    scheduler.add_job(
        notices.dispatch_scheduled,
        "interval",
        seconds=30,
        args=[runtime],
        id="notices.dispatch",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    for job, seconds in (
        (tickets.escalate_overdue, 60),
        (tickets.repeat_urgent, 60),
        (tickets.auto_confirm, 600),
        (tickets.offer_rating_again, 600),
        (votes.tick, 30),
        (fees.tick, 600),
        (surveys.tick, 600),
        (people.apply_transfers, 300),
    ):
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            args=[runtime],
            id=f"{job.__module__}.{job.__name__}",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    scheduler.add_job(
        kpi.deliver_monthly,
        "cron",
        day=1,
        hour=kpi.SEND_AT.hour,
        minute=kpi.SEND_AT.minute,
        args=[runtime],
        id="kpi.deliver_monthly",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    # A restart after 08:00 on the 1st catches up at once; deliveries are recorded, never doubled.
    # No grace limit: on a busy machine the start can take longer than APScheduler's default
    # second, and this one-off run must still happen (it was logged as "missed" and skipped).
    scheduler.add_job(
        kpi.deliver_monthly,
        args=[runtime],
        id="kpi.catch_up",
        replace_existing=True,
        misfire_grace_time=None,
    )
    runtime.metrics.watch_scheduler(scheduler)
    return scheduler
