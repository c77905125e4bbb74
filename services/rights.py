"""When someone's rights change (a role or a membership ended): their Telegram command menu is
refreshed at once, through the outbox (a row the sender turns into setMyCommands for that chat),
and messages still queued for them about a home they left are withdrawn."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models import OutboxMessage, OutboxStatus, Resident
from services import outbox
from services.notify import Recipient
from services.outbox import Outgoing

MENU_PURPOSE = "menu."  # outbox purposes of menu refreshes start with this
MENU_PAYLOAD = "menu"


async def refresh_menu(
    session: AsyncSession, resident: Resident, *, now: datetime, because: str
) -> None:
    """Queue a refresh of the person's command menu (no quiet hours: it is not a message).
    `because` names the change (one refresh per change and person)."""
    if resident.telegram_id is None:
        return
    await outbox.enqueue(
        session,
        f"{MENU_PURPOSE}{because}",
        [Outgoing(resident.telegram_id, {MENU_PAYLOAD: True}, resident_id=resident.id)],
        now=now,
        quiet=None,
    )


def is_menu_refresh(payload: dict[str, object]) -> bool:
    return bool(payload.get(MENU_PAYLOAD))


async def withdraw_queued(session: AsyncSession, resident_id: int, household_id: int) -> int:
    """Messages about a home not yet sent to someone who no longer belongs to it."""
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.resident_id) == resident_id)
        .where(col(OutboxMessage.household_id) == household_id)
        .where(col(OutboxMessage.status) == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED)
    )
    return result.rowcount


def reachable(resident: Resident) -> list[Recipient]:
    """The person as a recipient, if the bot can write to them."""
    if resident.telegram_id is None or resident.consent_at is None:
        return []
    return [Recipient.of(resident)]
