"""Which bot serves which place, when a city runs several bots on one database.

A bot serves districts, sub-districts or compounds (models.bots); for a compound the most
specific wins: its own bot, then its sub-district's, then its district's, then the default bot
(TELEGRAM_TOKEN's, written None here). With no bot rows at all there is only the default bot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    BotAccount,
    BotPlace,
    Building,
    Community,
    Compound,
    Household,
    Membership,
    OutboxMessage,
    RoleGrant,
    ScopeKind,
    SubDistrict,
    SystemValue,
)
from services.errors import DomainError
from services.places import Scope, scope_name

DEFAULT_USERNAME_KEY = "bot_username"  # the default bot's username (services.bot_identity)
SERVED_KINDS = (ScopeKind.COMPOUND, ScopeKind.SUB_DISTRICT, ScopeKind.DISTRICT)
_MAP = "bot_places"  # session.info: the serving map, read once per unit of work

PlaceMap = dict[tuple[str, int], int]  # (kind, place id) -> bot id


def bot_id_of(token: str) -> int:
    """Telegram's id of a bot: the number before its token's colon."""
    number, _, secret = token.partition(":")
    if not number.isdigit() or not secret:
        raise DomainError(N_("That does not look like a bot token (123456789:ABC…)."))
    return int(number)


@dataclass(frozen=True)
class Chain:
    """A compound and the places above it that a bot can serve."""

    compound_id: int
    sub_district_id: int
    district_id: int

    def bot(self, places: PlaceMap) -> int | None:
        for key in (
            (ScopeKind.COMPOUND, self.compound_id),
            (ScopeKind.SUB_DISTRICT, self.sub_district_id),
            (ScopeKind.DISTRICT, self.district_id),
        ):
            if key in places:
                return places[key]
        return None


async def _read_places(session: AsyncSession) -> PlaceMap:
    rows = await session.exec(
        select(col(BotPlace.kind), col(BotPlace.place_id), col(BotPlace.bot_id))
    )
    return {(kind, place): bot for kind, place, bot in rows.all()}


async def place_map(session: AsyncSession) -> PlaceMap:
    """Every place some bot serves (a small table: a few rows per bot), read once per unit."""
    found = session.info.get(_MAP)
    if found is None:
        found = session.info[_MAP] = await _read_places(session)
    return dict(found)


def _forget_map(session: AsyncSession) -> None:
    session.info.pop(_MAP, None)


async def chains(session: AsyncSession, compound_ids: Iterable[int]) -> dict[int, Chain]:
    wanted = sorted(set(compound_ids))
    if not wanted:
        return {}
    statement = (
        select(col(Compound.id), col(SubDistrict.id), col(SubDistrict.district_id))
        .join(Community, col(Community.id) == col(Compound.community_id))
        .join(SubDistrict, col(SubDistrict.id) == col(Community.sub_district_id))
        .where(col(Compound.id).in_(wanted))
    )
    found = (await session.exec(statement)).all()
    return {int(c or 0): Chain(int(c or 0), int(s or 0), d) for c, s, d in found}


async def serving_compounds(
    session: AsyncSession, compound_ids: Iterable[int]
) -> dict[int, int | None]:
    """The bot id serving each compound (None: the default bot)."""
    places = await place_map(session)
    ids = list(compound_ids)
    if not places:
        return dict.fromkeys(ids)
    found = await chains(session, ids)
    return {c: (found[c].bot(places) if c in found else None) for c in ids}


async def bot_for_scope(session: AsyncSession, kind: str, scope_id: int) -> int | None:
    """The bot serving a place of any level (a role's scope): a compound's, a building's or a
    grid's by its compound; a community's, sub-district's or district's by the places at or
    above it; a city's is the default bot's."""
    places = await place_map(session)
    if not places:
        return None
    kind = ScopeKind(kind)
    compound_id: int | None = None
    if kind == ScopeKind.COMPOUND:
        compound_id = scope_id
    elif kind == ScopeKind.BUILDING:
        building = await session.get(Building, scope_id)
        compound_id = building.compound_id if building else None
    elif kind == ScopeKind.GRID:
        compound_id = (
            await session.exec(
                select(col(Household.compound_id)).where(col(Household.grid_id) == scope_id)
            )
        ).first()
    if compound_id is not None:
        return (await serving_compounds(session, [compound_id]))[compound_id]
    sub_district_id: int | None = None
    district_id: int | None = None
    if kind == ScopeKind.COMMUNITY:
        community = await session.get(Community, scope_id)
        sub_district_id = community.sub_district_id if community else None
    elif kind == ScopeKind.SUB_DISTRICT:
        sub_district_id = scope_id
    elif kind == ScopeKind.DISTRICT:
        district_id = scope_id
    if sub_district_id is not None:
        if (ScopeKind.SUB_DISTRICT, sub_district_id) in places:
            return places[(ScopeKind.SUB_DISTRICT, sub_district_id)]
        sub_district = await session.get(SubDistrict, sub_district_id)
        district_id = sub_district.district_id if sub_district else None
    if district_id is not None:
        return places.get((ScopeKind.DISTRICT, district_id))
    return None


async def username_of(session: AsyncSession, bot_id: int | None) -> str | None:
    """A bot's username as getMe gave it at its last start (None: never started, or unknown)."""
    if bot_id is not None:
        bot = await session.get(BotAccount, bot_id)
        return bot.username if bot is not None else None
    row = await session.get(SystemValue, DEFAULT_USERNAME_KEY)
    return row.value if row is not None else None


async def username_for_scope(session: AsyncSession, kind: str, scope_id: int) -> str | None:
    """The username invites to this place must carry; None when the deployment has no bot rows
    (then every invite is the default bot's, as with a single bot)."""
    if not await place_map(session) and not await any_bots(session):
        return None
    return await username_of(session, await bot_for_scope(session, kind, scope_id))


async def any_bots(session: AsyncSession) -> bool:
    return (await session.exec(select(col(BotAccount.id)).limit(1))).first() is not None


# --- outbox rows ---------------------------------------------------------------------------
async def assign_outbox_bots(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Set each outbox row's bot from its recipient's compound: the household the message is
    about, else a home of the resident, else the place of one of their roles. Nothing is read
    when no bot serves any place (the single-bot deployment)."""
    places = await place_map(session)
    if not places or not rows:
        return
    households = {r["household_id"] for r in rows if r.get("household_id") is not None}
    residents = {
        r["resident_id"]
        for r in rows
        if r.get("household_id") is None and r.get("resident_id") is not None
    }
    compound_of: dict[int, int] = {}
    if households:
        found = await session.exec(
            select(col(Household.id), col(Household.compound_id)).where(
                col(Household.id).in_(sorted(households))
            )
        )
        compound_of = {int(h or 0): c for h, c in found.all()}
    home_of: dict[int, int] = {}
    if residents:
        found_homes = await session.exec(
            select(col(Membership.resident_id), col(Household.compound_id))
            .join(Household, col(Household.id) == col(Membership.household_id))
            .where(col(Membership.resident_id).in_(sorted(residents)))
            .order_by(col(Membership.id))
        )
        for resident, compound in found_homes.all():
            home_of.setdefault(resident, compound)
    serving = await serving_compounds(session, {*compound_of.values(), *home_of.values()})
    by_role: dict[int, int | None] = {}
    for resident in sorted(residents - home_of.keys()):
        grant = (
            await session.exec(
                select(RoleGrant)
                .where(col(RoleGrant.resident_id) == resident)
                .order_by(col(RoleGrant.id))
            )
        ).first()
        if grant is not None:
            by_role[resident] = await bot_for_scope(session, grant.scope_kind, grant.scope_id)
    for row in rows:
        household, resident = row.get("household_id"), row.get("resident_id") or 0
        if household is not None and household in compound_of:
            row["bot_id"] = serving[compound_of[household]]
        elif resident in home_of:
            row["bot_id"] = serving[home_of[resident]]
        else:
            row["bot_id"] = by_role.get(resident)


def outbox_rows_of(bot_id: int, *, default: bool) -> sa.ColumnElement[bool]:
    """The outbox rows a sender of this bot sends: its own, and the default bot's (bot_id NULL)
    when it is the default bot."""
    own = col(OutboxMessage.bot_id) == bot_id
    return sa.or_(own, col(OutboxMessage.bot_id).is_(None)) if default else own


# --- administration ------------------------------------------------------------------------
@dataclass(frozen=True)
class BotSummary:
    bot: BotAccount
    places: list[str]  # "district 江岸区", as names


async def add_bot(
    session: AsyncSession, token_env: str, token: str, title: str, *, now: datetime
) -> BotAccount:
    """Record a bot by the environment variable holding its token (the token is not stored)."""
    bot_id = bot_id_of(token)
    if await session.get(BotAccount, bot_id) is not None:
        raise DomainError(N_("This bot is already recorded."))
    taken = await session.exec(select(BotAccount).where(col(BotAccount.token_env) == token_env))
    if taken.first() is not None:
        raise DomainError(N_("Another bot already uses the variable {name}."), name=token_env)
    bot = BotAccount(id=bot_id, token_env=token_env, title=title, created_at=now)
    session.add(bot)
    await session.flush()
    return bot


async def find_bot(session: AsyncSession, name: str) -> BotAccount:
    """A bot by its id, its token variable or its username (with or without @)."""
    wanted = name.lstrip("@").lower()
    for bot in (await session.exec(select(BotAccount).order_by(col(BotAccount.id)))).all():
        if wanted in (str(bot.id), bot.token_env.lower(), (bot.username or "").lower()):
            return bot
    raise DomainError(N_("No bot is recorded as {name}."), name=name)


async def serve_place(session: AsyncSession, bot: BotAccount, scope: Scope) -> None:
    """The bot serves this district, sub-district or compound from now on (taking it from the
    bot that served it before)."""
    if scope.kind not in SERVED_KINDS:
        raise DomainError(N_("A bot serves districts, sub-districts or compounds."))
    existing = (
        await session.exec(
            select(BotPlace).where(
                col(BotPlace.kind) == scope.kind, col(BotPlace.place_id) == scope.id
            )
        )
    ).first()
    if existing is None:
        existing = BotPlace(bot_id=bot.id, kind=scope.kind, place_id=scope.id)
    existing.bot_id = bot.id
    session.add(existing)
    await session.flush()
    _forget_map(session)


async def set_paid_broadcast(session: AsyncSession, bot: BotAccount, on: bool) -> None:
    """Emergency notices through this bot go out with paid broadcast (or no longer do)."""
    bot.paid_broadcast = on
    session.add(bot)
    await session.flush()


async def recorded_bots(session: AsyncSession) -> list[BotAccount]:
    """Every bot of the bot table, by id."""
    return list((await session.exec(select(BotAccount).order_by(col(BotAccount.id)))).all())


async def list_bots(session: AsyncSession) -> list[BotSummary]:
    bots = await recorded_bots(session)
    places = (await session.exec(select(BotPlace).order_by(col(BotPlace.id)))).all()
    summaries = []
    for bot in bots:
        served = [
            f"{place.kind}:{await scope_name(session, place.kind, place.place_id)}"
            for place in places
            if place.bot_id == bot.id
        ]
        summaries.append(BotSummary(bot, served))
    return summaries


async def record_username(
    session: AsyncSession, bot_id: int, username: str, *, now: datetime
) -> bool:
    """Keep the username getMe gave a recorded bot; False if the bot has no row."""
    bot = await session.get(BotAccount, bot_id)
    if bot is None:
        return False
    bot.username, bot.username_at = username, now
    session.add(bot)
    return True


# --- people writing to another bot ---------------------------------------------------------
ROUTING_TTL = 5.0  # seconds a process trusts its copy of the (small, rarely changed) bot table


@dataclass
class RoutingCache:
    """What a process remembers to route people without a query per update: the bot table
    (re-read every ROUTING_TTL seconds) and the districts of compounds (places do not move)."""

    read_at: float = float("-inf")
    places: PlaceMap = field(default_factory=dict)
    chains: dict[int, Chain | None] = field(default_factory=dict)


async def home_bot(
    session: AsyncSession,
    compound_ids: Iterable[int],
    *,
    own: int,
    default: bool,
    cache: RoutingCache,
    monotonic: float,
) -> int | Literal[False] | None:
    """The bot a resident with homes in these compounds should write to instead of this one
    (None: the default bot), or False when this bot serves one of their homes, or the city has
    one bot."""
    if monotonic - cache.read_at > ROUTING_TTL:
        cache.places = await _read_places(session)
        cache.read_at = monotonic
    if not cache.places:
        return False
    compounds = list(compound_ids)
    missing = [c for c in compounds if c not in cache.chains]
    found = await chains(session, missing)
    for compound in missing:
        cache.chains[compound] = found.get(compound)
    serving = [chain.bot(cache.places) for c in compounds if (chain := cache.chains[c]) is not None]
    if not serving or own in serving or (default and None in serving):
        return False
    return serving[0]
