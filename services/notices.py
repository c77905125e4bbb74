"""Notices: drafting, targeting, scheduling, queueing to the outbox, acknowledgement, reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, false, func, or_, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Bill,
    Building,
    Compound,
    Grid,
    Household,
    Membership,
    MembershipKind,
    Notice,
    NoticeAck,
    NoticeCategory,
    NoticeStatus,
    OutboxMessage,
    OutboxStatus,
    Resident,
    Role,
    RoleGrant,
    TargetKind,
)
from services import audit, outbox
from services.actors import Actor
from services.errors import DomainError, NotAllowed, NotFound
from services.outbox import Outgoing, QuietHours
from services.places import compound_chain, compounds_for_roles, household_label

SENDER_ROLES = {Role.LIAISON, Role.STAFF, Role.ADMIN}
MAX_TEXT = 4096
MAX_CAPTION = 1024
HEADER_RESERVE = 40  # the category line the bot puts above the sender's text
ACK_GRACE = timedelta(days=2)

# payload(notice, language, reminder) -> the outbox payload for one recipient's language
Renderer = Callable[[Notice, str, bool], dict[str, Any]]


def purpose(notice_id: int, reminder: int = 0) -> str:
    return f"notice:{notice_id}" if not reminder else f"notice:{notice_id}:remind:{reminder}"


async def sender_compounds(session: AsyncSession, actor: Actor) -> list[Compound]:
    """Compounds this person may send notices to (liaison, staff or admin over them)."""
    grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
    return await compounds_for_roles(session, grants, {r.value for r in SENDER_ROLES})


async def _require_sender(session: AsyncSession, actor: Actor, compound_id: int) -> None:
    if not actor.registered or compound_id not in {
        c.id for c in await sender_compounds(session, actor)
    }:
        raise NotAllowed(
            N_(
                "Only liaisons, property staff and administrators of this compound can send notices."
            )
        )


async def start_draft(
    session: AsyncSession, actor: Actor, compound_id: int, *, now: datetime
) -> Notice:
    """A new draft; an unfinished earlier draft of the same sender is discarded."""
    await _require_sender(session, actor, compound_id)
    await session.exec(
        delete(Notice)
        .where(Notice.sender_id == actor.resident_id)
        .where(Notice.status == NoticeStatus.DRAFT)
    )
    notice = Notice(compound_id=compound_id, sender_id=actor.resident_id, created_at=now)
    session.add(notice)
    await session.flush()
    return notice


async def current_draft(session: AsyncSession, actor: Actor) -> Notice:
    notice = (
        await session.exec(
            select(Notice)
            .where(Notice.sender_id == actor.resident_id)
            .where(Notice.status == NoticeStatus.DRAFT)
            .order_by(col(Notice.id).desc())
        )
    ).first()
    if notice is None:
        raise NotFound(N_("There is no notice being written. Send /notice to start one."))
    return notice


async def set_category(session: AsyncSession, actor: Actor, category: str) -> Notice:
    notice = await current_draft(session, actor)
    notice.category = NoticeCategory(category)
    return notice


async def target_choices(
    session: AsyncSession, notice: Notice
) -> tuple[list[Building], list[Grid]]:
    buildings = (
        await session.exec(
            select(Building)
            .where(Building.compound_id == notice.compound_id)
            .order_by(Building.name)
        )
    ).all()
    grids = (
        await session.exec(
            select(Grid)
            .where(
                col(Grid.id).in_(
                    select(Household.grid_id).where(Household.compound_id == notice.compound_id)
                )
            )
            .order_by(Grid.name)
        )
    ).all()
    return list(buildings), list(grids)


async def set_target(
    session: AsyncSession,
    actor: Actor,
    kind: str,
    ids: list[int] | None = None,
    role: str | None = None,
) -> Notice:
    notice = await current_draft(session, actor)
    kind = TargetKind(kind)
    ids = sorted(set(ids or []))
    if kind in (TargetKind.BUILDINGS, TargetKind.GRIDS):
        buildings, grids = await target_choices(session, notice)
        allowed = (
            {b.id for b in buildings} if kind == TargetKind.BUILDINGS else {g.id for g in grids}
        )
        if not ids or not set(ids) <= allowed:
            raise DomainError(N_("Choose at least one building or grid of this compound."))
    if kind == TargetKind.ROLE and role not in {r.value for r in Role}:
        raise DomainError(N_("Choose a role."))
    notice.target_kind, notice.target_ids, notice.target_role = (
        kind,
        ids,
        role if kind == TargetKind.ROLE else None,
    )
    return notice


def _check_length(plain_length: int, *, has_media: bool) -> None:
    """Telegram's limits (4096 for a message, 1024 for a caption), less the category line."""
    limit = (MAX_CAPTION if has_media else MAX_TEXT) - HEADER_RESERVE
    if plain_length > limit:
        raise DomainError(
            N_(
                "This text has {length} characters; the limit is {limit} ({what}). Please shorten it."
            ),
            length=plain_length,
            limit=limit,
            what=N_("a caption under a photo or file") if has_media else N_("a text message"),
        )


