"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL from DATABASE_URL), a test
clock, and a `world` of emulator + bot driven as users would."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

import models
from core.clock import FakeClock
from core.db import create_engine

POSTGRES_URL = os.environ.get("DATABASE_URL", "")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--e2e", action="store_true", help="run the browser tests (make e2e)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests need Chromium and run in `make e2e`; the other tests run without them."""
    if config.getoption("--e2e"):
        return
    skip = pytest.mark.skip(reason="browser test: run `make e2e`")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


USE_POSTGRES = POSTGRES_URL.startswith(("postgresql", "postgres"))


def _normalise(url: str) -> str:
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


async def _create_schema(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(models.metadata.drop_all)
        await connection.run_sync(models.metadata.create_all)
    await engine.dispose()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the schema once per run: a template SQLite file, or the PostgreSQL tables."""
    if USE_POSTGRES:
        url = _normalise(POSTGRES_URL)
        asyncio.run(_create_schema(url))
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_create_schema(f"sqlite+aiosqlite:///{path}"))
    return str(path)


async def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in models.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def database_url(schema_template: str, tmp_path: Path) -> AsyncIterator[str]:
    """A clean database for this test."""
    if USE_POSTGRES:
        await _truncate_all(schema_template)
        yield schema_template
        return
    path = tmp_path / "test.db"
    shutil.copyfile(schema_template, path)
    yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2 November 2026, 10:00 in Wuhan.
    return FakeClock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
async def world(database_url: str, clock: FakeClock) -> AsyncIterator:
    from tests.utils.world import World

    async with World(database_url, clock) as world:
        yield world


@pytest.fixture
async def console(world) -> AsyncIterator:
    """The office console of the world's runtime over real HTTP, the bot's username recorded
    as `bot.py run` does at start (invite links carry it)."""
    from services.bot_identity import remember_username
    from tests.utils.console import serve_console

    await remember_username(world.runtime, "RedPropertyBot")
    server = await serve_console(world)
    try:
        yield server
    finally:
        await server.stop()
