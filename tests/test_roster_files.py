"""The rosters an office really has, imported through `bot.py admin import-roster`: CSV saved by
Chinese Excel (GBK) or as UTF-8 with a BOM, XLSX with a title row, two-row merged headers and
merged building cells, old XLS, full-width digits, areas with units, two phones in one cell."""

from __future__ import annotations

import asyncio
import csv
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
import xlwt
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import col, select

from core.db import create_engine, session_factory
from models import Building, Household
from services.vote_eligibility import _identity
from tests.test_cli import _cli
from tests.utils.hostile import HOSTILE
from tests.utils.paths import SAMPLE_ROSTER

CHINESE = {
    "city": "城市",
    "district": "区",
    "sub_district": "街道",
    "community": "社区",
    "compound": "小区",
    "building": "楼栋",
    "unit": "单元",
    "room": "房号",
    "floor": "楼层",
    "registered_area": "面积（㎡）",
    "surveyed_area": "实测面积",
    "contract_area": "合同面积",
    "grid": "网格",
    "owner_name": "业主",
    "owner_phone": "电话",
    "developer_unit": "开发商",
}
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def _sample(homes: int = 60) -> list[dict[str, str]]:
    with SAMPLE_ROSTER.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:homes]
    for row in rows:
        row["developer_unit"] = {"no": "否", "yes": "是"}[row["developer_unit"]]
    return rows


def _csv(path: Path, rows: list[dict[str, str]], encoding: str, title: str | None = None) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        if title:
            writer.writerow([title])
        writer.writerow([CHINESE[k] for k in rows[0]])
        writer.writerows([list(r.values()) for r in rows])
    return path


async def _import(monkeypatch, database_url: str, path: Path, language: str = "zh_Hans") -> int:
    argv = ("admin", "import-roster", str(path))
    return await asyncio.to_thread(_cli, monkeypatch, database_url, *argv, language=language)