async def set_content(
    session: AsyncSession,
    actor: Actor,
    *,
    html: str,
    plain_length: int,
    photo: str | None = None,
    document: str | None = None,
) -> Notice:
    """The text as the sender formatted it; refused over Telegram's limits, naming the limit."""
    notice = await current_draft(session, actor)
    _check_length(plain_length, has_media=bool(photo or document))
    if not html.strip() and not (photo or document):
        raise DomainError(N_("Please send the text of the notice."))
    notice.text, notice.photo_file_id, notice.document_file_id = html, photo, document
    return notice


async def set_ack(session: AsyncSession, actor: Actor, ask: bool) -> Notice:
    notice = await current_draft(session, actor)
    notice.ask_ack = ask
    return notice


async def set_send_at(
    session: AsyncSession, actor: Actor, when: datetime | None, *, now: datetime
) -> Notice:
    """None means now; a time must be in the future."""
    notice = await current_draft(session, actor)
    if when is not None and when <= now:
        raise DomainError(N_("That time has already passed. Please give a time in the future."))
    notice.send_at = when
    return notice


@dataclass(frozen=True)
class Recipient:
    resident_id: int
    telegram_id: int
    language: str | None
    household_id: int | None


def _target_households(notice: Notice):  # type: ignore[no-untyped-def]
    statement = select(Household.id).where(Household.compound_id == notice.compound_id)
    if notice.target_kind == TargetKind.BUILDINGS:
        statement = statement.where(col(Household.building_id).in_(notice.target_ids))
    elif notice.target_kind == TargetKind.GRIDS:
        statement = statement.where(col(Household.grid_id).in_(notice.target_ids))
    elif notice.target_kind == TargetKind.UNPAID:
        overdue = (
            select(Bill.household_id)
            .where(Bill.compound_id == notice.compound_id, Bill.paid_off == false())
            .where(Bill.due_date < notice.created_at.date())
        )
        statement = statement.where(col(Household.id).in_(overdue))
    return statement


async def recipients(session: AsyncSession, notice: Notice) -> list[Recipient]:
    """Registered, reachable people the notice goes to: one message per person."""
    if notice.target_kind == TargetKind.ROLE:
        chain = await compound_chain(session, notice.compound_id)
        grants = (
            await session.exec(
                select(RoleGrant.scope_kind, RoleGrant.scope_id, Resident)
                .join(Resident, Resident.id == RoleGrant.resident_id)
                .where(RoleGrant.role == notice.target_role)
                .where(col(Resident.telegram_id).is_not(None))
                .where(col(Resident.consent_at).is_not(None))
            )
        ).all()
        found = {
            r.id: Recipient(r.id, r.telegram_id, r.language, None)
            for kind, scope_id, r in grants
            if chain and chain.contains(kind, scope_id)
        }
        return sorted(found.values(), key=lambda r: r.resident_id)
    statement = (
        select(
            Resident.id, Resident.telegram_id, Resident.language, func.min(Membership.household_id)
        )
        .join(Membership, Membership.resident_id == Resident.id)
        .where(col(Membership.household_id).in_(_target_households(notice)))
        .where(col(Resident.telegram_id).is_not(None))
        .where(col(Resident.consent_at).is_not(None))
        .group_by(Resident.id, Resident.telegram_id, Resident.language)
        .order_by(Resident.id)
    )
    owners = col(Membership.kind).in_([MembershipKind.OWNER, MembershipKind.CO_OWNER])
    if notice.target_kind == TargetKind.OWNERS:
        statement = statement.where(owners)
    elif notice.target_kind == TargetKind.UNPAID:  # bills are the owners' business unless shared
        statement = statement.join(Household, Household.id == Membership.household_id).where(
            or_(owners, Household.tenants_see_bills == true())
        )
    return [Recipient(*row) for row in await session.exec(statement)]


