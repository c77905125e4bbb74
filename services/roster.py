"""Roster import: one row per household; every row is checked before anything is written.
The file is what the office has (services/office_files), read twice a row at a time (to check,
then to write in batches); the columns and cells are read by services/roster_columns."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.lists import format_list
from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Translator
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
from services import roster_columns as cells
from services.errors import DomainError
from services.file_limits import FileLimits
from services.office_files import (
    HEADER_SEARCH_ROWS,
    Header,
    Row,
    clean,
    filled_down,
    find_header,
    read_rows,
    stream_rows,
)
from services.places import floor_of_room, place_name, room_name
from services.roster_columns import (
    AREA_COLUMNS,
    COLUMNS,
    PLACE_COLUMNS,
    REQUIRED_COLUMNS,
    SYNONYMS,
    CellProblem,
)

MOST_PROBLEMS_SHOWN = 20
PROBLEMS_KEPT = 1000  # a file with more keeps only their count
BATCH = 1000  # households written per flush
PROGRESS_EVERY = 100  # households written between two progress reports
BUILDINGS_KEPT = 64  # buildings whose households stay loaded (a file lists a building's together)
_FILLED_DOWN = (*PLACE_COLUMNS, "unit")  # blank under a written one: a merged cell


@dataclass(frozen=True)
class RowProblem:
    """One problem: the file's row number, the field, a msgid with {column} and its params;
    `filled` names the fields of the row read from the row above (merged cells)."""

    row: int
    column: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    filled: tuple[str, ...] = ()


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
    """What an import did; `problems` keeps the first PROBLEMS_KEPT, `problem_count` all."""

    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problem_count

    def add(self, problem: RowProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(problem)


def read_table(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a table whose first row is the header, as dicts by lower-case column name."""
    rows = read_rows(path.read_bytes(), path.name).rows
    if not rows:
        return
    names = [name.lower() for name in rows[0].cells]
    for row in rows[1:]:
        yield {name: row.cell(index) for index, name in enumerate(names)}


def read_roster(
    data: bytes, filename: str, limits: FileLimits | None = None
) -> tuple[Header, Iterator[tuple[Row, dict[str, str]]]]:
    """The header (among the first rows) and the records below it, read a row at a time;
    blank place cells under written ones filled from above."""
    rows, _ = stream_rows(data, filename, limits)
    head = [row for _, row in zip(range(HEADER_SEARCH_ROWS + 1), rows, strict=False)]
    header = find_header(head, SYNONYMS, REQUIRED_COLUMNS)
    home_cells = [header.columns[c] for c in ("room", *AREA_COLUMNS) if c in header.columns]

    def below() -> Iterator[Row]:
        yield from head[header.index + 1 :]
        yield from rows

    filled = filled_down(
        below(),
        [header.columns[c] for c in _FILLED_DOWN if c in header.columns],
        when=lambda row: any(row.cell(c) for c in home_cells),
        nested=True,
    )
    return header, header.records_of(filled)


def missing_columns(header: Header) -> list[RowProblem]:
    return [
        RowProblem(header.number, name, N_("column is missing"), {"header": header.number})
        for name in header.missing
    ]


def check_rows(
    header: Header, records: Iterator[tuple[Row, dict[str, str]]], result: RosterResult
) -> None:
    """Validate every record, counting the good ones in `result.rows` and adding every
    problem; a home met twice is told by its first row (kept as a digest of its names)."""
    if header.missing:
        for problem in missing_columns(header):
            result.add(problem)
        return
    seen: dict[bytes, int] = {}
    fields = list(header.columns.items())
    for source, record in records:
        found: list[RowProblem] = []
        row = _row(source.number, record, found)
        key = _digest(row.key) if row is not None else b""
        if row is not None and key in seen:
            found.append(
                _problem(source.number, "room", N_("the same home as row {other}"), other=seen[key])
            )
        filled = tuple(n for n, c in fields if c in source.filled) if found else ()
        for p in found:
            result.add(RowProblem(p.row, p.column, p.msgid, p.params, filled))
        if row is not None and not found:
            seen[key] = source.number
            result.rows += 1


def _digest(key: tuple[str, ...]) -> bytes:
    return hashlib.blake2b("\x1f".join(key).encode(), digest_size=16).digest()


def good_rows(records: Iterator[tuple[Row, dict[str, str]]]) -> Iterator[RosterRow]:
    """The records as households (the file was checked: every one reads)."""
    for source, record in records:
        row = _row(source.number, record, [])
        if row is not None:
            yield row


def _problem(row: int, column: str, msgid: str, **params: Any) -> RowProblem:
    return RowProblem(row, column, msgid, params)


