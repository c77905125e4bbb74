"""Emergencies first (DOMAIN §3, §9): what an urgent reporter is told at once (the compound's
24-hour duty phone and the public emergency numbers that apply to the kind of emergency), and
urgent alerts that repeat until a staff member acknowledges the ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import OPEN_STATUSES, Compound, Ticket, UrgentKind
from services import ticket_alerts


class Hotline(StrEnum):
    """Public emergency numbers in China."""

    FIRE = "119"  # 火警, also rescue (people trapped) and gas leaks
    POLICE = "110"
    AMBULANCE = "120"
    LIFT = "96333"  # 电梯应急救援 the lift emergency hotline


K, H = UrgentKind, Hotline
HOTLINES: dict[str, tuple[Hotline, ...]] = {
    K.LIFT: (H.FIRE, H.LIFT, H.AMBULANCE),
    K.FIRE: (H.FIRE, H.AMBULANCE),
    K.GAS: (H.FIRE, H.AMBULANCE),
    K.FACADE: (H.POLICE, H.AMBULANCE),
    K.WATER: (),
    K.OTHER: (H.POLICE, H.FIRE, H.AMBULANCE),
}


@dataclass(frozen=True)
class EmergencyAdvice:
    """What an urgent reporter is told at once."""

    kind: UrgentKind
    compound: str
    duty_phone: str | None
    hotlines: tuple[Hotline, ...]


async def advice(
    session: AsyncSession, compound_id: int | None, kind: str | None
) -> EmergencyAdvice | None:
    """The advice for a kind of emergency in a compound (None when the report is not urgent)."""
    if kind is None:
        return None
    urgent = UrgentKind(kind)
    compound = await session.get(Compound, compound_id) if compound_id is not None else None
    return EmergencyAdvice(
        urgent,
        compound.name if compound else "",
        compound.duty_phone if compound else None,
        HOTLINES.get(urgent, ()),
    )


def repeats_due(ticket: Ticket, compound: Compound, now: datetime) -> int:
    """How many repeats of its alert an unacknowledged urgent ticket should have had by now."""
    interval = timedelta(minutes=max(1, compound.urgent_repeat_minutes))
    return max(0, int((now - ticket.created_at) / interval))


async def repeat_unacknowledged(session: AsyncSession, *, now: datetime) -> int:
    """Alert again about every open urgent ticket nobody has acknowledged, once per interval of
    the compound. The number of repeats sent is stored on the ticket, and each repeat has its own
    purpose key, so a missed tick sends one repeat (the latest), never a burst, and a second
    process or a restart sends nothing twice. Acknowledging or starting work stops it."""
    rows = (
        await session.exec(
            select(Ticket, Compound)
            .join(Compound, col(Compound.id) == col(Ticket.compound_id))
            .where(col(Ticket.urgent))
            .where(col(Ticket.acknowledged_at).is_(None))
            .where(col(Ticket.status).in_(OPEN_STATUSES))
            .order_by(col(Ticket.id))
        )
    ).all()
    repeated = 0
    for ticket, compound in rows:
        due = repeats_due(ticket, compound, now)
        if due <= ticket.urgent_repeats:
            continue
        ticket.urgent_repeats = due
        await ticket_alerts.repeat_urgent(session, ticket, due, now=now)
        repeated += 1
    return repeated
