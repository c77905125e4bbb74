"""Migrations apply from empty on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

import bot
import models
from core.db import create_engine
from tests.conftest import POSTGRES_URL, USE_POSTGRES, _normalise


async def _drift(url: str) -> list:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), models.metadata
                )
            )
    finally:
        await engine.dispose()


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database="postgres"
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    if not USE_POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    base = _normalise(POSTGRES_URL)
    name = f"rp_migrate_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_migrations_apply_from_empty_and_match_the_models(empty_database: str) -> None:
    bot.migrate(empty_database)
    assert asyncio.run(_drift(empty_database)) == []
    bot.migrate(empty_database)  # applying again is a no-op