def _row(number: int, record: dict[str, str], found: list[RowProblem]) -> RosterRow | None:
    """One household from its cells, or None with the problems added to `found`."""
    text: dict[str, Any] = {name: _normalised(name, record.get(name, "")) for name in COLUMNS}
    for name in REQUIRED_COLUMNS:
        if not text[name]:
            found.append(_problem(number, name, N_("{column} is empty")))
    for name, column in COLUMNS.items():
        if len(text[name]) > column.limit:
            found.append(
                _problem(
                    number,
                    name,
                    N_("{column} is longer than {limit} characters"),
                    limit=column.limit,
                )
            )
    read: dict[str, Any] = {}
    for name, reader in _READERS.items():
        try:
            read[name] = reader(text[name])
        except CellProblem as problem:
            found.append(_problem(number, name, problem.msgid, **problem.params))
    if all(not text[c] for c in AREA_COLUMNS):
        found.append(
            _problem(
                number,
                "registered_area",
                N_("no area: fill in the area, the surveyed or the contract area"),
            )
        )
    if found:
        return None
    return RosterRow(
        row=number,
        **{c: text[c] for c in (*PLACE_COLUMNS, "unit", "room", "grid")},
        **read,
        owner_name=text["owner_name"] or None,
    )


def _normalised(name: str, text: str) -> str:
    """Names the same way everywhere (services/places): `１０１室` is room 101, `1 栋` is 1栋."""
    if name == "room":
        return room_name(text)
    if name in _PLACE_NAMES:
        return _place_name(text)
    return clean(text)


_PLACE_NAMES = frozenset((*PLACE_COLUMNS, "unit", "grid"))
_place_name = lru_cache(maxsize=4096)(place_name)  # a file repeats its places on every row


_READERS: dict[str, Callable[[str], Any]] = {
    **dict.fromkeys(AREA_COLUMNS, cells.area),
    "floor": cells.floor,
    "owner_phone": cells.stored_phones,
    "developer_unit": cells.yes_no,
}


def describe(
    problems: list[RowProblem],
    _: Translator,
    *,
    count: int | None = None,
    most: int = MOST_PROBLEMS_SHOWN,
) -> list[str]:
    """The problems in the office's words, the first `most` (20) and how many more (of `count`,
    when only the first were kept)."""
    lines = [_line(problem, _) for problem in problems[:most]]
    rest = (len(problems) if count is None else count) - most
    if rest > 0:
        lines.append(
            _.ngettext("…and {count} more problem.", "…and {count} more problems.", rest)
            .unescape()
            .format(count=rest)
        )
    return lines


def column_label(problem: RowProblem, _: Translator) -> str:
    """The problem's column as the reader's language names it ("-": the whole file)."""
    column = COLUMNS.get(problem.column)
    return _.plain(column.label) if column else problem.column


def describe_one(problem: RowProblem, _: Translator) -> str:
    """One problem in the office's words, with its row."""
    return _line(problem, _)


def _line(problem: RowProblem, _: Translator) -> str:
    column = COLUMNS.get(problem.column)
    label = _.plain(column.label) if column else problem.column
    if problem.msgid == "column is missing" and column is not None:
        others = [n for n in column.names if n != label][:4]
        return _.plain(
            N_("No “{column}” column (also written {names}); the header is row {row}.")
        ).format(
            column=label, names=format_list(others, style="or", locale=_.locale), row=problem.row
        )
    params = {k: v for k, v in problem.params.items() if k != "column"}
    detail = DomainError(problem.msgid, column=label, **params).text(_)
    if not problem.filled:
        return _.plain(N_("Row {row}: {problem}")).format(row=problem.row, problem=detail)
    merged = format_list([_.plain(COLUMNS[f].label) for f in problem.filled], locale=_.locale)
    return _.plain(
        N_("Row {row}: {problem} (the {columns} cell is merged; read as in the row above)")
    ).format(row=problem.row, problem=detail, columns=merged)


async def import_roster(
    session: AsyncSession, path: Path, *, now: datetime, limits: FileLimits | None = None
) -> RosterResult:
    """Check the whole file, then create or update places and households in place, flushing
    every BATCH households. A file over `limits` is refused before it is parsed."""
    limits = limits or FileLimits()
    limits.check_size((await asyncio.to_thread(path.stat)).st_size)
    data = await asyncio.to_thread(path.read_bytes)
    return await import_roster_data(session, data, path.name, now=now, limits=limits)