async def household_count(session: AsyncSession, notice: Notice) -> int:
    if notice.target_kind == TargetKind.ROLE:
        return 0
    return (
        await session.exec(select(func.count()).select_from(_target_households(notice).subquery()))
    ).one()


async def confirm(
    session: AsyncSession,
    actor: Actor,
    *,
    now: datetime,
    quiet: QuietHours | None,
    render: Renderer,
) -> Notice:
    """The sender confirmed the preview: schedule it, or queue it at once."""
    notice = await current_draft(session, actor)
    await _require_sender(session, actor, notice.compound_id)
    if not (notice.text or notice.photo_file_id or notice.document_file_id):
        raise DomainError(N_("Please send the text of the notice."))
    notice.status = NoticeStatus.SCHEDULED
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.confirm",
        subject_type="notice",
        subject_id=notice.id,
    )
    if notice.send_at is None or notice.send_at <= now:
        await queue_notice(session, notice, now=now, quiet=quiet, render=render)
    return notice


async def queue_notice(
    session: AsyncSession,
    notice: Notice,
    *,
    now: datetime,
    quiet: QuietHours | None,
    render: Renderer,
) -> int:
    """Hand the notice to the outbox, one message per recipient in their language. Idempotent."""
    people = await recipients(session, notice)
    messages = [
        Outgoing(
            chat_id=person.telegram_id,
            payload=render(notice, person.language or "", False),
            resident_id=person.resident_id,
            household_id=person.household_id,
            recipient_key=str(person.resident_id),
        )
        for person in people
    ]
    await outbox.enqueue(
        session,
        purpose(notice.id),
        messages,
        now=now,
        quiet=quiet,
        emergency=notice.category == NoticeCategory.EMERGENCY,
    )
    notice.status = NoticeStatus.QUEUED
    notice.queued_at = now
    notice.recipients = len(people)
    return len(people)


async def dispatch_due(
    session: AsyncSession, *, now: datetime, quiet: QuietHours | None, render: Renderer
) -> int:
    """Queue every scheduled notice whose time has come (the job's tick). Safe to run twice."""
    statement = (
        select(Notice)
        .where(Notice.status == NoticeStatus.SCHEDULED)
        .where(col(Notice.send_at) <= now)
        .order_by(Notice.id)
    )
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    due = (await session.exec(statement)).all()
    for notice in due:
        await queue_notice(session, notice, now=now, quiet=quiet, render=render)
    return len(due)


async def _own_notice(session: AsyncSession, actor: Actor, notice_id: int) -> Notice:
    notice = await session.get(Notice, notice_id)
    if notice is None or notice.status == NoticeStatus.DRAFT:
        raise NotFound(N_("That notice does not exist."))
    await _require_sender(session, actor, notice.compound_id)
    return notice


async def cancel_scheduled(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> Notice:
    notice = await _own_notice(session, actor, notice_id)
    if notice.status != NoticeStatus.SCHEDULED:
        raise DomainError(
            N_("Only a notice that has not gone out yet can be changed or cancelled.")
        )
    notice.status = NoticeStatus.CANCELLED
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.cancel",
        subject_type="notice",
        subject_id=notice.id,
    )
    return notice


async def begin_edit(session: AsyncSession, actor: Actor, notice_id: int) -> Notice:
    """The sender wants to change a scheduled notice's text; the next text they send replaces it."""
    notice = await _own_notice(session, actor, notice_id)
    if notice.status != NoticeStatus.SCHEDULED:
        raise DomainError(
            N_("Only a notice that has not gone out yet can be changed or cancelled.")
        )
    notice.editor_id = actor.resident_id
    return notice


async def finish_edit(
    session: AsyncSession, actor: Actor, *, html: str, plain_length: int, now: datetime
) -> Notice:
    notice = (
        await session.exec(
            select(Notice)
            .where(Notice.editor_id == actor.resident_id)
            .order_by(col(Notice.id).desc())
        )
    ).first()
    if notice is None or notice.status != NoticeStatus.SCHEDULED:
        raise DomainError(
            N_("Only a notice that has not gone out yet can be changed or cancelled.")
        )
    _check_length(plain_length, has_media=bool(notice.photo_file_id or notice.document_file_id))
    notice.text = html
    notice.editor_id = None
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.edit",
        subject_type="notice",
        subject_id=notice.id,
    )
    return notice


