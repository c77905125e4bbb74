"""Roster import: every problem reported with row and column, nothing written when any is bad."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import col, select

from core.db import create_engine, session_factory, unit_of_work
from models import Building, Compound, Grid, Household
from services.roster import import_roster
from tests.utils.paths import SAMPLE_ROSTER


async def _import(database_url: str, path: Path, clock):
    engine = create_engine(database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            result = await import_roster(session, path, now=clock.now())
            if not result.ok:
                await session.rollback()
            return result
    finally:
        await engine.dispose()


async def _count(database_url: str, model) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return (await session.exec(select(func.count()).select_from(model))).one()
    finally:
        await engine.dispose()


def _rows(path: Path = SAMPLE_ROSTER) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


async def test_sample_roster_imports_sixty_households_in_three_buildings(database_url, clock):
    result = await _import(database_url, SAMPLE_ROSTER, clock)
    assert result.ok and (result.created, result.updated) == (60, 0)
    assert await _count(database_url, Household) == 60
    assert await _count(database_url, Building) == 3
    assert await _count(database_url, Compound) == 1
    assert await _count(database_url, Grid) == 2


async def test_reimporting_the_same_file_changes_nothing(database_url, clock):
    await _import(database_url, SAMPLE_ROSTER, clock)
    again = await _import(database_url, SAMPLE_ROSTER, clock)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 60)
    assert await _count(database_url, Household) == 60


async def test_a_corrected_file_updates_households_in_place(database_url, clock, tmp_path):
    await _import(database_url, SAMPLE_ROSTER, clock)
    rows = _rows()
    rows[0]["registered_area"] = "90.10"
    rows[1]["owner_phone"] = "13912345678"
    result = await _import(database_url, _write(tmp_path / "fixed.csv", rows), clock)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 58)
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        household = (
            await session.exec(
                select(Household).where(col(Household.room) == "101").order_by(col(Household.id))
            )
        ).first()
        assert str(household.registered_area) == "90.10"
    await engine.dispose()


async def test_bad_rows_are_all_reported_with_row_and_column_and_nothing_is_written(
    database_url, clock, tmp_path
):
    rows = _rows()
    rows[2]["registered_area"] = "abc"  # spreadsheet row 4
    rows[5]["room"] = ""  # row 7
    rows[9]["owner_phone"] = "call me"  # row 11
    rows[12]["registered_area"] = rows[12]["surveyed_area"] = rows[12]["contract_area"] = (
        ""  # row 14
    )
    rows[20] = dict(rows[21])  # row 22 duplicates row 23
    result = await _import(database_url, _write(tmp_path / "bad.csv", rows), clock)
    found = {(p.row, p.column) for p in result.problems}
    assert {
        (4, "registered_area"),
        (7, "room"),
        (11, "owner_phone"),
        (14, "registered_area"),
        (23, "room"),
    } <= found
    assert await _count(database_url, Household) == 0
    assert await _count(database_url, Compound) == 0


async def test_missing_columns_are_named(database_url, clock, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("city,district,room\n武汉市,江岸区,101\n", encoding="utf-8")
    result = await _import(database_url, path, clock)
    assert {p.column for p in result.problems} >= {
        "sub_district",
        "community",
        "compound",
        "building",
        "grid",
    }
    assert all(p.row == 1 for p in result.problems)


async def test_xlsx_roster_imports_like_csv(database_url, clock, tmp_path):
    rows = _rows()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append([float(v) if k == "registered_area" and v else v for k, v in row.items()])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    result = await _import(database_url, path, clock)
    assert result.ok and result.created == 60
    again = await _import(database_url, SAMPLE_ROSTER, clock)
    assert again.unchanged == 60


async def test_cli_reports_problems_and_exits_non_zero(database_url, tmp_path, capsys, monkeypatch):
    import bot
    from core.settings import get_settings

    rows = _rows()
    rows[0]["registered_area"] = "-5"
    path = _write(tmp_path / "bad.csv", rows)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    try:
        code = await _in_thread(bot.main, ["admin", "import-roster", str(path)])
    finally:
        get_settings.cache_clear()
    assert code == 1
    err = capsys.readouterr().err
    assert "Row 2: registered area: “-5” is not an area" in err
    assert "nothing was written" in err


async def _in_thread(fn, *args):
    import asyncio

    return await asyncio.to_thread(fn, *args)


async def test_a_building_met_again_after_many_others_is_the_same_building(
    database_url, clock, tmp_path
):
    # the import keeps the homes of the last 64 buildings loaded; the 1st building comes back
    # after 80 others, in the first import and in the second
    template = _rows()[0]
    rows = [dict(template, building=f"{n}栋", room="101") for n in range(1, 82)]
    rows.append(dict(template, building="1栋", room="102"))
    path = _write(tmp_path / "many.csv", rows)
    first = await _import(database_url, path, clock)
    assert (first.created, first.unchanged) == (82, 0)
    again = await _import(database_url, path, clock)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 82)
    assert await _count(database_url, Household) == 82
    assert await _count(database_url, Building) == 81
