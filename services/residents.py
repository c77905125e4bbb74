"""A person's own data (PIPL): who they are registered as, their language and phone, the export
of everything the bot holds about them, and forgetting it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import LANGUAGES, N_
from models import (
    ConsoleLink,
    ConsoleSession,
    ConversationState,
    KpiSubscription,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Resident,
    RoleGrant,
    StartAttempt,
)
from services import audit, drafts, erasure, memberships, personal_data
from services.actors import Actor
from services.errors import DomainError, NotAllowed
from services.places import scope_name
from services.policy import Permission, anywhere, rule

NOTHING_HELD = N_("The bot holds no personal data about you.")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


class PhoneStep(StrEnum):
    """/setphone has one question: the number (typed, or the shared Telegram contact)."""

    NUMBER = "number"


class Standing(StrEnum):
    """Where someone who opens the bot without an invite stands."""

    REGISTERED = "registered"
    CONSENT_PENDING = "consent_pending"  # holds a role granted on the command line
    GUEST = "guest"


@dataclass(frozen=True)
class Profile:
    """/whoami: what the person is registered as."""

    telegram_id: int
    registered: bool
    name: str = ""
    phone: str | None = None
    households: tuple[tuple[str, str], ...] = ()  # (home, membership kind)
    roles: tuple[tuple[str, str, str], ...] = ()  # (role, scope kind, place name)


@dataclass(frozen=True)
class PersonalData:
    """/mydata: a summary of what is held (the homes and roles by name, who read the data), and
    all of it as a JSON file (services.personal_data)."""

    telegram_id: int
    name: str
    phone: str | None
    language: str | None
    households: tuple[tuple[str, str], ...]  # (home, membership kind)
    roles: tuple[tuple[str, str, str], ...]  # (role, scope kind, place name)
    reads: tuple[personal_data.Read, ...]
    content: bytes


def conversation_key(telegram_id: int) -> str:
    """Key of a private chat's conversation states: [chat id, user id], equal in private chats."""
    return json.dumps([telegram_id, telegram_id])


def require_registered(actor: Actor) -> Resident:
    """The person, if they hold their own data as a registered resident or role holder."""
    if actor.resident is None or not anywhere(actor, Permission.OWN_DATA):
        raise NotAllowed(rule(Permission.OWN_DATA).refusal)
    return actor.resident


def standing(actor: Actor) -> Standing:
    if actor.registered:
        return Standing.REGISTERED
    if actor.resident is not None and actor.roles and actor.resident.consent_at is None:
        return Standing.CONSENT_PENDING
    return Standing.GUEST


async def set_language(
    session: AsyncSession, actor: Actor, language: str, *, now: datetime
) -> Resident:
    """Remember the language; an unregistered user gets a row holding only id and language."""
    if language not in LANGUAGES:
        raise DomainError(N_("That language is not available."))
    resident = actor.resident
    if resident is None:
        resident = Resident(telegram_id=actor.telegram_id, created_at=now)
        session.add(resident)
        actor.resident = resident
    resident.language = language
    await session.flush()
    return resident


def start_phone(actor: Actor) -> PhoneStep:
    """/setphone: only a registered person has a phone to set."""
    require_registered(actor)
    return PhoneStep.NUMBER


async def set_phone(
    session: AsyncSession, actor: Actor, phone: str, *, now: datetime, contact_of: int | None = None
) -> None:
    """Save the typed number, or the shared contact (`contact_of`: whose contact it is)."""
    resident = require_registered(actor)
    if contact_of is not None and contact_of != actor.telegram_id:
        raise DomainError(N_("Please share your own contact, not someone else's."))
    phone = phone.strip()
    if not _PHONE.match(phone):
        raise DomainError(
            N_("That does not look like a phone number. Please send digits only, e.g. 13800138000.")
        )
    resident.phone = phone
    audit.record(
        session,
        at=now,
        actor_id=resident.id,
        action="resident.set_phone",
        subject_type="resident",
        subject_id=resident.id,
    )