async def scheduled_and_recent(
    session: AsyncSession, actor: Actor, limit: int = 10
) -> list[Notice]:
    """The sender's own notices, newest first."""
    return list(
        (
            await session.exec(
                select(Notice)
                .where(Notice.sender_id == actor.resident_id)
                .where(Notice.status != NoticeStatus.DRAFT)
                .order_by(col(Notice.id).desc())
                .limit(limit)
            )
        ).all()
    )


async def acknowledge(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> bool:
    """ "I have read it". Only someone the notice (or its reminder) was sent to; a second tap changes nothing."""
    base = purpose(notice_id)
    delivery = (
        await session.exec(
            select(OutboxMessage.id, OutboxMessage.household_id)
            .where(
                or_(
                    OutboxMessage.purpose == base, col(OutboxMessage.purpose).startswith(f"{base}:")
                )
            )
            .where(OutboxMessage.resident_id == actor.resident_id)
        )
    ).first()
    if actor.resident_id is None or delivery is None:
        raise NotAllowed(N_("This notice was not sent to you."))
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.exec(
        insert(NoticeAck)
        .values(
            notice_id=notice_id, resident_id=actor.resident_id, household_id=delivery[1], at=now
        )
        .on_conflict_do_nothing(index_elements=["notice_id", "resident_id"])
    )
    return bool(result.rowcount)


async def notices_for_resident(
    session: AsyncSession, actor: Actor, limit: int = 10
) -> list[tuple[Notice, bool]]:
    """Recent notices sent to this person, with whether they acknowledged each."""
    if actor.resident_id is None:
        return []
    purposes = (
        await session.exec(
            select(OutboxMessage.purpose)
            .where(OutboxMessage.resident_id == actor.resident_id)
            .where(col(OutboxMessage.purpose).startswith("notice:"))
            .where(OutboxMessage.status == OutboxStatus.SENT)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit * 3)
        )
    ).all()
    ids: list[int] = []
    for value in purposes:
        notice_id = int(value.split(":")[1])
        if notice_id not in ids:
            ids.append(notice_id)
    ids = ids[:limit]
    if not ids:
        return []
    notices = {
        n.id: n for n in (await session.exec(select(Notice).where(col(Notice.id).in_(ids)))).all()
    }
    acked = set(
        (
            await session.exec(
                select(NoticeAck.notice_id)
                .where(NoticeAck.resident_id == actor.resident_id)
                .where(col(NoticeAck.notice_id).in_(ids))
            )
        ).all()
    )
    return [(notices[i], i in acked) for i in ids if i in notices]


# --- the delivery report -----------------------------------------------------------------
NOT_REGISTERED = "not_registered"
UNREACHABLE = "unreachable"
FAILED = "failed"
NOT_ACKNOWLEDGED = "not_acknowledged"


@dataclass(frozen=True)
class MissedHousehold:
    building: str
    grid: str
    household: str
    reason: str  # one of the constants above


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

    @property
    def finished(self) -> bool:
        return self.queued == 0 and self.notice.status == NoticeStatus.QUEUED


