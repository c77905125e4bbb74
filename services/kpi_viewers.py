"""Who reads which monthly report: /kpi offers the places of the person's roles that carry
KPI_VIEW, and any place inside them may be opened (an officer of one district sees nothing of
another); the monthly subscription, and its delivery on the 1st at 08:00, exactly once per
month, subscriber and place (kpi_delivery, written with the queued messages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import insert_many
from core.i18n import N_
from models import KpiDelivery, KpiSubscription, Resident, ScopeKind
from services import kpi, notify
from services.actors import Actor, load_actor
from services.errors import DomainError, NotAllowed
from services.inputs import is_month
from services.kpi import LEVELS, Report
from services.notify import Recipient
from services.places import SCOPE_TABLES, Scope
from services.policy import Permission, allowed, grants, rule
from services.surveys import month_of, previous_month

SUMMARY = "kpi.summary"
CHART = "kpi.chart"
WORKBOOK = "kpi.workbook"
SEND_AT = time(8, 0)  # on the 1st of each month, local time
OWN_AREA = N_("You can see the reports of your own area only.")


@dataclass(frozen=True)
class Shown:
    """A report opened by someone who may read it, and whether they receive it every month."""

    scope: Scope
    report: Report
    subscribed: bool


@dataclass(frozen=True)
class Start:
    """/kpi: the report (one place), or the places to choose from (several)."""

    month: str
    shown: Shown | None = None
    choices: tuple[Scope, ...] = ()


def valid_month(text: str) -> bool:
    return is_month(text)


async def scopes(session: AsyncSession, actor: Actor) -> list[Scope]:
    """The places of the person's roles that carry KPI_VIEW, the widest first."""
    found: dict[tuple[str, int], Scope] = {}
    for grant in grants(actor, Permission.KPI_VIEW):
        key = (grant.scope_kind, grant.scope_id)
        if key not in found:
            place = await _place(session, grant.scope_kind, grant.scope_id)
            if place is not None:
                found[key] = place
    return sorted(
        found.values(), key=lambda s: (LEVELS.index(s.kind) if s.kind in LEVELS else 9, s.name)
    )


async def _place(session: AsyncSession, kind: str, scope_id: int) -> Scope | None:
    try:
        scope_kind = ScopeKind(kind)
    except ValueError:
        return None
    row: Any = await session.get(SCOPE_TABLES[scope_kind], scope_id)
    return Scope(scope_kind, scope_id, row.name) if row is not None else None


async def _readable(session: AsyncSession, actor: Actor | None, kind: str, scope_id: int) -> Scope:
    """The place, if the person may read its report (the command line may read any)."""
    place = await _place(session, kind, scope_id)
    if place is not None and await allowed(session, actor, Permission.KPI_VIEW, place):
        return place
    if actor is not None and not grants(actor, Permission.KPI_VIEW):
        raise NotAllowed(rule(Permission.KPI_VIEW).refusal)
    raise NotAllowed(OWN_AREA)


async def readable(session: AsyncSession, actor: Actor | None, kind: str, scope_id: int) -> Scope:
    """The place, if the person may read its reports; refused (NotAllowed) otherwise."""
    return await _readable(session, actor, kind, scope_id)


async def _is_subscribed(session: AsyncSession, actor: Actor | None, place: Scope) -> bool:
    if actor is None or actor.resident_id is None:
        return False
    key = (actor.resident_id, place.kind.value, place.id)
    return await session.get(KpiSubscription, key) is not None


async def open_report(
    session: AsyncSession, actor: Actor | None, kind: str, scope_id: int, month: str, tz: ZoneInfo
) -> Shown:
    """The report of a place the person may read (`actor` None: the command line)."""
    if not valid_month(month):
        raise DomainError(N_("Send the month as YYYY-MM, for example 2026-10."))
    place = await _readable(session, actor, kind, scope_id)
    found = await kpi.report(session, place.kind, place.id, place.name, month, tz)
    return Shown(place, found, await _is_subscribed(session, actor, place))


