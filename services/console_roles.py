"""The office console's roles: who holds which role over the places the viewer oversees, since
when (and the roles that ended); granting a role to a person who has opened the bot, ending a
grant, and role invites for someone who has not. The same rules as `admin grant`/`admin revoke`
and role invites, with the viewer's own scope as the limit: an administrator of a compound
grants over that compound and its buildings, never above it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    EndReason,
    Household,
    Membership,
    Resident,
    Role,
    RoleGrant,
    RoleGrantHistory,
    ScopeKind,
    pk,
)
from services import notify
from services.actors import Actor, RoleScope
from services.bots import username_for_scope, username_of
from services.coverage import ancestors
from services.errors import BadInput, DomainError, NotAllowed, NotFound
from services.invites import IssuedInvite, deep_link, issue_role_invite
from services.places import SCOPE_TABLES, Scope, compound_ids_in_scope, scope_name
from services.policy import POLICY, Permission, allowed, grants
from services.rights import reachable, refresh_menu
from services.role_endings import end_grant
from services.roles import grant_role_to

NO_PERSON = N_("No one who has opened the bot matches “{text}”. Type their phone or name.")
SEVERAL = N_("Several people match “{text}”; type their full phone number.")
NO_GRANT = N_("That role has ended already.")
NO_PLACE = N_("Pick one of the places listed.")
HELD = N_("{name} holds that role already.")
OWN_ROLE = N_("You cannot end your own role here; ask another administrator.")


@dataclass(frozen=True)
class Place:
    kind: str
    id: int
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Held:
    grant_id: int | None  # None: ended (a history row)
    resident_id: int
    name: str
    phone: str | None
    role: str
    place: Place
    since: datetime
    ended_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RolesPage:
    current: list[Held]
    ended: list[Held]
    places: list[Place]  # where the viewer may grant (empty: read only)


async def _places_of(session: AsyncSession, scopes: list[RoleScope]) -> list[Place]:
    """Each grant's place, then the compounds under it, by name, once each."""
    found: dict[str, Place] = {}
    for g in scopes:
        place = Place(g.scope_kind, g.scope_id, await scope_name(session, g.scope_kind, g.scope_id))
        found.setdefault(place.key, place)
        if g.scope_kind not in (ScopeKind.COMPOUND, ScopeKind.GRID, ScopeKind.BUILDING):
            for cid in (await session.exec(compound_ids_in_scope(g.scope_kind, g.scope_id))).all():
                name = await scope_name(session, ScopeKind.COMPOUND, cid)
                found.setdefault(f"compound:{cid}", Place(ScopeKind.COMPOUND, cid, name))
    return sorted(found.values(), key=lambda p: (p.kind != ScopeKind.COMPOUND, p.name))


async def _covers(session: AsyncSession, scopes: list[RoleScope], kind: str, scope_id: int) -> bool:
    """Whether one of the viewer's grants is the place or above it."""
    chain = await ancestors(session, kind, scope_id)
    return any((g.scope_kind, g.scope_id) in chain for g in scopes)


async def page(session: AsyncSession, actor: Actor) -> RolesPage:
    scopes = grants(actor, Permission.ROLES_VIEW)
    if not scopes:
        raise NotAllowed(POLICY[Permission.ROLES_VIEW].refusal)
    names: dict[str, str] = {}

    async def place(kind: str, scope_id: int) -> Place:
        key = f"{kind}:{scope_id}"
        if key not in names:
            names[key] = await scope_name(session, kind, scope_id)
        return Place(kind, scope_id, names[key])

    current = []
    for grant, resident in await session.exec(
        select(RoleGrant, Resident)
        .join(Resident, col(Resident.id) == col(RoleGrant.resident_id))
        .order_by(col(RoleGrant.granted_at))
    ):
        if await _covers(session, scopes, grant.scope_kind, grant.scope_id):
            current.append(
                Held(
                    pk(grant),
                    pk(resident),
                    resident.display_name,
                    resident.phone,
                    grant.role,
                    await place(grant.scope_kind, grant.scope_id),
                    grant.granted_at,
                )
            )
    ended = []
    for old, resident in await session.exec(
        select(RoleGrantHistory, Resident)
        .join(Resident, col(Resident.id) == col(RoleGrantHistory.resident_id))
        .order_by(col(RoleGrantHistory.ended_at).desc())
        .limit(200)
    ):
        if await _covers(session, scopes, old.scope_kind, old.scope_id):
            ended.append(
                Held(
                    None,
                    pk(resident),
                    resident.display_name,
                    resident.phone,
                    old.role,
                    await place(old.scope_kind, old.scope_id),
                    old.started_at,
                    old.ended_at,
                    old.reason,
                )
            )
    places = await _places_of(session, grants(actor, Permission.ROLES_MANAGE))
    return RolesPage(current, ended, places)


