"""Files the bot makes to send to many chats (charts, spreadsheets), stored once by content."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import dialect
from models import Media


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