async def _homes(database_url: str) -> list[tuple[str, str, str, Household]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            found = await session.exec(
                select(col(Building.name), Household)
                .join(Household, col(Household.building_id) == col(Building.id))
                .order_by(col(Household.id))
            )
            return [(b, h.unit, h.room, h) for b, h in found]
    finally:
        await engine.dispose()


async def _count(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return (await session.exec(select(func.count()).select_from(Household))).one()
    finally:
        await engine.dispose()


async def test_a_gbk_csv_saved_by_chinese_excel_with_a_title_row(
    database_url, monkeypatch, tmp_path, capsys
):
    path = _csv(tmp_path / "名册.csv", _sample(), "gbk", title="幸福家园业主名册（2026年11月）")
    assert await _import(monkeypatch, database_url, path) == 0
    assert "60" in capsys.readouterr().out
    homes = await _homes(database_url)
    assert len(homes) == 60 and {b for b, *_ in homes} == {"1栋", "2栋", "3栋"}
    first = homes[0][3]
    assert (homes[0][:3], first.registered_area, first.owner_name) == (
        ("1栋", "1单元", "101"),
        Decimal("89.50"),
        "徐丽",
    )


async def test_a_utf8_csv_with_a_bom_and_english_or_chinese_names(
    database_url, monkeypatch, tmp_path
):
    rows = _sample()
    path = tmp_path / "roster.csv"
    names = ["City", "区县", "Street", "社区", "项目", "楼号", "Unit", "房间号", "层"]
    names += ["建筑面积", "实测面积", "合同面积", "Grid", "业主姓名", "联系电话", "Developer"]
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows([list(r.values()) for r in rows])
    assert await _import(monkeypatch, database_url, path) == 0
    assert await _count(database_url) == 60


def _merged_workbook(rows: list[dict[str, str]], path: Path) -> Path:
    """The office's XLSX: a title row, 位置 and 房屋信息 over their columns, other headings
    spanning both header rows, each building's cells merged down, numbers as numbers."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    fields = list(rows[0])
    sheet.append(["幸福家园业主名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(fields))
    top = ["位置"] * 5 + ["房屋信息"] * 3 + [CHINESE[f] for f in fields[8:]]
    sheet.append([t if i in (0, 5) or i >= 8 else None for i, t in enumerate(top)])
    sheet.append([CHINESE[f] if i < 8 else None for i, f in enumerate(fields)])
    sheet.merge_cells("A2:E2")
    sheet.merge_cells("F2:H2")
    for column in range(9, len(fields) + 1):
        sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    first_of: dict[str, int] = {}
    for number, row in enumerate(rows, start=4):
        values: list[object] = list(row.values())
        values[7] = int(row["room"]) if row["room"] else None
        values[9] = float(row["registered_area"]) if row["registered_area"] else None
        if row["building"] in first_of:
            values[5] = None
        first_of.setdefault(row["building"], number)
        sheet.append(values)
    for building, start in first_of.items():
        end = start + sum(r["building"] == building for r in rows) - 1
        sheet.merge_cells(start_row=start, start_column=6, end_row=end, end_column=6)
    workbook.save(path)
    return path


async def test_an_xlsx_with_title_row_two_row_merged_header_and_merged_buildings(
    database_url, monkeypatch, tmp_path
):
    path = _merged_workbook(_sample(), tmp_path / "名册.xlsx")
    assert await _import(monkeypatch, database_url, path) == 0
    homes = await _homes(database_url)
    assert len(homes) == 60
    assert [b for b, *_ in homes].count("2栋") == 20
    assert homes[20][:3] == ("2栋", "1单元", "101")


async def test_an_empty_room_under_a_merged_building_says_so_and_nothing_is_written(
    database_url, monkeypatch, tmp_path, capsys
):
    rows = _sample()
    rows[1]["room"] = ""  # the second home of 1栋, file row 5; its building cell is merged
    path = _merged_workbook(rows, tmp_path / "名册.xlsx")
    assert await _import(monkeypatch, database_url, path) == 1
    err = capsys.readouterr().err
    assert "第 5 行：房号为空（楼栋单元格是合并的，已按上一行理解）" in err
    assert "没有写入" in err or "未导入" in err
    assert await _count(database_url) == 0


async def test_an_old_xls_with_merged_building_cells(database_url, monkeypatch, tmp_path):
    rows = _sample(20)
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("名册")
    sheet.write_merge(0, 0, 0, len(rows[0]) - 1, "幸福家园 1栋")
    for column, name in enumerate(rows[0]):
        sheet.write(1, column, CHINESE[name])
    for number, row in enumerate(rows, start=2):
        for column, (name, value) in enumerate(row.items()):
            if name == "building" and number > 2:
                continue
            sheet.write(
                number, column, float(value) if name == "registered_area" and value else value
            )
    sheet.merge(2, len(rows) + 1, 5, 5)
    path = tmp_path / "名册.xls"
    workbook.save(str(path))
    assert await _import(monkeypatch, database_url, path) == 0
    homes = await _homes(database_url)
    assert len(homes) == 20 and {b for b, *_ in homes} == {"1栋"}


async def test_full_width_digits_then_the_corrected_file_leave_twenty_households(
    database_url, monkeypatch, tmp_path, capsys
):
    rows = _sample(20)
    wide = [
        {
            k: v.translate(FULL_WIDTH) if k in ("building", "unit", "room") else v
            for k, v in r.items()
        }
        for r in rows
    ]
    wide[0]["room"] = "１０１室"
    wide[1]["unit"] = "１\u3000单元"  # an ideographic space
    assert await _import(monkeypatch, database_url, _csv(tmp_path / "a.csv", wide, "gbk")) == 0
    assert await _count(database_url) == 20
    # what the importer stored before names were normalised: the same home in full width
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE household SET room = '１０１' WHERE room = '101'"))
        await connection.execute(sa.text("UPDATE building SET name = '１栋'"))
    await engine.dispose()
    capsys.readouterr()
    corrected = _csv(tmp_path / "b.csv", rows, "gbk")
    assert await _import(monkeypatch, database_url, corrected, language="en") == 0
    assert "0 new" in capsys.readouterr().out
    homes = await _homes(database_url)
    assert len(homes) == 20
    assert {h[:3] for h in homes} == {(r["building"], r["unit"], r["room"]) for r in rows}


async def test_areas_with_units_are_read_to_two_places(database_url, monkeypatch, tmp_path):
    rows = _sample(6)
    written = ["89.5㎡", "118.36 平方米", "90 m2", "１１８．３６", "75.2平米", "66.60m²"]
    for row, area in zip(rows, written, strict=True):
        row["registered_area"] = area
    assert await _import(monkeypatch, database_url, _csv(tmp_path / "a.csv", rows, "utf-8")) == 0
    areas = [h.registered_area for *_, h in await _homes(database_url)]
    expected = ["89.50", "118.36", "90.00", "118.36", "75.20", "66.60"]
    assert areas == [Decimal(a) for a in expected]


async def test_two_phones_in_one_cell_are_kept_and_the_first_is_the_buyer(
    database_url, monkeypatch, tmp_path
):
    rows = _sample(5)
    cells = [
        "13806480894/13912345678",
        "13806480894，13912345678",
        "13806480894 13912345678",
        "138 0648 0894",
        "027-8888-6666；13912345678",
    ]
    for row, phone in zip(rows, cells, strict=True):
        row["owner_phone"] = phone
    assert await _import(monkeypatch, database_url, _csv(tmp_path / "a.csv", rows, "gbk")) == 0
    stored = [h.owner_phone for *_, h in await _homes(database_url)]
    both = "13806480894/13912345678"
    assert stored == [both, both, both, "13806480894", "02788886666/13912345678"]
    # the headcount: one buyer whether the roster gives one phone or two
    assert len({_identity(phone, set()) for phone in stored[:4]}) == 1


async def test_bad_rows_and_a_missing_column_are_told_in_the_offices_words(
    database_url, monkeypatch, tmp_path, capsys
):
    rows = _sample(30)
    for row in rows[:25]:
        row["registered_area"] = "约九十"
    rows[25]["owner_phone"] = "call me"
    path = _csv(tmp_path / "bad.csv", rows, "gbk", title="名册")
    assert await _import(monkeypatch, database_url, path) == 1
    err = capsys.readouterr().err
    assert "第 3 行：登记面积：“约九十”不是以㎡计的面积（例如 89.5）" in err
    assert "第 22 行" in err and "第 23 行" not in err  # the first 20 problems
    assert "……另有 6 个问题。" in err  # 5 more areas and the phone
    no_room = [{k: v for k, v in r.items() if k != "room"} for r in _sample(3)]
    assert (
        await _import(monkeypatch, database_url, _csv(tmp_path / "c.csv", no_room, "gbk", "名册"))
        == 1
    )
    err = capsys.readouterr().err
    assert "没有找到“房号”列（也可写作 room、房间号、室或门牌号）；表头在第 2 行" in err
    assert await _count(database_url) == 0


async def test_hostile_text_in_names_is_stored_as_written_or_refused_by_length(
    database_url, monkeypatch, tmp_path, capsys
):
    rows = _sample(4)
    for row, text in zip(rows, HOSTILE, strict=True):
        row["owner_name"] = text
    path = _csv(tmp_path / "a.csv", rows, "utf-8")
    assert await _import(monkeypatch, database_url, path) == 1
    assert "第 4 行：业主超过 100 个字" in capsys.readouterr().err
    rows[2]["owner_name"] = "测" * 100
    rows[3]["compound"] = HOSTILE[0]
    assert await _import(monkeypatch, database_url, _csv(path, rows, "utf-8")) == 0
    names = [h.owner_name for *_, h in await _homes(database_url)]
    assert names == [HOSTILE[0], HOSTILE[1], "测" * 100, HOSTILE[3]]
