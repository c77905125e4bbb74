"""The reads of personal data in a compound, for its administrators (`admin audit`): one row per
person or home read — when, by whom, what, in which record, whose — never the data shown."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Msg
from models import AuditEvent, AuditSubject, Compound, Membership, Resident, RoleGrant
from services.actors import Actor
from services.audit import PEOPLE_READ, WHAT_SHOWN
from services.enum_inputs import ROLE, Choices
from services.errors import DomainError, NotAllowed
from services.places import household_labels
from services.policy import Permission, compound_ids, rule
from services.tables import Column, Table, local

COLUMNS = (
    Column(N_("Time"), "datetime", key="at"),
    Column(N_("Read by"), key="reader"),
    Column(N_("Reader's Telegram ID"), key="reader_telegram_id"),
    Column(N_("Reader's roles"), key="reader_roles"),
    Column(N_("What was shown"), key="what"),
    Column(N_("Record"), key="record"),
    Column(N_("Whose: person no."), "int", key="resident_id"),
    Column(N_("Whose: home"), key="home"),
)
OFFICE: Msg = N_("the property office (command line or a scheduled job)")
DEFAULT_DAYS = 30
BAD_DATE = N_("Please write the date as YYYY-MM-DD, e.g. /audit 2026-11-01.")


async def reads_for(
    session: AsyncSession, actor: Actor, since_text: str | None, *, now: datetime, tz: ZoneInfo
) -> tuple[date, dict[str, Table]]:
    """/audit [YYYY-MM-DD]: the reads since the date (default: the last 30 days) in each
    compound the person administers, one table per compound."""
    compounds = sorted(await compound_ids(session, actor, Permission.AUDIT_READS))
    if not compounds:
        raise NotAllowed(rule(Permission.AUDIT_READS).refusal)
    try:
        since = (
            date.fromisoformat(since_text)
            if since_text
            else (now.astimezone(tz) - timedelta(days=DEFAULT_DAYS)).date()
        )
    except ValueError:
        raise DomainError(BAD_DATE) from None
    start = datetime.combine(since, time(0), tz)
    found: dict[str, Table] = {}
    for compound_id in compounds:
        place = await session.get(Compound, compound_id)
        table = await reads_table(session, compound_id, start, tz)
        table.title = place.name if place else str(compound_id)
        found[str(compound_id)] = table
    return since, found


async def reads_table(
    session: AsyncSession, compound_id: int, since: datetime, tz: ZoneInfo
) -> Table:
    """Every read since `since` of the data of people and homes of the compound, oldest first."""
    rows = (
        await session.exec(
            select(AuditEvent, AuditSubject)
            .join(AuditSubject, col(AuditSubject.event_id) == col(AuditEvent.id))
            .where(col(AuditSubject.compound_id) == compound_id)
            .where(col(AuditEvent.action) == PEOPLE_READ)
            .where(col(AuditEvent.at) >= since)
            .order_by(col(AuditEvent.at), col(AuditEvent.id), col(AuditSubject.id))
        )
    ).all()
    readers = sorted({e.actor_id for e, _s in rows if e.actor_id is not None})
    people = {
        r.id: r
        for r in (await session.exec(select(Resident).where(col(Resident.id).in_(readers)))).all()
    }
    roles: dict[int, set[str]] = {}
    for who, role in await session.exec(
        select(col(RoleGrant.resident_id), col(RoleGrant.role)).where(
            col(RoleGrant.resident_id).in_(readers)
        )
    ):
        roles.setdefault(who, set()).add(role)
    subjects = sorted({s.resident_id for _e, s in rows if s.resident_id is not None})
    homes_of: dict[int, list[int]] = {}
    for who, home in await session.exec(
        select(col(Membership.resident_id), col(Membership.household_id)).where(
            col(Membership.resident_id).in_(subjects)
        )
    ):
        homes_of.setdefault(who, []).append(home)
    labels = await household_labels(
        session,
        sorted(
            {s.household_id for _e, s in rows if s.household_id is not None}
            | {h for homes in homes_of.values() for h in homes}
        ),
    )
    table: list[list[object]] = []
    for event, subject in rows:
        reader = people.get(event.actor_id) if event.actor_id is not None else None
        homes = (
            [subject.household_id]
            if subject.household_id is not None
            else homes_of.get(subject.resident_id or 0, [])
        )
        table.append(
            [
                local(event.at, tz),
                (reader.display_name or f"#{reader.id}") if reader else OFFICE,
                reader.telegram_id if reader else None,
                Choices(ROLE.get(r, Msg(r)) for r in sorted(roles.get(event.actor_id or 0, set()))),
                WHAT_SHOWN.get(what := str(event.details.get("what", "")), what),
                f"{event.subject_type}:{event.subject_id}",
                subject.resident_id,
                "; ".join(labels.get(h, "?") for h in homes),
            ]
        )
    return Table(COLUMNS, table, title=N_("Reads of personal data"))
