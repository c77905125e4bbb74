"""Roster import: one row per household; every row is checked before anything is written."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Building,
    City,
    Community,
    Compound,
    District,
    Grid,
    Household,
    SubDistrict,
    pk,
)
from services import audit
from services.errors import DomainError
from services.places import floor_of_room

PLACE_COLUMNS = ("city", "district", "sub_district", "community", "compound", "building")
REQUIRED_COLUMNS = (*PLACE_COLUMNS, "room", "grid")
OPTIONAL_COLUMNS = (
    "unit",
    "floor",
    "registered_area",
    "surveyed_area",
    "contract_area",
    "owner_name",
    "owner_phone",
    "developer_unit",
)
AREA_COLUMNS = ("registered_area", "surveyed_area", "contract_area")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")
_YES = {"1", "yes", "y", "true", "是"}
_NO = {"", "0", "no", "n", "false", "否"}


@dataclass(frozen=True)
class RowProblem:
    """One problem: spreadsheet row number (header = 1), column name and a msgid."""

    row: int
    column: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RosterRow:
    row: int
    city: str
    district: str
    sub_district: str
    community: str
    compound: str
    building: str
    unit: str
    room: str
    floor: int | None
    grid: str
    registered_area: Decimal | None
    surveyed_area: Decimal | None
    contract_area: Decimal | None
    owner_name: str | None
    owner_phone: str | None
    developer_unit: bool

    @property
    def key(self) -> tuple[str, ...]:
        return (*self.place_path, self.unit, self.room)

    @property
    def place_path(self) -> tuple[str, ...]:
        return (
            self.city,
            self.district,
            self.sub_district,
            self.community,
            self.compound,
            self.building,
        )


@dataclass
class RosterResult:
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def read_table(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a .csv (UTF-8, with or without BOM) or .xlsx file as dicts of stripped text."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for record in csv.DictReader(handle):
                yield {
                    (k or "").strip().lower(): (v or "").strip()
                    for k, v in record.items()
                    if k is not None
                }
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            header = [str(c or "").strip().lower() for c in next(rows, ())]
            for values in rows:
                cells = ["" if v is None else _cell_text(v) for v in values]
                yield dict(zip(header, cells, strict=False))
        finally:
            workbook.close()
    else:
        raise DomainError(N_("Unsupported file type {suffix}; use .csv or .xlsx."), suffix=suffix)


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _area(raw: str, row: int, column: str, problems: list[RowProblem]) -> Decimal | None:
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.append(RowProblem(row, column, N_("{value!r} is not a number"), {"value": raw}))
        return None
    if not value.is_finite() or value <= 0 or value >= 100000:
        problems.append(
            RowProblem(row, column, N_("{value} is not an area in ㎡ (0–100000)"), {"value": raw})
        )
        return None
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.append(
            RowProblem(row, column, N_("{value} has more than 2 decimals"), {"value": raw})
        )
        return None
    return value.quantize(Decimal("0.01"))


def parse_rows(
    records: list[dict[str, str]], header: set[str]
) -> tuple[list[RosterRow], list[RowProblem]]:
    """Validate every record; return the good rows and every problem found."""
    problems: list[RowProblem] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [RowProblem(1, c, N_("required column is missing")) for c in missing]
    rows: list[RosterRow] = []
    seen: dict[tuple[str, ...], int] = {}
    for index, record in enumerate(records, start=2):
        if not any(record.values()):
            continue  # blank lines at the end of spreadsheets are common
        found: list[RowProblem] = []
        for column in REQUIRED_COLUMNS:
            if not record.get(column):
                found.append(RowProblem(index, column, N_("value is required")))
        for column in (*REQUIRED_COLUMNS, "unit", "owner_name"):
            if len(record.get(column, "")) > 100:
                found.append(RowProblem(index, column, N_("longer than 100 characters")))
        areas: dict[str, Any] = {c: _area(record.get(c, ""), index, c, found) for c in AREA_COLUMNS}
        if all(record.get(c, "") == "" for c in AREA_COLUMNS):
            found.append(
                RowProblem(
                    index, "registered_area", N_("at least one of the three areas is required")
                )
            )
        floor_text = record.get("floor", "")
        floor: int | None = None
        if floor_text:
            if re.fullmatch(r"-?\d{1,3}", floor_text):
                floor = int(floor_text)
            else:
                found.append(
                    RowProblem(
                        index, "floor", N_("{value!r} is not a whole number"), {"value": floor_text}
                    )
                )
        phone = record.get("owner_phone", "") or None
        if phone and not _PHONE.match(phone):
            found.append(
                RowProblem(
                    index, "owner_phone", N_("{value!r} is not a phone number"), {"value": phone}
                )
            )
        developer_text = record.get("developer_unit", "").lower()
        if developer_text not in _YES | _NO:
            found.append(
                RowProblem(
                    index,
                    "developer_unit",
                    N_("use yes or no, not {value!r}"),
                    {"value": developer_text},
                )
            )
        if found:
            problems.extend(found)
            continue
        row = RosterRow(
            row=index,
            **{c: str(record[c]) for c in PLACE_COLUMNS},  # type: ignore[arg-type]
            unit=record.get("unit", ""),
            room=record["room"],
            floor=floor,
            grid=record["grid"],
            **areas,
            owner_name=record.get("owner_name", "") or None,
            owner_phone=phone,
            developer_unit=developer_text in _YES,
        )
        if row.key in seen:
            problems.append(
                RowProblem(
                    index, "room", N_("same household as row {other}"), {"other": seen[row.key]}
                )
            )
            continue
        seen[row.key] = index
        rows.append(row)
    return rows, problems


async def import_roster(session: AsyncSession, path: Path, *, now: datetime) -> RosterResult:
    """Validate the whole file, then create or update places and households in place."""
    records = list(read_table(path))
    header = set().union(*(r.keys() for r in records)) if records else set()
    if not records:
        return RosterResult(problems=[RowProblem(1, "-", N_("the file has no data rows"))])
    rows, problems = parse_rows(records, header)
    result = RosterResult(problems=problems, rows=len(rows))
    if problems:
        return result
    places = _PlaceCache(session)
    floors: dict[int, tuple[Building, list[int]]] = {}
    for row in rows:
        building = await places.building(row)
        floor = row.floor if row.floor is not None else floor_of_room(row.room)
        if floor is not None:
            floors.setdefault(pk(building), (building, []))[1].append(floor)
        grid = await places.grid(row)
        household = await places.household(building, row.unit, row.room)
        values: dict[str, Any] = {
            "floor": row.floor,
            "grid_id": grid.id,
            "registered_area": row.registered_area,
            "surveyed_area": row.surveyed_area,
            "contract_area": row.contract_area,
            "owner_name": row.owner_name,
            "owner_phone": row.owner_phone,
            "developer_unit": row.developer_unit,
        }
        if household is None:
            session.add(
                Household(
                    building_id=pk(building),
                    compound_id=building.compound_id,
                    unit=row.unit,
                    room=row.room,
                    updated_at=now,
                    **values,
                )
            )
            result.created += 1
        elif any(getattr(household, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(household, key, value)
            household.updated_at = now
            result.updated += 1
        else:
            result.unchanged += 1
    for building, found in floors.values():
        _widen_floors(building, found)
    audit.record(
        session,
        at=now,
        actor_id=None,
        action="roster.import",
        subject_type="file",
        subject_id=path.name,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    await session.flush()
    return result


def _widen_floors(building: Building, floors: list[int]) -> None:
    """A building's floors cover its homes' floors (the floor column, else the room number:
    1201 → 12); a range the office set (a basement, a top floor without homes) is kept."""
    low, high = min(floors), max(floors)
    if building.lowest_floor is None or low < building.lowest_floor:
        building.lowest_floor = low
    if building.floors is None or high > building.floors:
        building.floors = high


class _PlaceCache:
    """Finds or creates each place once per import, keyed by its names."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.cache: dict[tuple[Any, ...], Any] = {}
        self.households: dict[int, dict[tuple[str, str], Household]] = {}

    async def _get_or_create(
        self, model: type[Any], parent_field: str | None, parent_id: int | None, name: str
    ) -> Any:
        key = (model.__name__, parent_id, name)
        if key in self.cache:
            return self.cache[key]
        statement = select(model).where(model.name == name)
        if parent_field:
            statement = statement.where(getattr(model, parent_field) == parent_id)
        row = (await self.session.exec(statement)).first()
        if row is None:
            row = model(name=name, **({parent_field: parent_id} if parent_field else {}))
            self.session.add(row)
            await self.session.flush()
        self.cache[key] = row
        return row

    async def compound(self, row: RosterRow) -> Compound:
        city = await self._get_or_create(City, None, None, row.city)
        district = await self._get_or_create(District, "city_id", city.id, row.district)
        sub = await self._get_or_create(SubDistrict, "district_id", district.id, row.sub_district)
        community = await self._get_or_create(Community, "sub_district_id", sub.id, row.community)
        return await self._get_or_create(Compound, "community_id", community.id, row.compound)

    async def building(self, row: RosterRow) -> Building:
        compound = await self.compound(row)
        return await self._get_or_create(Building, "compound_id", compound.id, row.building)

    async def grid(self, row: RosterRow) -> Grid:
        compound = await self.compound(row)
        return await self._get_or_create(Grid, "community_id", compound.community_id, row.grid)

    async def household(self, building: Building, unit: str, room: str) -> Household | None:
        key = pk(building)
        if key not in self.households:
            found = await self.session.exec(
                select(Household).where(col(Household.building_id) == key)
            )
            self.households[key] = {(h.unit, h.room): h for h in found}
        return self.households[key].get((unit, room))
