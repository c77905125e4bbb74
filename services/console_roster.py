"""The roster (业主名册) and invite cards in the office console: what an uploaded roster would
change (new places and homes, changed areas and owners, every problem by row) before anything is
written, then the same import as `admin import-roster`; and a compound's (or one home's) invite
codes as `admin invites` issues them. The console's administrator is limited to the places of
their grants: a row of a compound they do not administer is a problem of that row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Building,
    City,
    Community,
    Compound,
    District,
    Grid,
    ScopeKind,
    SubDistrict,
    pk,
)
from services.actors import Actor, RoleScope
from services.bots import username_for_scope, username_of
from services.coverage import covered
from services.errors import BadInput, DomainError, NotAllowed
from services.file_limits import FileLimits
from services.invites import IssuedInvite, issue_household_invites
from services.places import Scope, find_household, household_label
from services.policy import POLICY, Permission, authorize, grants
from services.roster import (
    PlaceCache,
    RosterResult,
    RosterRow,
    RowProblem,
    check_rows,
    good_rows,
    household_values,
    import_roster_data,
    read_roster,
)

MOST_CHANGES_SHOWN = 200
NOT_YOURS = N_("{column} “{value}” is not a place you administer")
NO_USERNAME = N_(
    "The bot's username is not known yet, so no invite link can be made: start the bot once "
    "(it records its username), then try again."
)
# The places of a roster row, outermost first: the model, its parent's field, the row's column.
CHAIN: tuple[tuple[type[Any], str | None, str, ScopeKind], ...] = (
    (City, None, "city", ScopeKind.CITY),
    (District, "city_id", "district", ScopeKind.DISTRICT),
    (SubDistrict, "district_id", "sub_district", ScopeKind.SUB_DISTRICT),
    (Community, "sub_district_id", "community", ScopeKind.COMMUNITY),
    (Compound, "community_id", "compound", ScopeKind.COMPOUND),
    (Building, "compound_id", "building", ScopeKind.BUILDING),
)
COMPARED = ("registered_area", "surveyed_area", "contract_area", "owner_name", "owner_phone")


@dataclass(frozen=True)
class Change:
    """A home the import would add or change: its row, its place, which fields change."""

    row: int
    compound: str
    home: str
    new: bool
    fields: tuple[str, ...] = ()  # roster columns (owner_name, registered_area…); "grid", "other"
    area_before: Decimal | None = None
    area_after: Decimal | None = None


@dataclass
class Review:
    """What the roster would do, and its problems; nothing of it is written."""

    result: RosterResult
    new_homes: int = 0
    changed: int = 0
    unchanged: int = 0
    new_places: Counter[str] = field(default_factory=Counter)  # ScopeKind → how many
    changes: list[Change] = field(default_factory=list)  # the first MOST_CHANGES_SHOWN
    compounds: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.ok and self.result.rows > 0


def _scopes(actor: Actor) -> list[RoleScope]:
    scopes = grants(actor, Permission.ROSTER_IMPORT)
    if not scopes:
        raise NotAllowed(POLICY[Permission.ROSTER_IMPORT].refusal)
    return scopes


def may_import(actor: Actor) -> None:
    """Refuse someone who administers no place (the page itself)."""
    _scopes(actor)


class _Walk:
    """A row's places as the database has them, read once per place; whether the viewer
    administers the innermost one that exists (a new compound is theirs when its community is)."""

    def __init__(self, session: AsyncSession, scopes: list[RoleScope]) -> None:
        self.session = session
        self.scopes = scopes
        self.places = PlaceCache(session)
        self.verdicts: dict[tuple[str, ...], bool] = {}
        self.new: dict[tuple[str, ...], ScopeKind] = {}

    async def existing(self, row: RosterRow) -> list[Any]:
        """The row's places that exist, outermost first, up to the first that does not."""
        found: list[Any] = []
        parent: int | None = None
        for depth, (model, parent_field, column, _kind) in enumerate(CHAIN):
            if depth and parent is None:
                break
            place = await self.places.existing(model, parent_field, parent, getattr(row, column))
            if place is None:  # it and every place below it are new
                for inner in range(depth, len(CHAIN)):
                    self.new.setdefault(row.place_path[: inner + 1], CHAIN[inner][3])
                break
            found.append(place)
            parent = place.id
        return found

    async def allowed(self, row: RosterRow, found: list[Any]) -> bool:
        depth = min(len(found), len(CHAIN) - 1)  # a building is judged by its compound
        key = row.place_path[:depth]
        if key not in self.verdicts:
            innermost = found[depth - 1] if depth else None
            self.verdicts[key] = innermost is not None and await covered(
                self.session,
                self.scopes,
                Scope(CHAIN[depth - 1][3], pk(innermost), innermost.name),
            )
        return self.verdicts[key]