async def import_roster_data(
    session: AsyncSession,
    data: bytes,
    filename: str,
    *,
    now: datetime,
    limits: FileLimits | None = None,
    actor_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> RosterResult:
    """`import_roster` of a file's bytes (the office console's upload); `progress` is told the
    households written so far every PROGRESS_EVERY rows, `actor_id` who imported it."""
    limits = limits or FileLimits()
    limits.check_size(len(data))
    path = Path(filename)
    header, records = read_roster(data, path.name, limits)
    result = RosterResult()
    check_rows(header, records, result)
    if not result.ok:
        return result
    if result.rows == 0:
        result.add(RowProblem(header.number, "-", N_("the file has no data rows below the header")))
        return result
    if progress is not None:
        progress(0)
    places = PlaceCache(session)
    floors: dict[int, tuple[Building, int, int]] = {}
    new: list[dict[str, Any]] = []
    for written, row in enumerate(good_rows(read_roster(data, path.name, limits)[1]), 1):
        building = await places.building(row)
        floor = row.floor if row.floor is not None else floor_of_room(row.room)
        if floor is not None:
            _, low, high = floors.get(pk(building), (building, floor, floor))
            floors[pk(building)] = (building, min(low, floor), max(high, floor))
        grid = await places.grid(row)
        household = await places.household(building, row.unit, row.room)
        values = household_values(row, grid.id)
        if household is None:
            new.append(
                {
                    "building_id": pk(building),
                    "compound_id": building.compound_id,
                    "updated_at": now,
                    **values,
                }
            )
            result.created += 1
        elif any(getattr(household, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(household, key, value)
            household.updated_at = now
            result.updated += 1
        else:
            result.unchanged += 1
        if written % BATCH == 0:
            await _write(session, new)
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    await _write(session, new)
    if progress is not None:
        progress(result.rows)
    for building, low, high in floors.values():
        _widen_floors(building, low, high)
    audit.record(
        session,
        at=now,
        action="roster.import",
        actor_id=actor_id,
        subject_type="file",
        subject_id=path.name,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    await session.flush()
    return result


def household_values(row: RosterRow, grid_id: int | None) -> dict[str, Any]:
    """What the roster says of a home: the fields an import writes (and compares)."""
    return {
        "unit": row.unit,
        "room": row.room,
        "floor": row.floor,
        "grid_id": grid_id,
        "registered_area": row.registered_area,
        "surveyed_area": row.surveyed_area,
        "contract_area": row.contract_area,
        "owner_name": row.owner_name,
        "owner_phone": row.owner_phone,
        "developer_unit": row.developer_unit,
    }


async def _write(session: AsyncSession, new: list[dict[str, Any]]) -> None:
    """The batch's new households in one batched INSERT (their ids are not needed: a home is in
    the file once) and its changed ones; the written ones leave memory."""
    if new:
        await session.exec(insert(Household), params=new)
        new.clear()
    await session.flush()


def _widen_floors(building: Building, low: int, high: int) -> None:
    """A building's floors cover its homes' floors (the floor column, else the room number:
    1201 → 12); a range the office set (a basement, a top floor without homes) is kept."""
    if building.lowest_floor is None or low < building.lowest_floor:
        building.lowest_floor = low
    if building.floors is None or high > building.floors:
        building.floors = high


class PlaceCache:
    """Finds or creates each place once per import, keyed by its names; the households of the
    last BUILDINGS_KEPT buildings stay loaded (a building met again later is read again)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.cache: dict[tuple[Any, ...], Any] = {}
        self.children: dict[tuple[str, int | None], dict[str, Any]] = {}
        self.households: OrderedDict[int, dict[tuple[str, str], Household]] = OrderedDict()

    async def _get_or_create(
        self, model: type[Any], parent_field: str | None, parent_id: int | None, name: str
    ) -> Any:
        key = (model.__name__, parent_id, name)
        if key in self.cache:
            return self.cache[key]
        siblings = await self._children(model, parent_field, parent_id)
        row = siblings.get(name)
        if row is not None and row.name != name:
            row.name = name
        if row is None:
            row = model(name=name, **({parent_field: parent_id} if parent_field else {}))
            self.session.add(row)
            await self.session.flush()
            siblings[name] = row
        self.cache[key] = row
        return row

    async def existing(
        self, model: type[Any], parent_field: str | None, parent_id: int | None, name: str
    ) -> Any | None:
        """The place of this name under its parent, if the database has it (nothing created)."""
        return (await self._children(model, parent_field, parent_id)).get(name)

    async def _children(
        self, model: type[Any], parent_field: str | None, parent_id: int | None
    ) -> dict[str, Any]:
        """The places under a parent by their normalised name, read once: a place first
        imported as `１栋` (before names were normalised) is the same `1栋`."""
        key = (model.__name__, parent_id)
        if key not in self.children:
            statement = select(model).order_by(col(model.id))
            if parent_field:
                statement = statement.where(getattr(model, parent_field) == parent_id)
            found: dict[str, Any] = {}
            for place in await self.session.exec(statement):
                found.setdefault(place_name(place.name), place)
            self.children[key] = found
        return self.children[key]

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
        if key in self.households:
            self.households.move_to_end(key)
        else:
            found = await self.session.exec(
                select(Household).where(col(Household.building_id) == key)
            )
            self.households[key] = {(place_name(h.unit), room_name(h.room)): h for h in found}
            if len(self.households) > BUILDINGS_KEPT:
                self.households.popitem(last=False)
        return self.households[key].get((unit, room))
