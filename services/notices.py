"""Notices (宣传员) once confirmed: scheduled or queued for their recipients, dispatched when
their time comes, acknowledged ("I have read it"), listed, changed or cancelled by their sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Msg
from models import (
    Notice,
    NoticeAck,
    NoticeCategory,
    NoticeStatus,
    OutboxMessage,
    OutboxStatus,
    TargetKind,
)
from services import audit, drafts, notify
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed, NotFound
from services.notice_drafts import NoticeDraft, NoticeStep, Question, check_length, notice_of
from services.notice_targets import recipients
from services.policy import Permission, anywhere, authorize, compound_ids, rule

NOTICE = "notice"  # the message residents get (and its reminders)
SHOWN = (NoticeStatus.SCHEDULED, NoticeStatus.QUEUED, NoticeStatus.CANCELLED)
NOT_CHANGEABLE = N_("Only a notice that has not gone out yet can be changed or cancelled.")


def purpose(notice_id: int | None, reminder: int = 0) -> str:
    return f"notice:{notice_id}" if not reminder else f"notice:{notice_id}:remind:{reminder}"


def tell(
    session: AsyncSession,
    notice: Notice,
    people: list[notify.Recipient],
    *,
    now: datetime,
    reminder: int = 0,
) -> None:
    """The notice (or its reminder) for these people, rendered once per language at commit;
    emergencies ignore quiet hours, and go by paid broadcast where the bot allows it (not their
    reminders: the sender saw the cost of the notice only)."""
    emergency = notice.category == NoticeCategory.EMERGENCY
    notify.tell(
        session,
        purpose(notice.id, reminder),
        NOTICE,
        people,
        now=now,
        emergency=emergency,
        paid=emergency and not reminder,
        notice=notice,
        reminder=bool(reminder),
    )


@dataclass(frozen=True)
class NobodyToReach:
    """Refused: the target reaches nobody (`reason` says why); the draft asks for a new one."""

    reason: Msg
    question: Question


NOBODY: dict[TargetKind, Msg] = {
    TargetKind.COMPOUND: N_("Nobody in this compound is registered with the bot yet."),
    TargetKind.OWNERS: N_("No owner in this compound is registered with the bot yet."),
    TargetKind.BUILDINGS: N_("Nobody in the chosen buildings is registered with the bot yet."),
    TargetKind.GRIDS: N_("Nobody in the chosen grids is registered with the bot yet."),
    TargetKind.ROLE: N_("Nobody holds this role in this compound."),
    TargetKind.UNPAID: N_("No home with overdue fees has anyone registered with the bot."),
}


async def confirm(
    session: AsyncSession, actor: Actor, yes: bool, *, now: datetime
) -> Notice | NobodyToReach | None:
    """The sender answered the preview: the notice is saved and scheduled, or queued at once;
    None when they cancelled (nothing is saved). A target that reaches nobody is refused with
    the reason, and the draft goes back to the target question."""
    draft = await drafts.load(session, actor, NoticeDraft, NoticeStep.PREVIEW)
    if not yes:
        await drafts.finish(session, actor, NoticeDraft)
        return None
    assert draft.compound_id is not None
    await authorize(session, actor, Permission.NOTICE_SEND, draft.compound_id)
    if not (draft.text or draft.photo or draft.document):
        raise DomainError(N_("Please send the text of the notice."))
    notice = notice_of(draft, actor, now=now)
    if not await recipients(session, notice):
        # Kept, back at the target question: the text and the other answers stay.
        draft = drafts.replace(draft, step=NoticeStep.TARGET, retarget=True)
        await drafts.save(session, actor, draft, now=now)
        return NobodyToReach(NOBODY[TargetKind(draft.target_kind)], Question(draft))
    await drafts.finish(session, actor, NoticeDraft)
    session.add(notice)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.confirm",
        subject_type="notice",
        subject_id=notice.id,
    )
    if notice.send_at is None or notice.send_at <= now:
        await queue_notice(session, notice, now=now)
    return notice


async def queue_notice(session: AsyncSession, notice: Notice, *, now: datetime) -> int:
    """Tell every recipient (idempotent: one message per notice and person)."""
    people = await recipients(session, notice)
    tell(session, notice, people, now=now)
    notice.status = NoticeStatus.QUEUED
    notice.queued_at = now
    notice.recipients = len(people)
    return len(people)


async def dispatch_due(session: AsyncSession, *, now: datetime) -> int:
    """Queue every scheduled notice whose time has come (the job's tick). Safe to run twice."""
    statement = (
        select(Notice)
        .where(col(Notice.status) == NoticeStatus.SCHEDULED)
        .where(col(Notice.send_at) <= now)
        .order_by(col(Notice.id))
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    due = (await session.exec(statement)).all()
    for notice in due:
        await queue_notice(session, notice, now=now)
        await notify.flush(session)  # one notice's rows at a time: memory stays flat
    return len(due)


async def notice(session: AsyncSession, notice_id: int) -> Notice:
    """A confirmed notice (scheduled, sent or cancelled)."""
    found = await session.get(Notice, notice_id)
    if found is None or found.status not in SHOWN:
        raise NotFound(N_("That notice does not exist."))
    return found


async def own_notice(session: AsyncSession, actor: Actor, notice_id: int) -> Notice:
    """The sender's own notice, while they still hold a sender role over its compound."""
    found = await notice(session, notice_id)
    await authorize(
        session, actor, Permission.NOTICE_EDIT_OWN, found.compound_id, owners=[found.sender_id]
    )
    return found


async def _changeable(session: AsyncSession, actor: Actor, notice_id: int) -> Notice:
    found = await own_notice(session, actor, notice_id)
    if found.status != NoticeStatus.SCHEDULED:
        raise DomainError(NOT_CHANGEABLE)
    return found


async def cancel_scheduled(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> Notice:
    found = await _changeable(session, actor, notice_id)
    found.status = NoticeStatus.CANCELLED
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.cancel",
        subject_type="notice",
        subject_id=found.id,
    )
    return found


# --- changing a scheduled notice's text -------------------------------------------------------
class EditStep(StrEnum):
    TEXT = "text"


class NoticeEditDraft(Draft, flow="notice-edit"):
    notice_id: int


async def begin_edit(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> tuple[Notice, NoticeEditDraft]:
    """The sender wants to change a scheduled notice's text; the next text they send replaces it."""
    found = await _changeable(session, actor, notice_id)
    draft = NoticeEditDraft(step=EditStep.TEXT, notice_id=notice_id)
    await drafts.begin(session, actor, draft, now=now)
    return found, draft


async def finish_edit(
    session: AsyncSession, actor: Actor, *, html: str, plain_length: int, now: datetime
) -> Notice:
    draft = await drafts.load(session, actor, NoticeEditDraft, EditStep.TEXT)
    found = await _changeable(session, actor, draft.notice_id)
    check_length(plain_length, has_media=bool(found.photo_file_id or found.document_file_id))
    if not html.strip():
        raise DomainError(N_("Please send the text of the notice."))
    found.text = html
    await drafts.finish(session, actor, NoticeEditDraft)
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="notice.edit",
        subject_type="notice",
        subject_id=found.id,
    )
    return found


# --- residents ------------------------------------------------------------------------------
async def acknowledge(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> bool:
    """ "I have read it": only someone the notice (or its reminder) was sent to; True the first
    time, a second tap changes nothing."""
    base = purpose(notice_id)
    delivery = (
        await session.exec(
            select(col(OutboxMessage.resident_id), col(OutboxMessage.household_id))
            .where(
                or_(
                    col(OutboxMessage.purpose) == base,
                    col(OutboxMessage.purpose).startswith(f"{base}:"),
                )
            )
            .where(col(OutboxMessage.resident_id) == actor.resident_id)
        )
    ).first()
    found = await session.get(Notice, notice_id)
    if found is None or delivery is None or actor.resident_id is None:
        raise NotAllowed(rule(Permission.NOTICE_ACKNOWLEDGE).refusal)
    await authorize(
        session, actor, Permission.NOTICE_ACKNOWLEDGE, found.compound_id, parties=[delivery[0]]
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.exec(
        insert(NoticeAck)
        .values(
            notice_id=notice_id, resident_id=actor.resident_id, household_id=delivery[1], at=now
        )
        .on_conflict_do_nothing(index_elements=["notice_id", "resident_id"])
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class Received:
    notice: Notice
    acknowledged: bool


@dataclass(frozen=True)
class Listing:
    """/notices: what was sent to the person, and the notices they sent (newest first)."""

    received: list[Received]
    sent: list[Notice]


async def listing(session: AsyncSession, actor: Actor, limit: int = 10) -> Listing:
    if not anywhere(actor, Permission.OWN_DATA):
        raise NotAllowed(rule(Permission.OWN_DATA).refusal)
    received = await _received(session, actor, limit)
    senders_of = await compound_ids(session, actor, Permission.NOTICE_EDIT_OWN)
    sent = (
        await session.exec(
            select(Notice)
            .where(col(Notice.sender_id) == actor.resident_id)
            .where(col(Notice.compound_id).in_(senders_of))
            .where(col(Notice.status).in_(SHOWN))
            .order_by(col(Notice.id).desc())
            .limit(limit)
        )
    ).all()
    return Listing(received, list(sent))


async def _received(session: AsyncSession, actor: Actor, limit: int) -> list[Received]:
    """Recent notices delivered to this person, with whether they acknowledged each."""
    purposes = (
        await session.exec(
            select(col(OutboxMessage.purpose))
            .where(col(OutboxMessage.resident_id) == actor.resident_id)
            .where(col(OutboxMessage.purpose).startswith("notice:"))
            .where(col(OutboxMessage.status) == OutboxStatus.SENT)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit * 3)
        )
    ).all()
    ids: list[int] = []
    for value in purposes:
        number = value.split(":")[1]
        if number.isdigit() and int(number) not in ids:
            ids.append(int(number))
    ids = ids[:limit]
    if not ids:
        return []
    found = {
        n.id: n for n in (await session.exec(select(Notice).where(col(Notice.id).in_(ids)))).all()
    }
    acked = set(
        (
            await session.exec(
                select(col(NoticeAck.notice_id))
                .where(col(NoticeAck.resident_id) == actor.resident_id)
                .where(col(NoticeAck.notice_id).in_(ids))
            )
        ).all()
    )
    return [Received(found[i], i in acked) for i in ids if i in found]
