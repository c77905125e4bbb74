"""Files the bot makes to send to many chats (charts, spreadsheets), stored once by content."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import dialect
from models import Media, OutboxMessage, OutboxStatus, PaymentAccount


async def store(session: AsyncSession, content: bytes, filename: str, *, now: datetime) -> int:
    """The id of a stored file with this content (the same bytes are stored once)."""
    digest = hashlib.sha256(content).hexdigest()
    insert = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    await session.exec(
        insert(Media)
        .values(sha256=digest, filename=filename, content=content, created_at=now)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    found = (await session.exec(select(col(Media.id)).where(col(Media.sha256) == digest))).one()
    assert found is not None
    return found


async def prune(session: AsyncSession, *, before: datetime) -> int:
    """Delete files made before `before` that nothing still waiting to be sent refers to (a
    delivered message's payload is blanked, so a not-voted list or an arrears sheet with names
    and phones does not outlive its delivery); a compound's payment code stays."""
    waiting = await session.exec(
        select(col(OutboxMessage.payload)).where(
            col(OutboxMessage.status).in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])
        )
    )
    keep = {
        int(payload[key])
        for payload in waiting
        for key in ("photo_media", "document_media")
        if isinstance(payload, dict) and str(payload.get(key) or "").isdigit()
    }
    codes = select(col(PaymentAccount.qr_media_id)).where(
        col(PaymentAccount.qr_media_id).is_not(None)
    )
    statement = (
        delete(Media).where(col(Media.created_at) < before).where(col(Media.id).not_in(codes))
    )
    if keep:
        statement = statement.where(col(Media.id).not_in(sorted(keep)))
    return (await session.exec(statement)).rowcount or 0
