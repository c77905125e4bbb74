"""The office-file reader: encodings, title rows, merged headers and cells, NFKC."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from services.office_files import find_header, read_rows

SYNONYMS = {"building": ["楼栋"], "unit": ["单元"], "room": ["房号", "房间号"], "owner": ["业主"]}


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def test_csv_in_gbk_and_utf8_with_bom_read_alike():
    rows = [["楼栋", "单元", "房号", "业主"], ["１栋", "1单元", "１０１", "徐\u3000丽"]]
    gbk, bom = read_rows(_csv(rows, "gbk"), "a.csv"), read_rows(_csv(rows, "utf-8-sig"), "b.CSV")
    assert gbk.encoding == "gb18030" and bom.encoding == "utf-8-sig"
    assert gbk.rows == bom.rows
    assert gbk.rows[1].cells == ("1栋", "1单元", "101", "徐 丽")


def test_the_header_is_found_below_title_rows_and_a_merged_group_heading():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["幸福家园业主名册"])
    sheet.merge_cells("A1:D1")
    sheet.append(["房屋信息", None, None, "业主"])
    sheet.merge_cells("A2:C2")
    sheet.append(["楼栋", "单元", "房间号"])
    sheet.append(["1栋", "1单元", 101.0, "徐丽"])
    sheet.append([None, "1单元", 102, "高静"])
    sheet.merge_cells("A4:A5")
    data = io.BytesIO()
    workbook.save(data)
    read = read_rows(data.getvalue(), "roster.xlsx")
    header = find_header(read.rows, SYNONYMS, ["building", "room"])
    assert (header.number, header.missing) == (3, [])
    assert header.columns == {"building": 0, "unit": 1, "room": 2, "owner": 3}
    records = [(row.number, record) for row, record in header.records(read)]
    assert records[1] == (5, {"building": "1栋", "unit": "1单元", "room": "102", "owner": "高静"})
    assert read.was_filled(read.rows[4], 0) and not read.was_filled(read.rows[3], 0)


def test_a_table_that_starts_below_and_right_of_a1_keeps_its_row_and_column_numbers():
    workbook = Workbook()
    sheet = workbook.active
    sheet["C2"] = "名册"
    for row in (["楼栋", "房号"], ["1栋", "101"], [None, "102"]):
        sheet.append([None, None, *row])
    sheet.merge_cells("C4:C5")
    data = io.BytesIO()
    workbook.save(data)
    read = read_rows(data.getvalue(), "roster.xlsx")
    assert [(row.number, row.cells) for row in read.rows[1:]] == [
        (2, ("", "", "名册")),
        (3, ("", "", "楼栋", "房号")),
        (4, ("", "", "1栋", "101")),
        (5, ("", "", "1栋", "102")),
    ]
    assert read.was_filled(read.rows[4], 2)


def test_blank_cells_under_a_filled_one_can_be_filled_down_in_a_csv():
    rows = [["楼栋", "房号"], ["1栋", "101"], ["", "102"], [], ["", "103"]]
    read = read_rows(_csv(rows, "utf-8"), "a.csv")
    read.fill_down(1, [0], when=lambda row: bool(row.cell(1)))
    assert [r.cells for r in read.rows[1:]] == [("1栋", "101"), ("1栋", "102"), (), ("", "103")]
    assert read.was_filled(read.rows[2], 0)


def test_missing_required_columns_are_listed_with_the_header_row():
    read = read_rows(_csv([["说明"], ["楼栋", "业主"], ["1栋", "x"]], "gbk"), "a.csv")
    header = find_header(read.rows, SYNONYMS, ["building", "room"])
    assert (header.number, header.missing) == (2, ["room"])
