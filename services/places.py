"""Places and scopes: resolving `kind:name` scopes, ancestry checks and household labels."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pypinyin import lazy_pinyin
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import rows
from core.i18n import N_
from models import (
    Building,
    City,
    Community,
    Compound,
    District,
    Grid,
    Household,
    PropertyCompany,
    ScopeKind,
    SubDistrict,
)
from services import audit
from services.enum_inputs import SCOPE, scope_kind
from services.enum_inputs import service_model as typed_service_model
from services.errors import DomainError

SCOPE_TABLES: dict[ScopeKind, Any] = {
    ScopeKind.CITY: City,
    ScopeKind.DISTRICT: District,
    ScopeKind.SUB_DISTRICT: SubDistrict,
    ScopeKind.COMMUNITY: Community,
    ScopeKind.COMPOUND: Compound,
    ScopeKind.GRID: Grid,
    ScopeKind.BUILDING: Building,
}


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    id: int
    name: str


@dataclass(frozen=True)
class CompoundChain:
    """A compound and the ids of every place above it."""

    compound_id: int
    community_id: int
    sub_district_id: int
    district_id: int
    city_id: int

    def contains(self, kind: str, scope_id: int) -> bool:
        """True when the scope (kind, id) is this compound or one of its ancestors."""
        ids = {
            ScopeKind.COMPOUND: self.compound_id,
            ScopeKind.COMMUNITY: self.community_id,
            ScopeKind.SUB_DISTRICT: self.sub_district_id,
            ScopeKind.DISTRICT: self.district_id,
            ScopeKind.CITY: self.city_id,
        }
        return ids.get(ScopeKind(kind)) == scope_id


async def resolve_scope(session: AsyncSession, text: str) -> Scope:
    """Parse `compound:安居苑`, `compound:12`, `district:武汉市/江岸区` or, in pinyin,
    `district:Jiang'an` into one place; the kind also by its name (`小区:安居苑`, `區：江岸區`)."""
    kind_text, _, ref = text.replace("：", ":").partition(":")
    kind = scope_kind(kind_text)
    ref = ref.strip()
    table = SCOPE_TABLES[kind]
    if ref.isdigit():
        row = await session.get(table, int(ref))
        if row is None:
            raise DomainError(N_("No {kind} with id {id}."), kind=SCOPE[kind], id=ref)
        return Scope(kind, row.id, row.name)
    name = ref.rsplit("/", 1)[-1]
    rows = (await session.exec(select(table).where(table.name == name))).all()
    if not rows and not _HAN.search(name):
        # `district:Jiang'an`, `city:Wuhan`: the name in pinyin, as typed on a Latin keyboard.
        wanted = romanised(name)
        rows = [
            row
            for row in (await session.exec(select(table))).all()
            if wanted and wanted in romanisations(row.name)
        ]
    if not rows:
        raise DomainError(N_("No {kind} named {name!r}."), kind=SCOPE[kind], name=name)
    if len(rows) > 1:
        raise DomainError(
            N_("Several places are named {name!r}; use its id: {ids}."),
            name=name,
            ids=", ".join(f"{r.id} ({r.name})" for r in rows),
        )
    return Scope(kind, rows[0].id, rows[0].name)


_HAN = re.compile(r"[\u3400-\u9fff]")
# What a place's name may end with, in Chinese and in English; a name typed without it matches.
_PLACE_SUFFIXES = (
    "街道办事处",
    "社区居委会",
    "居委会",
    "街道",
    "社区",
    "小区",
    "区",
    "县",
    "市",
    "镇",
    "乡",
    "村",
)
_ENGLISH_SUFFIX = re.compile(
    r"\s+(sub-?district|district|street|community|city|county|town|village|compound|estate)$"
)


def romanised(text: str) -> str:
    """`Jiang'an District` → `jiangan`: lower case, without an English place word, apostrophes,
    spaces or hyphens."""
    text = _ENGLISH_SUFFIX.sub("", text.strip().lower())
    return re.sub(r"[\s'’\-_.·]+", "", text)


def romanisations(name: str) -> set[str]:
    """The pinyin (usual reading, no tones) of a place's name, with and without its 区/市/街道…"""
    stems = {name} | {
        name[: -len(s)] for s in _PLACE_SUFFIXES if name.endswith(s) and len(name) > len(s)
    }
    return {romanised("".join(lazy_pinyin(stem))) for stem in stems}


