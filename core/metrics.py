"""Per-process health and Prometheus metrics, served on a local port (METRICS_LISTEN, METRICS_PORT).

Counters are bumped by small calls where things happen (the unit of work, the outbox sender, the
scheduler's job events); queue depths are read from the database at scrape time through probes.
Labels carry bot ids, job ids and queue names only: never a chat id, a name or a text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, SystemClock
from models import OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from aiohttp import web
    from apscheduler.events import JobExecutionEvent
    from apscheduler.schedulers.base import BaseScheduler

    from core.runtime import Runtime

log = logging.getLogger(__name__)

# A probe: (rows waiting, seconds the oldest has waited, or None when there are none).
Probe = Callable[[AsyncSession], Awaitable[tuple[int, float | None]]]
# How long /healthz and a scrape wait for the database before calling it unreachable.
DATABASE_TIMEOUT = 2.0
# Seconds; an update of the unit of work takes milliseconds, a slow one seconds.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class CountsSends(Protocol):
    """What the outbox sender keeps (jobs.outbox.SenderStats)."""

    sent: int
    failed: int
    unreachable: int
    retried: int
    rate_limited: int


class _Senders(Collector):
    """The sends of every outbox sender of this process, by bot, read from their own counts."""

    def __init__(self) -> None:
        self.stats: list[tuple[str, CountsSends]] = []

    def collect(self) -> Any:
        from prometheus_client.core import CounterMetricFamily

        kinds = (
            ("sent", "rp_outbox_sent", "Messages the outbox delivered"),
            ("rate_limited", "rp_outbox_rate_limited", "429 answers (Telegram asked to wait)"),
            ("unreachable", "rp_outbox_unreachable", "403 answers (the person blocked the bot)"),
            ("failed", "rp_outbox_failed", "Messages given up on"),
            ("retried", "rp_outbox_retried", "Transient errors, the message queued again"),
        )
        for attribute, name, help_text in kinds:
            family = CounterMetricFamily(name, help_text, labels=["bot"])
            totals: dict[str, int] = {}
            for bot, stats in self.stats:
                totals[bot] = totals.get(bot, 0) + getattr(stats, attribute)
            for bot, total in sorted(totals.items()):
                family.add_metric([bot], total)
            yield family


class Metrics:
    """This process's metrics, in a registry of its own (several runtimes in one test process
    each count their own)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates_handled = Counter(
            "rp_updates_handled", "Updates the bot finished handling", ["bot"], registry=r
        )
        self.updates_failed = Counter(
            "rp_updates_failed",
            "Updates that ended in an error or were not applied (database away)",
            ["bot"],
            registry=r,
        )
        self.update_duration = Histogram(
            "rp_update_duration_seconds",
            "Time from taking an update to finishing it, waits for the same user included",
            ["bot"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.job_runs = Counter("rp_job_runs", "Scheduled job runs", ["job"], registry=r)
        self.job_failures = Counter(
            "rp_job_failures", "Scheduled job runs that raised", ["job"], registry=r
        )
        self.job_missed = Counter(
            "rp_job_missed", "Scheduled job runs skipped (too late)", ["job"], registry=r
        )
        self.queue_depth = Gauge(
            "rp_queue_depth", "Rows waiting in a queue, due now", ["queue"], registry=r
        )
        self.queue_age = Gauge(
            "rp_queue_oldest_age_seconds",
            "Seconds the oldest due row of a queue has waited (0 when empty)",
            ["queue"],
            registry=r,
        )
        self.database_up = Gauge(
            "rp_database_up", "1 if the database answered the last scrape", registry=r
        )
        self.last_update = Gauge(
            "rp_last_update_handled_timestamp_seconds",
            "When the last update was finished (Unix time)",
            registry=r,
        )
        self.started = Gauge(
            "rp_process_start_time_seconds", "When this process started (Unix time)", registry=r
        )
        self.started.set(self.clock.now().timestamp())
        self._senders = _Senders()
        r.register(self._senders)
        self.probes: dict[str, Probe] = {"outbox": self.outbox_depth}
        self.scheduler: BaseScheduler | None = None
        self.server: MetricsServer | None = None  # stopped by close()
        self._started_monotonic = time.monotonic()
        self._last_update_monotonic: float | None = None
        self._per_bot: dict[int | str, tuple[Any, Any]] = {}

    async def close(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            await server.stop()

    # --- what the parts of the bot call ------------------------------------------------
    def update_handled(self, bot_id: int | str, seconds: float) -> None:
        children = self._per_bot.get(bot_id)
        if children is None:  # the labelled series, looked up once per bot
            bot = str(bot_id)
            children = self.updates_handled.labels(bot), self.update_duration.labels(bot)
            self._per_bot[bot_id] = children
        children[0].inc()
        children[1].observe(seconds)
        self.last_update.set(self.clock.now().timestamp())
        self._last_update_monotonic = time.monotonic()

    def update_failed(self, bot_id: int | str) -> None:
        self.updates_failed.labels(str(bot_id)).inc()

    def watch_sender(self, bot_id: int | str, stats: CountsSends) -> None:
        """Count this sender's sends under its bot (read from its stats at each scrape)."""
        self._senders.stats.append((str(bot_id), stats))

    def watch_scheduler(self, scheduler: BaseScheduler) -> None:
        """Count job runs and failures by job id; /healthz reports whether it runs."""
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

        self.scheduler = scheduler
        scheduler.add_listener(
            self._on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
        )

    def _on_job(self, event: JobExecutionEvent) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED

        job = str(event.job_id)
        if event.code == EVENT_JOB_MISSED:
            self.job_missed.labels(job).inc()
            return
        self.job_runs.labels(job).inc()
        if event.code == EVENT_JOB_ERROR:
            self.job_failures.labels(job).inc()

    def register_probe(self, name: str, probe: Probe) -> None:
        """A queue to report at each scrape as rp_queue_depth / rp_queue_oldest_age_seconds
        {queue=name}; `probe(session)` returns (rows due, seconds the oldest waited or None)."""
        self.probes[name] = probe

    # --- reading -----------------------------------------------------------------------
    async def refresh(self, runtime: Runtime) -> bool:
        """Read the probes from the database; False if it did not answer in time."""
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), runtime.sessions() as session:
                await session.exec(select(col(OutboxMessage.id)).limit(1))  # reads a table
                for name, probe in self.probes.items():
                    depth, age = await probe(session)
                    self.queue_depth.labels(name).set(depth)
                    self.queue_age.labels(name).set(age or 0.0)
        except Exception as error:
            log.warning("metrics: the database did not answer (%s)", error.__class__.__name__)
            self.database_up.set(0)
            return False
        self.database_up.set(1)
        return True

    def health(self, database: bool) -> dict[str, Any]:
        now = time.monotonic()
        last = self._last_update_monotonic
        scheduler = self.scheduler
        return {
            "status": "ok" if database else "database unreachable",
            "database": database,
            "uptime_seconds": round(now - self._started_monotonic, 3),
            "last_update_seconds_ago": None if last is None else round(now - last, 3),
            "scheduler_running": None if scheduler is None else bool(scheduler.running),
        }

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def outbox_depth(self, session: AsyncSession) -> tuple[int, float | None]:
        """Queued outbox rows due now, and how long the oldest has been due (ix_outbox_due)."""
        now = self.clock.now()
        count, oldest = (
            await session.exec(
                select(func.count(), func.min(col(OutboxMessage.not_before)))
                .where(col(OutboxMessage.status) == OutboxStatus.QUEUED)
                .where(col(OutboxMessage.not_before) <= now)
            )
        ).one()
        if not count or oldest is None:
            return 0, None
        if oldest.tzinfo is None:  # SQLite gives naive UTC back
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), max(0.0, (now - oldest).total_seconds())


class MetricsServer:
    """GET /healthz (JSON; 503 when the database does not answer) and GET /metrics."""

    def __init__(self, runtime: Runtime, listen: str = "127.0.0.1", port: int = 0) -> None:
        self.runtime = runtime
        self.listen = listen
        self.port = port  # 0: any free port (tests); the bound one after start()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("health and metrics on http://%s:%s/ (healthz, metrics)", self.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        from aiohttp import web

        metrics = self.runtime.metrics
        database = await metrics.refresh(self.runtime)
        return web.Response(
            text=json.dumps(metrics.health(database)),
            content_type="application/json",
            status=200 if database else 503,
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        from aiohttp import web

        metrics = self.runtime.metrics
        await metrics.refresh(self.runtime)
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response


async def start_metrics_server(runtime: Runtime) -> MetricsServer | None:
    """The server on METRICS_LISTEN:METRICS_PORT, or None when METRICS_PORT is 0 (off); it stops
    with the runtime (Runtime.close)."""
    settings = runtime.settings
    if not settings.metrics_port:
        return None
    server = MetricsServer(runtime, settings.metrics_listen, settings.metrics_port)
    await server.start()
    runtime.metrics.server = server
    return server
