"""Health and Prometheus metrics over real HTTP: what the bot handled, sent and ran is counted, and
/healthz says 503 when the database is away."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import MetricsServer
from emulator import ApiLimits, BotApiEmulator
from jobs.scheduler import build_scheduler
from services import outbox
from services.outbox import Outgoing
from tests.conftest import USE_POSTGRES
from tests.utils.private_postgres import PrivatePostgres, private_postgres_missing
from tests.utils.world import TOKEN, World

BOT = TOKEN.split(":")[0]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class _Port:
    """A metrics server in another process, known by its port."""

    port: int


async def scrape(server: MetricsServer | _Port) -> Samples:
    """GET /metrics, parsed as Prometheus reads it: (sample name, labels) -> value."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{server.port}/metrics") as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def healthz(server: MetricsServer | _Port) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{server.port}/healthz") as response:
            return response.status, json.loads(await response.text())


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape_until(server: MetricsServer | _Port, check: Callable[[Samples], bool]) -> Samples:
    """Scrape until `check` holds (a job runs when the scheduler gets to it), for up to 10 s."""
    for _ in range(200):
        samples = await scrape(server)
        if check(samples):
            return samples
        await asyncio.sleep(0.05)
    raise AssertionError(f"never seen: {sorted(samples)}")


async def test_updates_sends_429s_queue_and_jobs_are_counted(world, clock):
    server = MetricsServer(world.runtime, port=0)
    await server.start()
    try:
        await world.seed_roster()
        owner = world.user("王芳")
        await world.onboard(owner)  # /start <code>, then the button: two updates
        await owner.send("/help")
        samples = await scrape(server)
        assert value(samples, "rp_updates_handled_total", bot=BOT) == 3
        assert value(samples, "rp_updates_failed_total", bot=BOT) == 0
        assert value(samples, "rp_update_duration_seconds_count", bot=BOT) == 3
        assert value(samples, "rp_last_update_handled_timestamp_seconds") > 0

        # Three messages at one a second: one goes out, Telegram answers 429 to the next.
        world.emulator.set_limits(ApiLimits(global_rate=1, retry_after=7))
        people = [world.user(f"住户{i}") for i in range(3)]
        async with world.session() as session:
            await outbox.enqueue(
                session,
                "notice:metrics",
                [Outgoing(chat_id=p.id, payload={"text": "停水通知"}) for p in people],
                now=clock.now(),
                quiet=None,
            )
        assert value(await scrape(server), "rp_queue_depth", queue="outbox") == 3
        await world.deliver()
        samples = await scrape(server)
        assert value(samples, "rp_outbox_sent_total", bot=BOT) == 1
        assert value(samples, "rp_outbox_rate_limited_total", bot=BOT) >= 1
        # The two put back wait out the retry_after: not due yet, so not counted as waiting.
        assert value(samples, "rp_queue_depth", queue="outbox") == 0
        clock.advance(seconds=10)
        samples = await scrape(server)
        assert value(samples, "rp_queue_depth", queue="outbox") == 2
        assert value(samples, "rp_queue_oldest_age_seconds", queue="outbox") == 3.0

        # Jobs through the real scheduler: the KPI catch-up runs at start; a job that raises.
        scheduler = build_scheduler(world.runtime)

        async def broken_job() -> None:
            raise RuntimeError("a job that fails")

        scheduler.add_job(broken_job, id="test.broken")
        scheduler.start()
        try:
            status, health = await healthz(server)
            assert status == 200 and health["scheduler_running"] is True
            ran = await scrape_until(
                server,
                lambda s: (
                    value(s, "rp_job_runs_total", job="kpi.catch_up") == 1
                    and value(s, "rp_job_failures_total", job="test.broken") == 1
                ),
            )
        finally:
            scheduler.shutdown(wait=False)
        assert value(ran, "rp_job_failures_total", job="kpi.catch_up") == 0
        assert value(ran, "rp_job_runs_total", job="test.broken") == 1

        # No label carries a person: only bot ids, job ids and queue names.
        chats = {str(p.id) for p in (owner, *people)}
        labels = {v for (_, pairs) in ran for (_, v) in pairs}
        assert not labels & chats
        assert not any("王芳" in v or "住户" in v for v in labels)
    finally:
        await server.stop()


