"""A database outage while users act: the action is applied once the database is back (the update
is tried again with backoff), or the user is told it was not; never silence, never a traceback.

SQLite: another process holds the write lock (BEGIN EXCLUSIVE) for a few seconds. PostgreSQL: a
private throwaway server (never the shared one) is stopped for ~10 s under the running bot."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select

import core.db
from core.db import is_outage
from models import Resident
from tests.conftest import USE_POSTGRES
from tests.utils.private_postgres import PrivatePostgres, private_postgres_missing
from tests.utils.world import World

SORRY = "抱歉"
NOT_APPLIED = "not applied"  # the English text until the catalogs have the new message


async def _owner_at_language_picker(world: World):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/language")
    return owner


async def _language(world: World, owner) -> str | None:
    async with world.session() as session:
        resident = (
            await session.exec(select(Resident).where(col(Resident.telegram_id) == owner.id))
        ).one()
        return resident.language


def _hold_write_lock(url: str) -> sqlite3.Connection:
    """Another process's writer: BEGIN EXCLUSIVE on the bot's database file."""
    holder = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None, timeout=5)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


@pytest.mark.skipif(USE_POSTGRES, reason="holds an SQLite write lock")
async def test_a_button_pressed_while_sqlite_is_locked_is_applied_once_after(
    database_url, clock, monkeypatch
):
    monkeypatch.setattr(core.db, "SQLITE_BUSY_SECONDS", 0.3)  # "database is locked" quickly
    async with World(database_url, clock) as world:
        owner = await _owner_at_language_picker(world)
        before = len(owner.bot_messages)
        holder = _hold_write_lock(database_url)
        try:
            update_id = owner.user.press_button("English")
            await asyncio.sleep(3)  # the bot meets "database is locked" and waits
            assert (
                len(owner.bot_messages) == before and owner.last_text != "Language set to English."
            )
        finally:
            holder.execute("COMMIT")
            holder.close()
        await world.settle(update_id, timeout=30)
        assert owner.last_text == "Language set to English."
        assert await _language(world, owner) == "en"
        assert not any(SORRY in t for t in owner.texts())
        await owner.send("/whoami")  # the bot goes on as before
        assert SORRY not in owner.last_text


@pytest.mark.skipif(USE_POSTGRES, reason="holds an SQLite write lock")
async def test_a_button_pressed_during_a_long_outage_is_refused_in_words(
    database_url, clock, monkeypatch
):
    monkeypatch.setattr(core.db, "SQLITE_BUSY_SECONDS", 0.3)
    async with World(database_url, clock) as world:
        world.app.update_processor.outage_seconds = 2.0
        owner = await _owner_at_language_picker(world)
        holder = _hold_write_lock(database_url)
        try:
            update_id = owner.user.press_button("English")
            await world.settle(update_id, timeout=30)
        finally:
            holder.execute("COMMIT")
            holder.close()
        assert NOT_APPLIED in owner.last_text or "未能" in owner.last_text
        assert not any(SORRY in t for t in owner.texts())
        assert await _language(world, owner) in (None, "zh_Hans")
        await owner.press("English")  # pressing again once the database is back works
        assert "Language set to English." in owner.texts()
        assert await _language(world, owner) == "en"


def test_only_outages_are_retried():
    locked = OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))
    missing = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    duplicate = IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert is_outage(locked)
    assert is_outage(ConnectionRefusedError(111, "Connection refused"))
    assert not is_outage(missing)
    assert not is_outage(duplicate)
    assert not is_outage(ValueError("a domain rule"))


@pytest.mark.skipif(bool(private_postgres_missing()), reason=private_postgres_missing() or "")
@pytest.mark.skipif(
    USE_POSTGRES, reason="starts its own PostgreSQL server: runs once, in the SQLite pass"
)
async def test_postgresql_restarted_under_the_running_bot(tmp_path, clock):
    async with PrivatePostgres(tmp_path / "pg") as server:
        url = await server.create_database("outage")
        async with World(url, clock) as world:
            owner = await _owner_at_language_picker(world)
            before = len(owner.bot_messages)
            await server.stop()
            try:
                update_id = owner.user.press_button("English")
                await asyncio.sleep(10)  # ~10 s without a database, the bot keeps running
                assert len(owner.bot_messages) == before
            finally:
                await server.start()
            await world.settle(update_id, timeout=40)
            assert owner.last_text == "Language set to English."
            assert await _language(world, owner) == "en"
            assert not any(SORRY in t for t in owner.texts())
            await owner.send("/whoami")  # no restart needed
            assert SORRY not in owner.last_text
