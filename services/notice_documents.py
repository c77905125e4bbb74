"""What a notice's printed documents carry: the notice for the notice board (公告, with the
sender's office) and the door-knocking list of the households it did not reach (敲门走访清单),
one section per grid with its liaisons, with roster names and phones. The drawing is in
views/documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Compound, Household, Notice, Resident, Role, RoleGrant, ScopeKind
from services import audit
from services.actors import Actor
from services.notice_reports import DeliveryReport, Missed, delivery_report
from services.notices import notice
from services.policy import Permission, authorize, holders

OFFICE_ROLES = (Role.STAFF, Role.ADMIN, Role.LIAISON)  # the first the sender holds names them


@dataclass(frozen=True)
class NoticeSheet:
    notice: Notice
    compound: str
    sender: str
    sender_role: Role | None


@dataclass(frozen=True)
class DoorRow:
    building: str
    household: str
    owner_name: str
    owner_phone: str
    reason: Missed


@dataclass
class DoorGroup:
    """The households of one grid not reached, and the liaisons who knock on their doors."""

    grid: str
    liaisons: list[str]
    rows: list[DoorRow] = field(default_factory=list)


@dataclass(frozen=True)
class DoorList:
    notice: Notice
    compound: str
    groups: list[DoorGroup]


async def _compound_name(session: AsyncSession, compound_id: int) -> str:
    compound = await session.get(Compound, compound_id)
    return compound.name if compound else ""


async def notice_sheet(session: AsyncSession, actor: Actor | None, notice_id: int) -> NoticeSheet:
    """The notice as the office posts it: its compound and who sent it, in what role."""
    found = await notice(session, notice_id)
    await authorize(session, actor, Permission.NOTICE_REPORT, found.compound_id)
    sender = await session.get(Resident, found.sender_id)
    held = set(
        (
            await session.exec(
                select(col(RoleGrant.role)).where(col(RoleGrant.resident_id) == found.sender_id)
            )
        ).all()
    )
    role = next((r for r in OFFICE_ROLES if r in held), None)
    return NoticeSheet(
        found,
        await _compound_name(session, found.compound_id),
        sender.display_name if sender else "",
        role,
    )


async def _liaisons(
    session: AsyncSession, compound_id: int, grid_ids: set[int]
) -> tuple[dict[int, list[str]], list[str]]:
    """The liaisons of each grid (a grant over it), and those of the whole compound."""
    per_grid: dict[int, list[str]] = {}
    rows = await session.exec(
        select(col(RoleGrant.scope_id), col(Resident.display_name))
        .join(Resident, col(Resident.id) == col(RoleGrant.resident_id))
        .where(col(RoleGrant.role) == Role.LIAISON)
        .where(col(RoleGrant.scope_kind) == ScopeKind.GRID)
        .where(col(RoleGrant.scope_id).in_(grid_ids))
        .order_by(col(Resident.display_name))
    )
    for grid_id, name in rows:
        per_grid.setdefault(grid_id, []).append(name)
    everywhere = await holders(session, Permission.TICKET_FILE_FOR, compound_id, [Role.LIAISON])
    return per_grid, [r.display_name for r in everywhere]


async def door_list(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> DoorList:
    """The households the notice did not reach, grouped by grid with their liaisons, with the
    roster's owner name and phone (so only for those who see contacts); audited."""
    found = await notice(session, notice_id)
    await authorize(session, actor, Permission.PEOPLE_CONTACT, found.compound_id)
    report = await delivery_report(session, actor, notice_id, now=now)
    ids = [m.household_id for m in report.missed]
    await audit.record_read(
        session,
        at=now,
        actor_id=actor.resident_id,
        what="door_list",
        subject_type="notice",
        subject_id=found.id,
        compound_id=found.compound_id,
        households=ids,
    )
    groups = await door_groups(session, report)
    return DoorList(found, await _compound_name(session, found.compound_id), groups)


async def door_groups(session: AsyncSession, report: DeliveryReport) -> list[DoorGroup]:
    """The households of a delivery report not reached, grouped by grid (by name) with the
    liaisons of each grid (or of the whole compound where a grid has none); the roster's names
    and phones only where the report carries them."""
    found = report.notice
    ids = [m.household_id for m in report.missed]
    homes = {
        h.id: h
        for h in (await session.exec(select(Household).where(col(Household.id).in_(ids)))).all()
    }
    grid_ids = {h.grid_id for h in homes.values() if h.grid_id is not None}
    per_grid, everywhere = await _liaisons(session, found.compound_id, grid_ids)
    groups: dict[str, DoorGroup] = {}
    for missed in report.missed:
        home = homes.get(missed.household_id)
        grid_id = home.grid_id if home else None
        names = per_grid.get(grid_id, []) if grid_id is not None else []
        group = groups.setdefault(missed.grid, DoorGroup(missed.grid, names or everywhere))
        group.rows.append(
            DoorRow(
                missed.building,
                missed.household,
                missed.owner_name,
                missed.owner_phone,
                missed.reason,
            )
        )
    return [groups[name] for name in sorted(groups)]
