"""Following a notice up: its delivery report (queued, sent, failed, unreachable, acknowledged,
and the households nobody reached, for door-to-door follow-up — 天天敲门) and one tap to remind
the households that have not confirmed reading it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, update
from sqlalchemy import select as sql_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Building,
    Grid,
    Household,
    Notice,
    NoticeAck,
    NoticeStatus,
    OutboxMessage,
    OutboxStatus,
    Resident,
    TargetKind,
)
from services import audit, outbox
from services.actors import Actor
from services.errors import DomainError
from services.notice_targets import target_households
from services.notices import notice, own_notice, purpose, tell
from services.notify import Recipient
from services.places import household_label
from services.policy import Permission, allowed, authorize

ACK_GRACE = timedelta(days=2)
REMINDER_COOLDOWN = timedelta(hours=6)  # the default of NOTICE_REMINDER_COOLDOWN_HOURS


@dataclass(frozen=True)
class Reminded:
    """A reminder went out to `count` people."""

    count: int


@dataclass(frozen=True)
class RemindedRecently:
    """Refused: the last reminder went out at `last`; the next may go at `next_at`."""

    last: datetime
    next_at: datetime


class Missed(StrEnum):
    """Why a household was not reached."""

    NOT_REGISTERED = "not_registered"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    NOT_ACKNOWLEDGED = "not_acknowledged"


@dataclass(frozen=True)
class MissedHousehold:
    building: str
    grid: str
    household: str
    reason: Missed
    household_id: int = 0  # the home (the door-knocking list reads its roster contact)
    owner_name: str = ""  # the roster's, for those who may see names and phones
    owner_phone: str = ""


@dataclass
class DeliveryReport:
    notice: Notice
    queued: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    acknowledged: int = 0
    households: int = 0
    missed: list[MissedHousehold] = field(default_factory=list)
    may_remind: bool = False  # the reader sent it (and it asks for acknowledgement)
    names: bool = False  # the missed households carry the roster's names and phones


async def delivery_report(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> DeliveryReport:
    """Counts, and the households nobody reached, for the compound's senders."""
    found = await notice(session, notice_id)
    await authorize(session, actor, Permission.NOTICE_REPORT, found.compound_id)
    counts = await outbox.counts(session, purpose(found.id))
    report = DeliveryReport(
        notice=found,
        queued=counts[OutboxStatus.QUEUED] + counts[OutboxStatus.SENDING],
        sent=counts[OutboxStatus.SENT],
        failed=counts[OutboxStatus.FAILED],
        unreachable=counts[OutboxStatus.UNREACHABLE],
        may_remind=found.ask_ack
        and found.status == NoticeStatus.QUEUED
        and await allowed(
            session, actor, Permission.NOTICE_EDIT_OWN, found.compound_id, owners=[found.sender_id]
        ),
    )
    report.acknowledged = (
        await session.exec(
            select(func.count()).select_from(NoticeAck).where(col(NoticeAck.notice_id) == found.id)
        )
    ).one()
    if found.target_kind == TargetKind.ROLE or found.status != NoticeStatus.QUEUED:
        return report
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.report",
        subject_type="notice",
        subject_id=found.id,
    )
    report.names = await allowed(session, actor, Permission.PEOPLE_CONTACT, found.compound_id)
    await _missed(session, report, now=now)
    if report.names and report.missed:
        await audit.record_read(
            session,
            at=now,
            actor_id=actor.resident_id,
            what="not_reached",
            subject_type="notice",
            subject_id=found.id,
            compound_id=found.compound_id,
            households=[m.household_id for m in report.missed],
        )
    return report


