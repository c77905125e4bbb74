"""Migrations apply from empty on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
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


def test_the_migration_raises_a_stored_notice_below_15_days(empty_database: str) -> None:
    """A compound set to 3 days' notice before the floor existed gets 15; 20 stays 20."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(Path(bot.__file__).with_name("alembic.ini")))
    config.attributes["database_url"] = empty_database

    async def sql(*statements: str) -> list:
        engine = create_engine(empty_database)
        try:
            async with engine.begin() as connection:
                for statement in statements[:-1]:
                    await connection.execute(sa.text(statement))
                return list(await connection.execute(sa.text(statements[-1])))
        finally:
            await engine.dispose()

    command.upgrade(config, "0012d")
    asyncio.run(
        sql(
            "INSERT INTO city (id, name) VALUES (1, '武汉市')",
            "INSERT INTO district (id, city_id, name) VALUES (1, 1, '江岸区')",
            "INSERT INTO sub_district (id, district_id, name) VALUES (1, 1, '一元街道')",
            "INSERT INTO community (id, sub_district_id, name) VALUES (1, 1, '幸福社区')",
            "INSERT INTO compound (id, community_id, name, service_model, vote_notice_days) "
            "VALUES (1, 1, '幸福家园', 'none', 3), (2, 1, '和平里', 'none', 20)",
            "SELECT 1",
        )
    )
    bot.migrate(empty_database)
    rows = asyncio.run(sql("SELECT id, vote_notice_days, vote_min_days FROM compound ORDER BY id"))
    assert [tuple(r) for r in rows] == [(1, 15, 7), (2, 20, 7)]
    command.downgrade(config, "0012d")  # and back
