"""The reads of personal data in a compound, for its administrators (`admin audit`): one row per
person or home read — when, by whom, what, in which record, whose — never the data shown."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Msg
from models import AuditEvent, AuditSubject, Membership, Resident, RoleGrant
from services.audit import PEOPLE_READ
from services.places import household_labels
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
                ", ".join(sorted(roles.get(event.actor_id or 0, set()))),
                str(event.details.get("what", "")),
                f"{event.subject_type}:{event.subject_id}",
                subject.resident_id,
                "; ".join(labels.get(h, "?") for h in homes),
            ]
        )
    return Table(COLUMNS, table, title=N_("Reads of personal data"))
