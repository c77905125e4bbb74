"""Files too big to import (IMPORT_MAX_ROWS, IMPORT_MAX_MB) are refused, with the cap named,
before they are parsed: a CSV past the row cap, a spreadsheet whose cells reach row 1,048,576,
a zip bomb, an ODS row repeated a million times; a roster or a bank statement alike."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from services.bank_statements import read_statement
from services.errors import DomainError
from services.file_limits import FileLimits
from services.office_files import read_rows
from tests.test_cli import _cli
from tests.test_roster_files import CHINESE, _count, _sample

SMALL = FileLimits(max_rows=100)
HEADER = list(CHINESE.values())


def _error(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    error = caught.value
    return error.msgid.format(**error.params)


def _roster_csv(rows: int, tail: str = "") -> bytes:
    """A GBK roster of `rows` homes (the sample's first home over and over) and, after it,
    `tail` as it is."""
    home = list(_sample(1)[0].values())
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows([[*home[:7], str(100 + n), *home[8:]] for n in range(rows)])
    return (buffer.getvalue() + tail).encode("gbk")


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _xlsx(sheet_xml=None, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A two-row workbook from openpyxl; `sheet_xml` rewrites its sheet's XML."""
    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.append(["楼栋", "房号"])
    sheet.append(["1栋", "101"])
    saved = io.BytesIO()
    workbook.save(saved)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for member in source.infolist():
            body = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml" and sheet_xml:
                body = sheet_xml(body.decode()).encode()
            target.writestr(member.filename, body)
        for name, body in (extra or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def _ods(rows_xml: str) -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        mimetype = "application/vnd.oasis.opendocument.spreadsheet"
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type='
            '"text/xml"/></manifest:manifest>',
        )
    return out.getvalue()


def _ods_row(*texts: str, repeated: int = 1) -> str:
    cells = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>'
        for t in texts
    )
    return f'<table:table-row table:number-rows-repeated="{repeated}">{cells}</table:table-row>'


def test_a_csv_past_the_row_cap_is_refused_before_the_rest_is_read():
    # what lies after row 101 would be an error of its own (a 200 KB field) if it were read
    data = _roster_csv(500, tail='"' + "x" * 200_000 + '"\r\n')
    assert "Line 502" in _error(lambda: read_rows(data, "a.csv"))  # read whole: the tail fails
    said = _error(lambda: read_rows(data, "a.csv", SMALL))
    assert said.startswith("The file has more than 100 rows (IMPORT_MAX_ROWS)")
    assert len(read_rows(_roster_csv(99), "a.csv", SMALL).rows) == 100  # the header counts


def test_rows_are_counted_as_csv_rows_in_every_encoding():
    utf16 = _roster_csv(150).decode("gbk").encode("utf-16")
    assert _error(lambda: read_rows(utf16, "a.csv", SMALL)).startswith("The file has more than")
    notes = "楼栋,备注\r\n" + "".join(f'{n}栋,"第一行\r\n第二行"\r\n' for n in range(90))
    read = read_rows(notes.encode("gbk"), "a.csv", SMALL)  # 181 lines, 91 rows
    assert len(read.rows) == 91 and read.rows[1].cells == ("0栋", "第一行 第二行")


def test_a_sheet_claiming_every_cell_is_read_by_the_cells_it_has():
    claims = _xlsx(lambda xml: xml.replace('ref="A1:B2"', 'ref="A1:XFD1048576"'))
    assert len(claims) < 6000
    assert [row.cells for row in read_rows(claims, "a.xlsx").rows] == [
        ("楼栋", "房号"),
        ("1栋", "101"),
    ]


def test_a_small_xlsx_with_a_cell_at_the_last_row_or_column_is_refused_unopened():
    # calamine would allocate the whole used area (1,048,576 × 16,384 cells) before reading
    last_row = _xlsx(
        lambda xml: (
            xml.replace('r="2"', 'r="1048576"')
            .replace('r="A2"', 'r="A1048576"')
            .replace('r="B2"', 'r="B1048576"')
        )
    )
    assert len(last_row) < 6000
    said = _error(lambda: read_rows(last_row, "roster.xlsx"))
    assert said.startswith("The file has more than 50000 rows (IMPORT_MAX_ROWS)")
    last_column = _xlsx(lambda xml: xml.replace('r="B2"', 'r="XFD2"'))
    said = _error(lambda: read_rows(last_column, "roster.xlsx"))
    assert said.startswith("Row 2 has cells beyond column 100")


