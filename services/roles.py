"""Granting a role over a place: by a role invite (services.invites) or on the command line
(`admin grant`, run by the administrator on the server). Each grant once, audited."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Resident, Role, RoleGrant, pk
from services import audit
from services.places import Scope


async def grant_role(
    session: AsyncSession,
    role: Role,
    scope: Scope,
    telegram_id: int,
    *,
    now: datetime,
    granted_by: int | None = None,
) -> bool:
    """Grant ROLE over SCOPE to a Telegram user (the command line: the administrator on the
    server); they consent when they first open the bot."""
    resident = (
        await session.exec(select(Resident).where(col(Resident.telegram_id) == telegram_id))
    ).first()
    if resident is None:
        resident = Resident(telegram_id=telegram_id, created_at=now)
        session.add(resident)
        await session.flush()
    return await grant_role_to(session, resident, role, scope.kind, scope.id, now, granted_by)


async def grant_role_to(
    session: AsyncSession,
    resident: Resident,
    role: Role,
    scope_kind: str,
    scope_id: int,
    now: datetime,
    granted_by: int | None = None,
) -> bool:
    """Grant once; returns False when the resident already held it."""
    existing = (
        await session.exec(
            select(RoleGrant)
            .where(col(RoleGrant.resident_id) == resident.id)
            .where(col(RoleGrant.role) == role)
            .where(col(RoleGrant.scope_kind) == scope_kind)
            .where(col(RoleGrant.scope_id) == scope_id)
        )
    ).first()
    if existing is not None:
        return False
    session.add(
        RoleGrant(
            resident_id=pk(resident),
            role=role,
            scope_kind=scope_kind,
            scope_id=scope_id,
            granted_at=now,
            granted_by=granted_by,
        )
    )
    audit.record(
        session,
        at=now,
        actor_id=granted_by,
        action="role.grant",
        subject_type="resident",
        subject_id=resident.id,
        role=role,
        scope=f"{scope_kind}:{scope_id}",
    )
    return True