async def _missed(session: AsyncSession, report: DeliveryReport, *, now: datetime) -> None:
    found = report.notice
    connection = await session.connection()
    rows = (
        await connection.execute(
            sql_select(
                col(Household.id),
                col(Building.name),
                col(Household.unit),
                col(Household.room),
                col(Grid.name),
                col(Household.owner_name),
                col(Household.owner_phone),
            )
            .join(Building, col(Building.id) == col(Household.building_id))
            .join(Grid, col(Grid.id) == col(Household.grid_id), isouter=True)
            .where(col(Household.id).in_(target_households(found)))
            .order_by(col(Building.name), col(Household.unit), col(Household.room))
        )
    ).all()
    report.households = len(rows)
    statuses: dict[int | None, set[str]] = {}
    for household_id, status in await session.exec(
        select(col(OutboxMessage.household_id), col(OutboxMessage.status)).where(
            col(OutboxMessage.purpose) == purpose(found.id)
        )
    ):
        statuses.setdefault(household_id, set()).add(status)
    acked = set(
        (
            await session.exec(
                select(col(NoticeAck.household_id)).where(col(NoticeAck.notice_id) == found.id)
            )
        ).all()
    )
    ack_due = found.ask_ack and found.queued_at is not None and now - found.queued_at >= ACK_GRACE
    for household_id, building, unit, room, grid, owner, phone in rows:
        seen = statuses.get(household_id, set())
        if not seen:
            reason = Missed.NOT_REGISTERED
        elif OutboxStatus.SENT in seen:
            if not ack_due or household_id in acked:
                continue
            reason = Missed.NOT_ACKNOWLEDGED
        elif seen & {OutboxStatus.QUEUED, OutboxStatus.SENDING}:
            continue  # still on its way
        elif OutboxStatus.UNREACHABLE in seen:
            reason = Missed.UNREACHABLE
        else:
            reason = Missed.FAILED
        contact = (owner or "", phone or "") if report.names else ("", "")
        report.missed.append(
            MissedHousehold(
                building,
                grid or "—",
                household_label(building, unit, room),
                reason,
                household_id or 0,
                *contact,
            )
        )
    report.missed.sort(key=lambda m: (m.building, m.grid, m.household))


async def remind_unacknowledged(
    session: AsyncSession,
    actor: Actor,
    notice_id: int,
    *,
    now: datetime,
    cooldown: timedelta = REMINDER_COOLDOWN,
) -> Reminded | RemindedRecently:
    """One tap of the sender: remind everyone the notice reached whose household has not
    acknowledged it, at most once per `cooldown` (a second tap within it, or a double tap, is
    answered with when the last went out). Nobody left to remind is refused with that reason."""
    found = await own_notice(session, actor, notice_id)
    if not found.ask_ack or found.status != NoticeStatus.QUEUED:
        raise DomainError(N_("Reminders are for sent notices that ask for acknowledgement."))
    # Claimed with one conditional UPDATE, so two taps handled at once send one reminder.
    claimed = await session.exec(
        update(Notice)
        .where(col(Notice.id) == found.id)
        .where(
            or_(
                col(Notice.last_reminded_at).is_(None),
                col(Notice.last_reminded_at) <= now - cooldown,
            )
        )
        .values(last_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        await session.refresh(found, ["last_reminded_at"])
        assert found.last_reminded_at is not None
        return RemindedRecently(found.last_reminded_at, found.last_reminded_at + cooldown)
    acked_households = (
        select(col(NoticeAck.household_id))
        .where(col(NoticeAck.notice_id) == found.id)
        .where(col(NoticeAck.household_id).is_not(None))
    )
    acked_people = select(col(NoticeAck.resident_id)).where(col(NoticeAck.notice_id) == found.id)
    rows = await session.exec(
        select(
            col(OutboxMessage.resident_id),
            col(Resident.telegram_id),
            col(Resident.language),
            col(OutboxMessage.household_id),
        )
        .join(Resident, col(Resident.id) == col(OutboxMessage.resident_id))
        .where(col(OutboxMessage.purpose) == purpose(found.id))
        .where(col(OutboxMessage.status) == OutboxStatus.SENT)
        .where(col(OutboxMessage.resident_id).not_in(acked_people))
        .where(col(OutboxMessage.household_id).not_in(acked_households))
        .where(col(Resident.telegram_id).is_not(None))
    )
    people = [Recipient.from_row(row) for row in rows]
    if not people:  # raised: the claimed cool-down is rolled back with it
        raise DomainError(
            N_("Everyone this notice reached has confirmed reading it: there is nobody to remind.")
        )
    found.reminders += 1
    tell(session, found, people, now=now, reminder=found.reminders)
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.remind",
        subject_type="notice",
        subject_id=found.id,
        count=len(people),
    )
    return Reminded(len(people))