async def scope_name(session: AsyncSession, kind: str, scope_id: int) -> str:
    row = await session.get(SCOPE_TABLES[ScopeKind(kind)], scope_id)
    return row.name if row is not None else "?"


async def compound_chain(session: AsyncSession, compound_id: int) -> CompoundChain | None:
    statement = (
        sa.select(
            col(Compound.id),
            col(Community.id),
            col(SubDistrict.id),
            col(District.id),
            col(District.city_id),
        )
        .join(Community, col(Community.id) == col(Compound.community_id))
        .join(SubDistrict, col(SubDistrict.id) == col(Community.sub_district_id))
        .join(District, col(District.id) == col(SubDistrict.district_id))
        .where(col(Compound.id) == compound_id)
    )
    found = await rows(session, statement)
    return CompoundChain(*found[0]) if found else None


async def compound_by_name(session: AsyncSession, name: str) -> Compound:
    """A compound by id or unique name (CLI arguments)."""
    scope = await resolve_scope(session, f"compound:{name}")
    compound = await session.get(Compound, scope.id)
    assert compound is not None
    return compound


def household_label(building_name: str, unit: str, room: str) -> str:
    """`3栋 2单元 1201`: place names are data, shown as the roster spells them."""
    return " ".join(part for part in (building_name, unit, room) if part)


async def household_labels(session: AsyncSession, household_ids: list[int]) -> dict[int, str]:
    if not household_ids:
        return {}
    statement = (
        select(col(Household.id), col(Building.name), col(Household.unit), col(Household.room))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Household.id).in_(household_ids))
    )
    return {pk_: household_label(b, u, r) for pk_, b, u, r in await rows(session, statement)}


def compound_ids_in_scope(kind: str, scope_id: int):
    """A SELECT of the ids of every compound a scope covers (a grid covers its households' compounds)."""
    kind = ScopeKind(kind)
    if kind == ScopeKind.COMPOUND:
        return select(col(Compound.id)).where(col(Compound.id) == scope_id)
    if kind == ScopeKind.BUILDING:
        return select(col(Building.compound_id)).where(col(Building.id) == scope_id)
    if kind == ScopeKind.GRID:
        return (
            select(col(Household.compound_id)).where(col(Household.grid_id) == scope_id).distinct()
        )
    statement = select(col(Compound.id)).join(
        Community, col(Community.id) == col(Compound.community_id)
    )
    if kind == ScopeKind.COMMUNITY:
        return statement.where(col(Community.id) == scope_id)
    statement = statement.join(SubDistrict, col(SubDistrict.id) == col(Community.sub_district_id))
    if kind == ScopeKind.SUB_DISTRICT:
        return statement.where(col(SubDistrict.id) == scope_id)
    statement = statement.join(District, col(District.id) == col(SubDistrict.district_id))
    if kind == ScopeKind.DISTRICT:
        return statement.where(col(District.id) == scope_id)
    return statement.where(col(District.city_id) == scope_id)


# Between the parts of a typed home: spaces, - / , and the end of "3栋", "3幢", "3号楼" or
# "2单元", so that "3栋2单元1201" reads as "3栋 2单元 1201".
_HOME_PARTS = re.compile(r"[\s\-/,，]+|(?<=[栋幢棟])|(?<=号楼)|(?<=號樓)|(?<=单元)|(?<=單元)")
# Spaces before a place word ("3 栋 2 单元") and a room's 室, 号 or 房 ("1201室") say nothing.
_SPACE_BEFORE_WORD = re.compile(r"\s+(?=[栋幢棟]|号楼|號樓|单元|單元|室)")
_ROOM_WORD = re.compile(r"(?<=\d)[室号號房]$")


def place_name(text: str | None) -> str:
    """A building's, unit's or place's name as stored and compared, from a roster or typed:
    NFKC (`１栋` is `1栋`, the ideographic space a space), trimmed, one space inside, none before
    栋/单元/室 (`1 栋` is `1栋`)."""
    text = " ".join(unicodedata.normalize("NFKC", text or "").split())
    return _SPACE_BEFORE_WORD.sub("", text)


