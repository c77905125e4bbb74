"""Paid broadcast (allow_paid_broadcast) for emergency notices: which bots may spend Stars on
it, which outbox rows go out that way, and what it costs, shown to the sender before sending.

Telegram lets such sends go at up to 1000 messages per second, for 0.1 Stars a message taken
from the bot's balance. A recorded bot has its own switch (`admin bot paid`); the default bot
(TELEGRAM_TOKEN's) follows PAID_BROADCAST.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import BotAccount
from services import bots

STARS_PER_MESSAGE = Decimal("0.1")
PAID_RATE = 1000.0  # messages per second Telegram allows a paid broadcast
DEFAULT_SWITCH = "paid_broadcast"  # session.info: PAID_BROADCAST, the default bot's switch
RATE = "outbox_rate"  # session.info: OUTBOX_RATE, the normal pace of a bot


async def paying_bots(session: AsyncSession) -> set[int | None]:
    """The bots whose switch is on (None: the default bot)."""
    found: set[int | None] = set(
        (
            await session.exec(
                select(col(BotAccount.id)).where(col(BotAccount.paid_broadcast).is_(True))
            )
        ).all()
    )
    if session.info.get(DEFAULT_SWITCH):
        found.add(None)
    return found


async def settle_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Rows that asked for paid broadcast keep it only when their bot's switch is on (their
    bot is already assigned: services.bots.assign_outbox_bots)."""
    if not any(row.get("paid_broadcast") for row in rows):
        return
    paying = await paying_bots(session)
    for row in rows:
        if row.get("paid_broadcast"):
            row["paid_broadcast"] = row.get("bot_id") in paying


@dataclass(frozen=True)
class PaidCost:
    """What a paid broadcast of one message per recipient costs and how long it takes."""

    messages: int  # sent with allow_paid_broadcast
    stars: Decimal
    paid_time: timedelta  # at 1000/s
    normal_time: timedelta  # at the bot's normal rate


async def cost(
    session: AsyncSession, people: Iterable[tuple[int | None, int | None]]
) -> PaidCost | None:
    """The cost of one message to each (resident id, household id) through a paying bot; None
    when none of their bots pays. Bots send in parallel: the time is the busiest bot's."""
    paying = await paying_bots(session)
    if not paying:
        return None
    rows: list[dict[str, Any]] = [
        {"resident_id": resident, "household_id": household} for resident, household in people
    ]
    await bots.assign_outbox_bots(session, rows)
    per_bot = Counter(row.get("bot_id") for row in rows if row.get("bot_id") in paying)
    if not per_bot:
        return None
    busiest = max(per_bot.values())
    rate = float(session.info.get(RATE) or 25.0)
    total = sum(per_bot.values())
    return PaidCost(
        messages=total,
        stars=STARS_PER_MESSAGE * total,
        paid_time=timedelta(seconds=busiest / PAID_RATE),
        normal_time=timedelta(seconds=busiest / rate),
    )