async def delivery_report(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> DeliveryReport:
    """Counts, and the households nobody reached, for door-to-door follow-up."""
    notice = await _own_notice(session, actor, notice_id)
    counts = await outbox.counts(session, purpose(notice.id))
    report = DeliveryReport(
        notice=notice,
        queued=counts[OutboxStatus.QUEUED] + counts[OutboxStatus.SENDING],
        sent=counts[OutboxStatus.SENT],
        failed=counts[OutboxStatus.FAILED],
        unreachable=counts[OutboxStatus.UNREACHABLE],
    )
    report.acknowledged = (
        await session.exec(
            select(func.count()).select_from(NoticeAck).where(NoticeAck.notice_id == notice.id)
        )
    ).one()
    if notice.target_kind == TargetKind.ROLE or notice.status != NoticeStatus.QUEUED:
        return report
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.report",
        subject_type="notice",
        subject_id=notice.id,
    )
    rows = (
        await session.exec(
            select(Household.id, Building.name, Household.unit, Household.room, Grid.name)
            .join(Building, Building.id == Household.building_id)
            .join(Grid, Grid.id == Household.grid_id, isouter=True)
            .where(col(Household.id).in_(_target_households(notice)))
            .order_by(Building.name, Household.unit, Household.room)
        )
    ).all()
    report.households = len(rows)
    statuses: dict[int, set[str]] = {}
    for household_id, status in await session.exec(
        select(OutboxMessage.household_id, OutboxMessage.status).where(
            OutboxMessage.purpose == purpose(notice.id)
        )
    ):
        statuses.setdefault(household_id, set()).add(status)
    acked = set(
        (
            await session.exec(
                select(NoticeAck.household_id).where(NoticeAck.notice_id == notice.id)
            )
        ).all()
    )
    ack_due = (
        notice.ask_ack and notice.queued_at is not None and now - notice.queued_at >= ACK_GRACE
    )
    for household_id, building, unit, room, grid in rows:
        seen = statuses.get(household_id, set())
        if not seen:
            reason = NOT_REGISTERED
        elif OutboxStatus.SENT in seen:
            if not ack_due or household_id in acked:
                continue
            reason = NOT_ACKNOWLEDGED
        elif seen & {OutboxStatus.QUEUED, OutboxStatus.SENDING}:
            continue  # still on its way
        elif OutboxStatus.UNREACHABLE in seen:
            reason = UNREACHABLE
        else:
            reason = FAILED
        report.missed.append(
            MissedHousehold(building, grid or "—", household_label(building, unit, room), reason)
        )
    report.missed.sort(key=lambda m: (m.building, m.grid, m.household))
    return report


async def remind_unacknowledged(
    session: AsyncSession,
    actor: Actor,
    notice_id: int,
    *,
    now: datetime,
    quiet: QuietHours | None,
    render: Renderer,
) -> int:
    """One tap: remind everyone the notice reached whose household has not acknowledged it."""
    notice = await _own_notice(session, actor, notice_id)
    if not notice.ask_ack or notice.status != NoticeStatus.QUEUED:
        raise DomainError(N_("Reminders are for sent notices that ask for acknowledgement."))
    acked_households = (
        select(NoticeAck.household_id)
        .where(NoticeAck.notice_id == notice.id)
        .where(col(NoticeAck.household_id).is_not(None))
    )
    acked_people = select(NoticeAck.resident_id).where(NoticeAck.notice_id == notice.id)
    rows = (
        await session.exec(
            select(
                OutboxMessage.resident_id,
                OutboxMessage.household_id,
                OutboxMessage.chat_id,
                Resident.language,
            )
            .join(Resident, Resident.id == OutboxMessage.resident_id)
            .where(OutboxMessage.purpose == purpose(notice.id))
            .where(OutboxMessage.status == OutboxStatus.SENT)
            .where(col(OutboxMessage.resident_id).not_in(acked_people))
            .where(col(OutboxMessage.household_id).not_in(acked_households))
            .where(col(Resident.telegram_id).is_not(None))
        )
    ).all()
    notice.reminders += 1
    messages = [
        Outgoing(chat_id=chat_id, payload=render(notice, language or "", True), resident_id=resident_id,
                 household_id=household_id, recipient_key=str(resident_id))
        for resident_id, household_id, chat_id, language in rows
    ]  # fmt: skip
    await outbox.enqueue(
        session, purpose(notice.id, notice.reminders), messages, now=now, quiet=quiet
    )
    audit.record(session, at=now, actor_id=actor.resident_id, action="notice.remind", subject_type="notice",
                 subject_id=notice.id, count=len(messages))  # fmt: skip
    return len(messages)


async def toggle_target_item(
    session: AsyncSession, actor: Actor, kind: str, item_id: int
) -> Notice:
    """Multi-select of buildings or grids: switch one on or off."""
    notice = await current_draft(session, actor)
    kind = TargetKind(kind)
    buildings, grids = await target_choices(session, notice)
    allowed = {b.id for b in buildings} if kind == TargetKind.BUILDINGS else {g.id for g in grids}
    if kind not in (TargetKind.BUILDINGS, TargetKind.GRIDS) or item_id not in allowed:
        raise DomainError(N_("Choose at least one building or grid of this compound."))
    chosen = set(notice.target_ids) if notice.target_kind == kind else set()
    chosen ^= {item_id}
    notice.target_kind, notice.target_ids, notice.target_role = kind, sorted(chosen), None
    return notice