async def test_healthz_answers_while_the_database_is_there(world):
    server = MetricsServer(world.runtime, port=0)
    await server.start()
    try:
        status, health = await healthz(server)
        assert status == 200
        assert health["database"] is True and health["status"] == "ok"
        assert health["uptime_seconds"] >= 0
        assert health["last_update_seconds_ago"] is None  # nothing handled yet
        assert health["scheduler_running"] is None  # this process runs no scheduler
        owner = world.user("王芳")
        await owner.send("/help")
        _, health = await healthz(server)
        assert health["last_update_seconds_ago"] is not None
        assert value(await scrape(server), "rp_database_up") == 1
    finally:
        await server.stop()


@pytest.mark.skipif(bool(private_postgres_missing()), reason=private_postgres_missing() or "")
@pytest.mark.skipif(
    USE_POSTGRES, reason="starts its own PostgreSQL server: runs once, in the SQLite pass"
)
async def test_healthz_is_503_and_updates_fail_while_postgresql_is_away(tmp_path, clock):
    async with PrivatePostgres(tmp_path / "pg") as server:
        url = await server.create_database("health")
        async with World(url, clock) as world:
            world.app.update_processor.outage_seconds = 2.0
            metrics = MetricsServer(world.runtime, port=0)
            await metrics.start()
            try:
                owner = world.user("王芳")
                await owner.send("/help")
                assert (await healthz(metrics))[0] == 200
                await server.stop()
                try:
                    status, health = await healthz(metrics)
                    assert status == 503
                    assert health["database"] is False
                    # Metrics are still served, and say the database is down.
                    samples = await scrape(metrics)
                    assert value(samples, "rp_database_up") == 0
                    await owner.send("/whoami")  # tried for 2 s, then "not applied"
                    samples = await scrape(metrics)
                    assert value(samples, "rp_updates_failed_total", bot=BOT) == 1
                finally:
                    await server.start()
                for _ in range(100):  # the pool reconnects on a later check
                    if (await healthz(metrics))[0] == 200:
                        break
                    await asyncio.sleep(0.2)
                else:
                    raise AssertionError("/healthz not 200 again after the database came back")
            finally:
                await metrics.stop()


async def test_bot_and_sender_processes_serve_health_and_metrics(database_url, tmp_path):
    """`bot.py run` and `bot.py send-outbox` as real processes, each on its METRICS_PORT."""
    from tests.test_startup import (
        TOKEN as PROCESS_TOKEN,
    )
    from tests.test_startup import (
        BotProcess,
        _env,
        _free_port,
        _ready,
        _visitor_gets_the_welcome,
    )

    bot_port, sender_port = _free_port(), _free_port()
    async with BotApiEmulator(token=PROCESS_TOKEN, bot_username="PropertyProcessBot") as emulator:
        (tmp_path / "bot").mkdir()
        (tmp_path / "sender").mkdir()
        bot = BotProcess(
            tmp_path / "bot", _env(emulator, database_url, METRICS_PORT=str(bot_port)), "run"
        )
        sender = BotProcess(
            tmp_path / "sender",
            _env(emulator, database_url, METRICS_PORT=str(sender_port)),
            "send-outbox",
        )
        await bot.start()
        await sender.start()
        try:
            await _ready(emulator, bot, webhook=False)
            await _visitor_gets_the_welcome(emulator)
            process_bot = PROCESS_TOKEN.split(":")[0]
            at_bot = await scrape_until(
                _Port(bot_port),
                lambda s: value(s, "rp_updates_handled_total", bot=process_bot) >= 1,
            )
            assert value(at_bot, "rp_database_up") == 1
            status, health = await healthz(_Port(bot_port))
            assert status == 200 and health["scheduler_running"] is True
            status, health = await healthz(_Port(sender_port))  # the sender runs no scheduler
            assert status == 200 and health["scheduler_running"] is None
            assert await bot.stop(signal.SIGTERM) == 0, bot.log
        finally:
            bot.kill()
            sender.kill()