async def describe_roles(session: AsyncSession, actor: Actor) -> list[tuple[str, str, str]]:
    """(role, scope kind, scope name) for each role the actor holds."""
    return [
        (g.role, g.scope_kind, await scope_name(session, g.scope_kind, g.scope_id))
        for g in actor.roles
    ]


async def profile(session: AsyncSession, actor: Actor) -> Profile:
    """/whoami: name, phone, homes and roles (only the Telegram id before joining)."""
    if not actor.registered or actor.resident is None:
        return Profile(actor.telegram_id, registered=False)
    resident = actor.resident
    return Profile(
        actor.telegram_id,
        registered=True,
        name=resident.display_name,
        phone=resident.phone,
        households=tuple((tie.label, tie.kind) for tie in actor.households),
        roles=tuple(await describe_roles(session, actor)),
    )


async def export_personal_data(
    session: AsyncSession, actor: Actor, *, now: datetime
) -> PersonalData | None:
    """Everything the bot holds about this person (None: nothing), the access audited."""
    resident = actor.resident
    if resident is None or resident.forgotten_at is not None:
        return None
    roles = await describe_roles(session, actor)
    reads = await personal_data.reads_of(session, actor)
    record = await personal_data.document(session, actor, resident, roles, reads, now)
    audit.record(
        session,
        at=now,
        actor_id=resident.id,
        action="resident.export",
        subject_type="resident",
        subject_id=resident.id,
    )
    return PersonalData(
        telegram_id=actor.telegram_id,
        name=resident.display_name,
        phone=resident.phone,
        language=resident.language,
        households=tuple((tie.label, tie.kind) for tie in actor.households),
        roles=tuple(roles),
        reads=tuple(reads),
        content=json.dumps(record, ensure_ascii=False, indent=2, default=str).encode(),
    )


def may_forget(actor: Actor) -> None:
    """/forgetme asks first; there must be something to forget."""
    if actor.resident is None or actor.resident.forgotten_at is not None:
        raise DomainError(NOTHING_HELD)


async def forget(session: AsyncSession, actor: Actor, *, now: datetime) -> None:
    """Withdraw consent: delete personal data; records kept for legal reasons stay, unnamed."""
    may_forget(actor)
    resident = actor.resident
    assert resident is not None and resident.id is not None
    me = resident.id
    await memberships.archive_all(session, me, now=now)  # who held what stays, unnamed
    await session.exec(delete(Membership).where(col(Membership.resident_id) == me))
    await session.exec(delete(RoleGrant).where(col(RoleGrant.resident_id) == me))
    await session.exec(
        delete(StartAttempt).where(col(StartAttempt.telegram_id) == actor.telegram_id)
    )
    await session.exec(
        delete(ConversationState).where(
            col(ConversationState.key) == conversation_key(actor.telegram_id)
        )
    )
    await drafts.forget(session, me)  # half-finished inputs: reports, notices, comments…
    await session.exec(delete(KpiSubscription).where(col(KpiSubscription.resident_id) == me))
    # Console sign-ins: every session and link ends with the data (the audit keeps that they were)
    await session.exec(delete(ConsoleSession).where(col(ConsoleSession.resident_id) == me))
    await session.exec(delete(ConsoleLink).where(col(ConsoleLink.resident_id) == me))
    # Delivery records stay (a notice's report counts them) but no longer carry the Telegram id.
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.resident_id) == me)
        .where(col(OutboxMessage.status).in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
        .values(status=OutboxStatus.CANCELLED)
    )
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.resident_id) == me)
        .values(chat_id=0, payload={})
    )
    # Their name and phone in what anyone typed: their reports, staff notes, notices, comments.
    await erasure.mask_everywhere(
        session, erasure.Masker([resident.display_name], [resident.phone or ""])
    )
    # The row stays as an anonymous anchor for audit events, ballots and tickets.
    resident.telegram_id = None
    resident.display_name = ""
    resident.phone = None
    resident.language = None
    resident.consent_at = None
    resident.forgotten_at = now
    audit.record(
        session,
        at=now,
        actor_id=me,
        action="resident.forget",
        subject_type="resident",
        subject_id=me,
    )
    actor.resident = None
    actor.households = []
    actor.roles = []