async def review(
    session: AsyncSession,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    limits: FileLimits,
) -> Review:
    """Every row checked as the import checks it, plus the viewer's right over its compound,
    and what the good rows would add or change. A file over the limits is refused unread."""
    scopes = _scopes(actor)
    limits.check_size(len(data))
    header, records = read_roster(data, filename, limits)
    result = RosterResult()
    check_rows(header, records, result)
    found = Review(result)
    if header.missing:
        return found
    walk = _Walk(session, scopes)
    compounds: dict[str, None] = {}
    for row in good_rows(read_roster(data, filename, limits)[1]):
        places = await walk.existing(row)
        if not await walk.allowed(row, places):
            result.add(RowProblem(row.row, "compound", NOT_YOURS, {"value": row.compound}))
            continue
        compounds.setdefault(row.compound)
        await _compare(walk, row, places, found)
    result.problems.sort(key=lambda p: p.row)
    if result.ok and result.rows == 0:
        result.add(RowProblem(header.number, "-", N_("the file has no data rows below the header")))
    found.new_places = Counter(walk.new.values())
    found.compounds = list(compounds)
    return found


async def _compare(walk: _Walk, row: RosterRow, places: list[Any], found: Review) -> None:
    label = household_label(row.building, row.unit, row.room)
    household = None
    if len(places) == len(CHAIN):
        household = await walk.places.household(places[-1], row.unit, row.room)
    if household is None:
        found.new_homes += 1
        _note(found, Change(row.row, row.compound, label, True, area_after=_area(row)))
        return
    community = places[3]
    grid = await walk.places.existing(Grid, "community_id", pk(community), row.grid)
    values = household_values(row, grid.id if grid is not None else None)
    differ = [k for k, v in values.items() if getattr(household, k) != v]
    if not differ:
        found.unchanged += 1
        return
    found.changed += 1
    shown = tuple(dict.fromkeys(k if k in COMPARED or k == "grid_id" else "other" for k in differ))
    _note(
        found,
        Change(
            row.row,
            row.compound,
            label,
            False,
            tuple("grid" if k == "grid_id" else k for k in shown),
            household.area,
            _area(row),
        ),
    )


def _area(row: RosterRow) -> Decimal | None:
    for value in (row.registered_area, row.surveyed_area, row.contract_area):
        if value is not None:
            return value
    return None


def _note(found: Review, change: Change) -> None:
    if len(found.changes) < MOST_CHANGES_SHOWN:
        found.changes.append(change)


async def apply(
    session: AsyncSession,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    now: datetime,
    limits: FileLimits,
    progress: Callable[[int], None] | None = None,
) -> tuple[Review, RosterResult | None]:
    """Check again (the viewer's rights and the database may have changed since the preview),
    then import as the command line does; nothing is written when a row is bad."""
    checked = await review(session, actor, data, filename, limits=limits)
    if not checked.ok:
        return checked, None
    done = await import_roster_data(
        session,
        data,
        filename,
        now=now,
        limits=limits,
        actor_id=actor.resident_id,
        progress=progress,
    )
    return checked, done


# --- invites --------------------------------------------------------------------------------
@dataclass(frozen=True)
class IssuedCards:
    compound: Compound
    issued: list[IssuedInvite]
    username: str
    home: str | None  # the one home's label, None for the whole compound


async def invite_compounds(session: AsyncSession, actor: Actor) -> list[Compound]:
    from services.policy import compounds

    _scopes(actor)
    return await compounds(session, actor, Permission.ROSTER_IMPORT)


async def issue_invites(
    session: AsyncSession,
    actor: Actor,
    compound_id: int,
    *,
    home: str,
    now: datetime,
    ttl: timedelta,
) -> IssuedCards:
    """An owner and a tenant code for every home of the compound (or the one home typed: its
    lost card reissued), the unused ones they replace withdrawn, as `admin invites` does; the
    links carry the username of the bot that serves the compound."""
    place = await session.get(Compound, compound_id)
    if place is None:
        raise NotAllowed(POLICY[Permission.ROSTER_IMPORT].refusal)
    await authorize(session, actor, Permission.ROSTER_IMPORT, compound_id)
    username = await username_for_scope(session, ScopeKind.COMPOUND, compound_id)
    username = username or await username_of(session, None)
    if not username:
        raise DomainError(NO_USERNAME)
    homes = None
    label = None
    if home:
        try:
            household = await find_household(session, [compound_id], home)
        except DomainError as error:
            raise BadInput("home", error.msgid, **error.params) from None
        homes = [pk(household)]
        building = await session.get(Building, household.building_id)
        label = household_label(building.name if building else "", household.unit, household.room)
    issued = await issue_household_invites(
        session,
        compound_id,
        now=now,
        ttl=ttl,
        household_ids=homes,
        actor_id=actor.resident_id,
    )
    return IssuedCards(place, issued, username, label)
