"""Ending a role (`admin revoke`, a dismissed staff member, a liaison who moves on): the grant
moves to its history, the person is told and their menu refreshed at once. A staff member who no
longer works in a compound hands its open tickets back to the unassigned queue (a history event
on each) and their duty shifts there end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    OPEN_STATUSES,
    DutyShift,
    EndReason,
    Resident,
    Role,
    RoleGrant,
    RoleGrantHistory,
    Ticket,
    TicketEvent,
    pk,
)
from services import audit, notify
from services.actors import Actor, load_actor
from services.enum_inputs import ROLE, PlaceName
from services.errors import DomainError
from services.places import Scope, compound_ids_in_scope, scope_name
from services.policy import Permission, allowed
from services.rights import reachable, refresh_menu

UNASSIGNED = "unassign"  # the ticket event: back to the unassigned queue


@dataclass(frozen=True)
class RoleEnded:
    history: RoleGrantHistory
    released: list[int]  # tickets handed back to the unassigned queue


async def revoke_role(
    session: AsyncSession,
    role: Role,
    scope: Scope,
    telegram_id: int,
    *,
    now: datetime,
    revoked_by: int | None = None,
) -> RoleEnded:
    """End ROLE over SCOPE of a Telegram user (the command line: the administrator)."""
    found = (
        await session.exec(
            select(RoleGrant, Resident)
            .join(Resident, col(Resident.id) == col(RoleGrant.resident_id))
            .where(col(Resident.telegram_id) == telegram_id)
            .where(col(RoleGrant.role) == role)
            .where(col(RoleGrant.scope_kind) == scope.kind)
            .where(col(RoleGrant.scope_id) == scope.id)
        )
    ).first()
    if found is None:
        raise DomainError(
            N_("{user} does not hold {role} over {scope}."),
            user=telegram_id,
            role=ROLE[role],
            scope=PlaceName(scope.kind, scope.name),
        )
    grant, resident = found
    return await end_grant(
        session, grant, resident, now=now, by=revoked_by, reason=EndReason.OFFICE
    )


async def end_grant(
    session: AsyncSession,
    grant: RoleGrant,
    resident: Resident,
    *,
    now: datetime,
    by: int | None,
    reason: EndReason,
) -> RoleEnded:
    """Move one grant to its history, hand back what the role held, tell the person."""
    history = RoleGrantHistory.of(grant, ended_at=now, by=by, reason=reason)
    session.add(history)
    await session.delete(grant)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=by,
        action="role.revoke",
        subject_type="resident",
        subject_id=resident.id,
        role=grant.role,
        scope=f"{grant.scope_kind}:{grant.scope_id}",
        reason=reason,
    )
    actor = (
        await load_actor(session, resident.telegram_id)
        if resident.telegram_id is not None
        else Actor(telegram_id=0, resident=resident)
    )
    compounds = list(
        (await session.exec(compound_ids_in_scope(grant.scope_kind, grant.scope_id))).all()
    )
    released = await release_work(session, actor, pk(resident), compounds, now=now)
    notify.tell(
        session,
        f"role.ended:{history.id}",
        "role.ended",
        reachable(resident),
        now=now,
        role=grant.role,
        scope_kind=grant.scope_kind,
        place=await scope_name(session, grant.scope_kind, grant.scope_id),
    )
    await refresh_menu(session, resident, now=now, because=f"role:{history.id}")
    return RoleEnded(history, released)


async def release_work(
    session: AsyncSession, actor: Actor, resident_id: int, compound_ids: list[int], *, now: datetime
) -> list[int]:
    """In each compound where the person no longer works tickets: their open tickets go back to
    the unassigned queue, and their current and coming duty shifts end."""
    released: list[int] = []
    for compound_id in compound_ids:
        if await allowed(session, actor, Permission.TICKET_WORK, compound_id):
            continue
        tickets = (
            await session.exec(
                select(Ticket)
                .where(col(Ticket.compound_id) == compound_id)
                .where(col(Ticket.assignee_id) == resident_id)
                .where(col(Ticket.status).in_(OPEN_STATUSES))
                .order_by(col(Ticket.id))
            )
        ).all()
        for ticket in tickets:
            ticket.assignee_id = None
            session.add(
                TicketEvent(
                    ticket_id=pk(ticket),
                    at=now,
                    kind=UNASSIGNED,
                    visible=False,
                    data={"assignee": resident_id, "reason": "role_ended"},
                )
            )
            released.append(pk(ticket))
        shifts = (
            (col(DutyShift.compound_id) == compound_id),
            (col(DutyShift.resident_id) == resident_id),
        )
        await session.exec(delete(DutyShift).where(*shifts, col(DutyShift.starts_at) >= now))
        await session.exec(
            update(DutyShift).where(*shifts, col(DutyShift.ends_at) > now).values(ends_at=now)
        )
    return released