def room_name(text: str | None) -> str:
    """A room as stored and compared: a place name without the 室, 号 or 房 after its number
    (`１０１室` is `101`)."""
    return _ROOM_WORD.sub("", place_name(text))


def home_words(text: str | None) -> list[str]:
    """The parts of a typed home: `1栋1单元201`, `1-1-201`, `1号楼1单元201室`, `1幢 1单元 201`;
    full-width digits and letters (`１栋１单元２０１`, a Chinese keyboard's default) read as the
    roster's half-width ones."""
    words = [w for w in _HOME_PARTS.split(place_name(text)) if w]
    if words:
        words[-1] = room_name(words[-1])
    return [w for w in words if w]


def floor_of_room(room: str) -> int | None:
    """The floor a room number says: `1201` → 12, `302` → 3, `B101` → None."""
    room = unicodedata.normalize("NFKC", room).strip()
    if not room.isdigit() or len(room) < 3:
        return None
    return int(room[:-2])


async def match_households(
    session: AsyncSession, compound_ids: list[int], text: str
) -> list[Household]:
    """Every home in these compounds that "3栋 2单元 1201", "3-2-1201", "3 2 1201" or "3栋 1201"
    (unit left out) can mean."""
    words = home_words(text)
    if not words or len(words) > 3:
        return []
    statement = (
        select(Household, col(Building.name))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Household.compound_id).in_(compound_ids))
        .where(col(Household.room) == words[-1])
    )
    parts = words[:-1]  # building, then unit
    return [
        household
        for household, building in await session.exec(statement)
        if all(
            same_place(word, name)
            for word, name in zip(parts, [building, household.unit][: len(parts)], strict=True)
        )
    ]


async def find_household(session: AsyncSession, compound_ids: list[int], text: str) -> Household:
    """The one home meant by the text (see match_households), or a clear refusal."""
    if not home_words(text):
        raise DomainError(
            N_("Send the home as building, unit and room, for example 1栋 1单元 101.")
        )
    matches = await match_households(session, compound_ids, text)
    if len(matches) != 1:
        raise DomainError(
            N_(
                "No single home matches “{text}”. Send building, unit and room, for example 1栋 1单元 101."
            ),
            text=(text or "")[:40],
        )
    return matches[0]


def same_place(word: str, name: str) -> bool:
    """`3`, `3栋`, `3幢` and `3号楼` name building 3; `2` and `2单元` name unit 2."""
    if not name:
        return False
    digits = re.sub(r"\D", "", name)
    return word == name or (digits != "" and re.sub(r"\D", "", word) == digits)


async def configure_compound(
    session: AsyncSession,
    compound_id: int,
    *,
    now: datetime,
    service_model: str | None = None,
    company: str | None = None,
) -> tuple[Compound, str | None]:
    """The compound's service model (the coverage KPI) and its property company (the five-star
    ranking); a company named for the first time is created. Returns the compound and the
    company's name."""
    compound = await session.get(Compound, compound_id)
    if compound is None:
        raise DomainError(N_("That compound does not exist."))
    if service_model is not None:
        compound.service_model = typed_service_model(service_model)
    if company is not None:
        name = company.strip()
        if not name or len(name) > 200:
            raise DomainError(N_("The company name must be 1 to 200 characters."))
        found = (
            await session.exec(select(PropertyCompany).where(col(PropertyCompany.name) == name))
        ).first()
        if found is None:
            found = PropertyCompany(name=name)
            session.add(found)
            await session.flush()
        compound.company_id = found.id
    company_name = None
    if compound.company_id is not None:
        owner = await session.get(PropertyCompany, compound.company_id)
        company_name = owner.name if owner is not None else None
    if service_model is not None or company is not None:
        audit.record(
            session,
            at=now,
            actor_id=None,
            action="compound.settings",
            subject_type="compound",
            subject_id=compound.id,
            service_model=compound.service_model,
            company=company_name,
        )
    return compound, company_name