async def start(
    session: AsyncSession, actor: Actor, month: str | None, *, today: date, tz: ZoneInfo
) -> Start:
    """/kpi [YYYY-MM]: last month by default (the current one is not complete yet)."""
    month = month or previous_month(month_of(today))
    if not valid_month(month):
        raise DomainError(N_("Send the month as YYYY-MM, for example /kpi 2026-10."))
    places = await scopes(session, actor)
    if not places:
        raise NotAllowed(rule(Permission.KPI_VIEW).refusal)
    if len(places) > 1:
        return Start(month, choices=tuple(places[:30]))
    return Start(month, shown=await open_report(session, actor, *_key(places[0]), month, tz))


def _key(place: Scope) -> tuple[str, int]:
    return place.kind.value, place.id


@dataclass(frozen=True)
class Subscription:
    scope: Scope
    subscribed: bool


async def toggle_subscription(
    session: AsyncSession, actor: Actor, kind: str, scope_id: int, *, now: datetime
) -> Subscription:
    """Subscribe to (or stop) the monthly report of a place the person may read."""
    place = await _readable(session, actor, kind, scope_id)
    assert actor.resident_id is not None
    existing = await session.get(KpiSubscription, (actor.resident_id, *_key(place)))
    if existing is not None:
        await session.delete(existing)
        return Subscription(place, False)
    session.add(
        KpiSubscription(
            resident_id=actor.resident_id,
            scope_kind=place.kind.value,
            scope_id=place.id,
            created_at=now,
        )
    )
    return Subscription(place, True)


async def deliver_monthly(session: AsyncSession, *, now: datetime, tz: ZoneInfo) -> int:
    """Last month's report (text, chart, workbook) to every subscriber not served yet who may
    still read the place (a transferred officer stops receiving it); nothing before the 1st at
    08:00, and nobody who subscribed after that (they have just seen the report). Returns the
    number of subscribers served."""
    local = now.astimezone(tz)
    send_time = datetime.combine(local.date().replace(day=1), SEND_AT, tzinfo=tz)
    if local < send_time:
        return 0
    month = previous_month(month_of(local.date()))
    pending = (
        await session.exec(
            select(KpiSubscription, Resident)
            .join(Resident, col(Resident.id) == col(KpiSubscription.resident_id))
            .where(col(Resident.telegram_id).is_not(None))
            .where(col(KpiSubscription.created_at) < send_time)
            .order_by(col(KpiSubscription.resident_id))
        )
    ).all()
    done = set(
        (
            await session.exec(
                select(
                    col(KpiDelivery.resident_id),
                    col(KpiDelivery.scope_kind),
                    col(KpiDelivery.scope_id),
                ).where(col(KpiDelivery.month) == month)
            )
        ).all()
    )
    people: dict[int, Actor] = {}
    waiting: dict[tuple[str, int], list[Recipient]] = {}
    for subscription, person in pending:
        key = (subscription.scope_kind, subscription.scope_id)
        me = subscription.resident_id
        if (me, *key) in done or person.telegram_id is None:
            continue
        if me not in people:
            people[me] = await load_actor(session, person.telegram_id)
        place = await _place(session, *key)
        if place is None or not await allowed(session, people[me], Permission.KPI_VIEW, place):
            continue
        waiting.setdefault(key, []).append(Recipient.of(person))
    deliveries = []
    for (kind, scope_id), recipients in waiting.items():
        place = await _place(session, kind, scope_id)
        assert place is not None
        found = await kpi.report(session, place.kind, place.id, place.name, month, tz)
        purpose = f"kpi:{month}:{kind}:{scope_id}"
        for part, message in (("text", SUMMARY), ("chart", CHART), ("sheet", WORKBOOK)):
            notify.tell(
                session,
                f"{purpose}:{part}",
                message,
                recipients,
                now=now,
                report=found,
                place=place,
            )
        await notify.flush(session)  # place by place: one report in memory at a time
        deliveries += [
            {
                "resident_id": r.resident_id,
                "scope_kind": kind,
                "scope_id": scope_id,
                "month": month,
                "queued_at": now,
            }
            for r in recipients
        ]
    await insert_many(
        session,
        KpiDelivery,
        deliveries,
        skip_conflicts_on=["resident_id", "scope_kind", "scope_id", "month"],
    )
    return len(deliveries)
