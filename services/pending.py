"""What someone's next message answers: set when a button asks for text, taken when it arrives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import PendingInput
from services.actors import Actor
from services.errors import DomainError


async def expect(
    session: AsyncSession, actor: Actor, purpose: str, ref_id: int, *, now: datetime, **data: Any
) -> None:
    row = await session.get(PendingInput, actor.resident_id)
    if row is None:
        row = PendingInput(
            resident_id=actor.resident_id, purpose=purpose, ref_id=ref_id, updated_at=now
        )
        session.add(row)
    row.purpose, row.ref_id, row.data, row.updated_at = purpose, ref_id, data, now
    await session.flush()


async def take(session: AsyncSession, actor: Actor, purpose: str) -> PendingInput:
    """The pending question of this purpose; it is answered (removed) by taking it."""
    row = await session.get(PendingInput, actor.resident_id) if actor.resident_id else None
    if row is None or row.purpose != purpose:
        raise DomainError(N_("This button is no longer valid. Please start again from the menu."))
    await session.delete(row)
    return row


async def current(session: AsyncSession, actor: Actor) -> PendingInput:
    """Whatever the person's next message is expected to answer."""
    row = await session.get(PendingInput, actor.resident_id) if actor.resident_id else None
    if row is None:
        raise DomainError(N_("This button is no longer valid. Please start again from the menu."))
    return row
