"""Housekeeping: forget processed update ids, handled inbox updates, invite attempts and delivered
files once they cannot matter. Failed inbox updates stay for the operator."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from core.db import unit_of_work
from core.runtime import Runtime
from models import InboxState, InboxUpdate, ProcessedUpdate, StartAttempt
from services import media

log = logging.getLogger(__name__)

# Telegram redelivers for at most 24 hours; keep two days to be safe.
UPDATE_ID_RETENTION = timedelta(days=2)
ATTEMPT_RETENTION = timedelta(days=1)
# Handled updates (residents' messages among them): a few days, for an operator looking into one.
INBOX_RETENTION = timedelta(days=3)
# Files made for the outbox (lists with names and phones among them) once nothing waits for them.
MEDIA_RETENTION = timedelta(days=1)


async def prune(runtime: Runtime) -> None:
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        updates = await session.exec(
            delete(ProcessedUpdate).where(
                col(ProcessedUpdate.processed_at) < now - UPDATE_ID_RETENTION
            )
        )
        inbox = await session.exec(
            delete(InboxUpdate)
            .where(col(InboxUpdate.state) == InboxState.DONE)
            .where(col(InboxUpdate.done_at) < now - INBOX_RETENTION)
        )
        attempts = await session.exec(
            delete(StartAttempt).where(col(StartAttempt.at) < now - ATTEMPT_RETENTION)
        )
        files = await media.prune(session, before=now - MEDIA_RETENTION)
    log.info(
        "pruned %s update ids, %s handled inbox updates, %s invite attempts and %s delivered files",
        updates.rowcount,
        inbox.rowcount,
        attempts.rowcount,
        files,
    )
