"""A resident's own data: language, phone, export of what we hold, and forgetting (PIPL)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import LANGUAGES, N_
from models import (
    AuditEvent,
    ConversationState,
    Membership,
    OutboxMessage,
    OutboxStatus,
    PendingInput,
    Resident,
    Role,
    RoleGrant,
    StartAttempt,
    TicketDraft,
)
from services import audit
from services.actors import Actor
from services.errors import DomainError
from services.invites import grant_role_to
from services.places import Scope, scope_name


def conversation_key(telegram_id: int) -> str:
    """Key of a private chat's conversation states: [chat id, user id], equal in private chats."""
    return json.dumps([telegram_id, telegram_id])


_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


def require_registered(actor: Actor) -> Resident:
    if not actor.registered or actor.resident is None:
        raise DomainError(
            N_(
                "You are not registered yet. Open the invite link from your property office to join."
            )
        )
    return actor.resident


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


async def set_phone(session: AsyncSession, actor: Actor, phone: str, *, now: datetime) -> None:
    resident = require_registered(actor)
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


async def export_personal_data(
    session: AsyncSession, actor: Actor, *, now: datetime
) -> dict[str, Any]:
    """Everything the bot holds about this person, as plain JSON-able data."""
    resident = actor.resident
    if resident is None:
        return {"telegram_id": actor.telegram_id, "resident": None}
    events = (
        await session.exec(
            select(AuditEvent)
            .where(
                or_(
                    AuditEvent.actor_id == resident.id,
                    (AuditEvent.subject_type == "resident")
                    & (AuditEvent.subject_id == str(resident.id)),
                )
            )
            .order_by(AuditEvent.at)
        )
    ).all()
    audit.record(
        session,
        at=now,
        actor_id=resident.id,
        action="resident.export",
        subject_type="resident",
        subject_id=resident.id,
    )
    return {
        "exported_at": now.isoformat(),
        "resident": {
            "telegram_id": resident.telegram_id,
            "display_name": resident.display_name,
            "phone": resident.phone,
            "language": resident.language,
            "consent_at": resident.consent_at.isoformat() if resident.consent_at else None,
            "registered_at": resident.created_at.isoformat(),
        },
        "households": [
            {"household": tie.label, "membership": tie.kind} for tie in actor.households
        ],
        "roles": [
            {"role": role, "scope": f"{kind}:{name}"}
            for role, kind, name in await describe_roles(session, actor)
        ],
        "activity": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "subject": f"{e.subject_type}:{e.subject_id}",
            }
            for e in events
        ],
    }


async def forget(session: AsyncSession, actor: Actor, *, now: datetime) -> None:
    """Withdraw consent: delete personal data; records kept for legal reasons stay, unnamed."""
    resident = actor.resident
    if resident is None or resident.forgotten_at is not None:
        raise DomainError(N_("The bot holds no personal data about you."))
    await session.exec(delete(Membership).where(Membership.resident_id == resident.id))
    await session.exec(delete(RoleGrant).where(RoleGrant.resident_id == resident.id))
    await session.exec(delete(StartAttempt).where(StartAttempt.telegram_id == actor.telegram_id))
    await session.exec(
        delete(ConversationState).where(
            ConversationState.key == conversation_key(actor.telegram_id)
        )
    )
    await session.exec(delete(TicketDraft).where(TicketDraft.resident_id == resident.id))
    await session.exec(delete(PendingInput).where(PendingInput.resident_id == resident.id))
    # Delivery records stay (a notice's report counts them) but no longer carry the Telegram id.
    await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.resident_id == resident.id)
        .where(col(OutboxMessage.status).in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
        .values(status=OutboxStatus.CANCELLED)
    )
    await session.exec(
        update(OutboxMessage).where(OutboxMessage.resident_id == resident.id).values(chat_id=0)
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
        actor_id=resident.id,
        action="resident.forget",
        subject_type="resident",
        subject_id=resident.id,
    )
    actor.resident = None
    actor.households = []
    actor.roles = []


async def grant_role(
    session: AsyncSession,
    role: Role,
    scope: Scope,
    telegram_id: int,
    *,
    now: datetime,
    granted_by: int | None = None,
) -> bool:
    """Grant ROLE over SCOPE to a Telegram user (CLI); they consent when they first open the bot."""
    resident = (
        await session.exec(select(Resident).where(Resident.telegram_id == telegram_id))
    ).first()
    if resident is None:
        resident = Resident(telegram_id=telegram_id, created_at=now)
        session.add(resident)
        await session.flush()
    return await grant_role_to(session, resident, role, scope.kind, scope.id, now, granted_by)


async def record_consent(
    session: AsyncSession, actor: Actor, display_name: str, *, now: datetime
) -> None:
    """Consent given by a user who already holds a role (granted by CLI) but never consented."""
    resident = actor.resident
    if resident is None:
        raise DomainError(
            N_(
                "You are not registered yet. Open the invite link from your property office to join."
            )
        )
    resident.consent_at = resident.consent_at or now
    resident.display_name = display_name[:200]
    audit.record(
        session,
        at=now,
        actor_id=resident.id,
        action="resident.consent",
        subject_type="resident",
        subject_id=resident.id,
    )