async def _managed_place(session: AsyncSession, actor: Actor, key: str) -> Scope:
    kind_text, _, id_text = (key or "").partition(":")
    if kind_text not in SCOPE_TABLES or not id_text.isdigit() or len(id_text) > 9:
        raise BadInput("place", NO_PLACE)
    kind = ScopeKind(kind_text)
    row = await session.get(SCOPE_TABLES[kind], int(id_text))
    if row is None:
        raise BadInput("place", NO_PLACE)
    scope = Scope(kind, int(id_text), row.name)
    if not await allowed(session, actor, Permission.ROLES_MANAGE, scope):
        raise NotAllowed(POLICY[Permission.ROLES_MANAGE].refusal)
    return scope


async def _person(session: AsyncSession, text: str) -> Resident:
    """The one person who opened the bot with this phone (digits compared) or name."""
    text = (text or "").strip()[:60]
    digits = "".join(c for c in text if c.isdigit())
    if not text:
        raise BadInput("person", NO_PERSON, text=text)
    clauses = [col(Resident.display_name) == text]
    if len(digits) >= 5:
        clauses.append(col(Resident.phone).like(f"%{digits[-11:]}%"))
    found = (
        await session.exec(
            select(Resident)
            .where(col(Resident.telegram_id).is_not(None))
            .where(col(Resident.forgotten_at).is_(None))
            .where(or_(*clauses))
            .limit(3)
        )
    ).all()
    if not found and len(digits) >= 5:  # the phone the roster has for the owner of a home
        found = (
            await session.exec(
                select(Resident)
                .join(Membership, col(Membership.resident_id) == col(Resident.id))
                .join(Household, col(Household.id) == col(Membership.household_id))
                .where(col(Resident.telegram_id).is_not(None))
                .where(col(Household.owner_phone).like(f"%{digits[-11:]}%"))
                .limit(3)
            )
        ).all()
    unique = {pk(r): r for r in found}
    if not unique:
        raise BadInput("person", NO_PERSON, text=text)
    if len(unique) > 1:
        raise BadInput("person", SEVERAL, text=text)
    return next(iter(unique.values()))


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise BadInput("role", N_("Pick one of the roles listed.")) from None


async def grant(
    session: AsyncSession, actor: Actor, *, person: str, role: str, place: str, now: datetime
) -> tuple[Resident, Scope]:
    chosen_role = _role(role)
    scope = await _managed_place(session, actor, place)
    resident = await _person(session, person)
    if not await grant_role_to(
        session, resident, chosen_role, scope.kind, scope.id, now, actor.resident_id
    ):
        raise BadInput("person", HELD, name=resident.display_name)
    notify.tell(
        session,
        f"role.granted:{pk(resident)}:{chosen_role}:{scope.kind}:{scope.id}:{now.isoformat()}",
        "role.granted",
        reachable(resident),
        now=now,
        role=chosen_role,
        scope_kind=scope.kind,
        place=scope.name,
    )
    await refresh_menu(
        session, resident, now=now, because=f"grant:{pk(resident)}:{now.isoformat()}"
    )
    return resident, scope


async def revoke(session: AsyncSession, actor: Actor, grant_id: int, *, now: datetime) -> Held:
    found = (
        await session.exec(
            select(RoleGrant, Resident)
            .join(Resident, col(Resident.id) == col(RoleGrant.resident_id))
            .where(col(RoleGrant.id) == grant_id)
        )
    ).first()
    if found is None:
        raise NotFound(NO_GRANT)
    row, resident = found
    if pk(resident) == actor.resident_id:
        raise DomainError(OWN_ROLE)
    scope = Scope(
        ScopeKind(row.scope_kind),
        row.scope_id,
        await scope_name(session, row.scope_kind, row.scope_id),
    )
    if not await allowed(session, actor, Permission.ROLES_MANAGE, scope):
        raise NotAllowed(POLICY[Permission.ROLES_MANAGE].refusal)
    held = Held(
        pk(row),
        pk(resident),
        resident.display_name,
        resident.phone,
        row.role,
        Place(row.scope_kind, row.scope_id, scope.name),
        row.granted_at,
    )
    await end_grant(session, row, resident, now=now, by=actor.resident_id, reason=EndReason.OFFICE)
    return held


@dataclass(frozen=True)
class RoleInvite:
    issued: IssuedInvite
    link: str | None  # the deep link of the bot that serves the place (None: no bot started yet)


async def invite(
    session: AsyncSession, actor: Actor, *, role: str, place: str, now: datetime, ttl: timedelta
) -> RoleInvite:
    """A role invite for someone who has not opened the bot: its link carries the username of
    the bot that serves the place, as getMe gave it."""
    chosen_role = _role(role)
    scope = await _managed_place(session, actor, place)
    issued = await issue_role_invite(session, chosen_role, scope, now=now, ttl=ttl)
    username = await username_for_scope(session, scope.kind, scope.id) or await username_of(
        session, None
    )
    return RoleInvite(issued, deep_link(username, issued.code) if username else None)
