"""Queueing into the outbox: idempotent per (purpose, recipient), quiet hours applied here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import insert_many
from core.quiet import QuietHours
from core.settings import Settings
from models import OutboxMessage, OutboxStatus
from services import bots, paid_broadcast

EMERGENCY_PRIORITY = 0
NORMAL_PRIORITY = 5
CHUNK = 500


def quiet_hours(settings: Settings) -> QuietHours | None:
    """The configured quiet window (QUIET_HOURS, TIMEZONE), or None when it is off."""
    return settings.quiet


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient, rendered in the recipient's language."""

    chat_id: int
    payload: dict[str, Any]
    resident_id: int | None = None
    household_id: int | None = None
    recipient_key: str | None = None  # defaults to the chat id


def dedupe_key(purpose: str, outgoing: Outgoing) -> str:
    return f"{purpose}|{outgoing.recipient_key or outgoing.chat_id}"


async def enqueue(
    session: AsyncSession,
    purpose: str,
    messages: Iterable[Outgoing],
    *,
    now: datetime,
    quiet: QuietHours | None,
    emergency: bool = False,
    not_before: datetime | None = None,
    paid: bool = False,
) -> int:
    """Queue messages; a (purpose, recipient) already queued is skipped. Returns how many were new."""
    return await insert_rows(
        session,
        rows(
            purpose,
            messages,
            now=now,
            quiet=quiet,
            emergency=emergency,
            not_before=not_before,
            paid=paid,
        ),
    )


def rows(
    purpose: str,
    messages: Iterable[Outgoing],
    *,
    now: datetime,
    quiet: QuietHours | None,
    emergency: bool = False,
    not_before: datetime | None = None,
    paid: bool = False,
) -> list[dict[str, Any]]:
    """The outbox rows of messages, not yet inserted (quiet hours applied here). `paid` asks
    for paid broadcast, kept at insert only where the recipient's bot allows it."""
    start = not_before or now
    if quiet is not None and not emergency:
        start = quiet.release_time(start)
    return [
        {
            "dedupe_key": dedupe_key(purpose, message),
            "purpose": purpose,
            "resident_id": message.resident_id,
            "household_id": message.household_id,
            "chat_id": message.chat_id,
            "payload": message.payload,
            "priority": EMERGENCY_PRIORITY if emergency else NORMAL_PRIORITY,
            "status": OutboxStatus.QUEUED,
            "not_before": start,
            "attempts": 0,
            "created_at": now,
            "paid_broadcast": paid,
        }
        for message in messages
    ]


async def insert_rows(session: AsyncSession, found: list[dict[str, Any]]) -> int:
    """Insert outbox rows (of any purposes) in one executemany; duplicates are skipped. Each row
    goes to the bot serving its recipient's compound (services.bots), with paid broadcast only
    if that bot allows it (services.paid_broadcast)."""
    await bots.assign_outbox_bots(session, found)
    await paid_broadcast.settle_rows(session, found)
    return await insert_many(session, OutboxMessage, found, skip_conflicts_on=["dedupe_key"])


async def cancel(session: AsyncSession, purpose: str) -> int:
    """Withdraw what has not gone out yet."""
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.purpose) == purpose)
        .where(col(OutboxMessage.status) == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED)
    )
    return result.rowcount


async def counts(session: AsyncSession, purpose: str) -> dict[str, int]:
    """How many messages of one purpose are in each status."""
    rows = await session.exec(
        select(col(OutboxMessage.status), func.count())
        .where(col(OutboxMessage.purpose) == purpose)
        .group_by(col(OutboxMessage.status))
    )
    found = dict(rows.all())
    return {status.value: found.get(status.value, 0) for status in OutboxStatus}