def test_a_zip_bomb_is_refused_by_its_packing_before_it_is_unpacked():
    padding = " " * 30_000_000  # packs about 1000 to 1
    bomb = _xlsx(lambda xml: xml.replace("<sheetData>", padding + "<sheetData>"))
    assert len(bomb) < 100_000
    said = _error(lambda: read_rows(bomb, "roster.xlsx"))
    assert "packed" in said and "to 1 (an office file packs less than 100 to 1)" in said
    too_big = _xlsx(extra={"xl/media/filler.bin": bytes(range(256)) * 80_000})  # 20 MB
    said = _error(lambda: read_rows(too_big, "roster.xlsx", SMALL))
    assert said.startswith("The spreadsheet unpacks to more than 16 MB")


def test_an_ods_row_repeated_a_million_times_is_refused_and_empty_trailing_rows_are_not():
    bomb = _ods(_ods_row("楼栋", "房号") + _ods_row("1栋", repeated=1_000_000))
    assert _error(lambda: read_rows(bomb, "a.ods")).startswith("The file has more than 50000")
    trailing = '<table:table-row table:number-rows-repeated="1048570"><table:table-cell/></table:table-row>'
    fine = _ods(_ods_row("楼栋", "房号") + _ods_row("1栋", "101") + trailing)
    assert [row.cells for row in read_rows(fine, "a.ods").rows][1] == ("1栋", "101")


def test_a_csv_row_wider_than_the_column_cap_is_refused():
    wide = "楼栋,房号\r\n1栋,101" + ",x" * 150
    said = _error(lambda: read_rows(wide.encode("gbk"), "a.csv"))
    assert said.startswith("Row 2 has cells beyond column 100")
    padded = "楼栋,房号\r\n1栋,101" + "," * 5000  # Excel's empty cells at a row's end
    assert read_rows(padded.encode("gbk"), "a.csv").rows[1].cells == ("1栋", "101")


def test_a_file_past_the_size_cap_is_refused_unread():
    data = _roster_csv(10)
    said = _error(lambda: read_rows(data * 2_000, "a.csv", FileLimits(max_mb=1)))
    assert said.startswith("The file is larger than 1 MB (IMPORT_MAX_MB)")


def test_bank_statements_get_the_same_caps():
    today = date(2026, 12, 1)
    lines = ["交易日期,贷方发生额,对方户名,交易流水号"]
    lines += [f"2026-11-05,100.00,徐丽,S{n}" for n in range(200)]
    statement = "\r\n".join(lines).encode("gbk")
    said = _error(lambda: read_statement(statement, "icbc.csv", today=today, limits=SMALL))
    assert said.startswith("The file has more than 100 rows")
    assert len(read_statement(statement, "icbc.csv", today=today).transfers) == 200
    bomb = _xlsx(lambda xml: xml.replace("<sheetData>", " " * 30_000_000 + "<sheetData>"))
    assert "packed" in _error(lambda: read_statement(bomb, "ccb.xlsx", today=today))


async def test_the_command_line_says_the_cap_in_one_line_and_writes_nothing(
    database_url, monkeypatch, tmp_path, capsys
):
    path = _file(tmp_path / "district.csv", _roster_csv(150))
    monkeypatch.setenv("IMPORT_MAX_ROWS", "100")
    argv = ("admin", "import-roster", str(path))
    assert await asyncio.to_thread(_cli, monkeypatch, database_url, *argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "The file has more than 100 rows (IMPORT_MAX_ROWS); nothing was imported. "
        "Split it, or raise the setting."
    ]
    assert await _count(database_url) == 0
    monkeypatch.setenv("IMPORT_MAX_ROWS", "200")
    assert await asyncio.to_thread(_cli, monkeypatch, database_url, *argv) == 0
    assert await _count(database_url) == 150
    monkeypatch.setenv("IMPORT_MAX_MB", "1")
    big = _file(tmp_path / "big.csv", _roster_csv(150) * 200)
    argv = ("admin", "import-payments", str(big))
    assert await asyncio.to_thread(_cli, monkeypatch, database_url, *argv) == 1
    assert "larger than 1 MB (IMPORT_MAX_MB)" in capsys.readouterr().err


async def test_a_file_with_thousands_of_bad_rows_tells_the_first_and_counts_the_rest(
    database_url, monkeypatch, tmp_path, capsys
):
    rows = _sample(1)
    rows[0]["registered_area"] = "约九十"
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([HEADER] + [list(rows[0].values())] * 3000)  # 3000 bad areas
    path = _file(tmp_path / "bad.csv", buffer.getvalue().encode("gbk"))
    argv = ("admin", "import-roster", str(path))
    assert await asyncio.to_thread(_cli, monkeypatch, database_url, *argv) == 1
    err = capsys.readouterr().err
    assert "Row 2:" in err and "Row 21:" in err and "Row 22:" not in err
    assert "…and 2980 more problems." in err
