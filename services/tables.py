"""The one writer of spreadsheets and CSV files (exports, lists, reports).

Every cell has a kind. Text — anything a user, a roster or a bank typed — is always stored as
text: in XLSX as a string cell (never a formula, whatever it starts with), in CSV with a leading
apostrophe when it starts with = + - @ or a control character, so Excel and WPS do not run it
(OWASP "CSV injection"). Numbers are numbers with a number format, money has two decimals, dates
are dates. Characters XLSX cannot hold (control codes) are dropped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

Kind = Literal["text", "int", "number", "money", "percent", "date", "datetime", "bool"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
FORMATS = {
    "int": "#,##0",
    "number": "#,##0.00",
    "money": "#,##0.00",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"


@dataclass
class Table:
    """Columns and rows; a row holds one value per column (None for an empty cell)."""

    columns: Sequence[Column]
    rows: Sequence[Sequence[object]]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def text(value: object) -> str:
    """A value as text for a text cell (names, homes, titles, references)."""
    return "" if value is None else ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _typed(value: object, kind: Kind) -> object:
    """The value as the cell should hold it (text stays text)."""
    if value is None or value == "":
        return None
    if kind == "text":
        return text(value)
    if kind == "bool":
        return bool(value)
    if kind in ("date", "datetime"):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("datetimes in a table must be local (naive) times")
        if not isinstance(value, date):
            raise TypeError(f"a {kind} cell needs a date, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"a {kind} cell needs a number, not {value!r}")
    return int(value) if kind == "int" else value


def xlsx(sheets: dict[str, Table]) -> bytes:
    """One sheet per table: bold header row, frozen, readable widths."""
    workbook = Workbook()
    for sheet in list(workbook.worksheets):
        workbook.remove(sheet)
    for title, table in sheets.items():
        sheet = workbook.create_sheet(sheet_title(title, len(workbook.worksheets)))
        sheet.append([text(h) for h in table.headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.data_type = "s"
        for row in table.rows:
            values = [_typed(v, c.kind) for v, c in zip(row, table.columns, strict=True)]
            sheet.append(values)
            for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
                if column.kind == "text" and cell.value is not None:
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                elif column.kind in FORMATS:
                    cell.number_format = FORMATS[column.kind]
        for index, column in enumerate(table.columns, start=1):
            cells = [len(text(column.header))] + [len(text(r[index - 1])) for r in table.rows[:500]]
            letter = sheet.cell(1, index).column_letter
            sheet.column_dimensions[letter].width = min(max(cells) * 1.6 + 4, 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(title: str, index: int) -> str:
    """A title Excel accepts: no \\ / ? * [ ] :, at most 31 characters, not empty."""
    cleaned = re.sub(r"[\\/?*\[\]:]", "-", text(title)).strip("'")[:31].strip()
    return cleaned or f"Sheet{index + 1}"


def csv_cell(value: object, kind: Kind) -> str:
    typed = _typed(value, kind)
    if typed is None:
        return ""
    if kind == "text":
        cell = str(typed)
        return "'" + cell if cell.startswith(FORMULA_START) else cell
    if isinstance(typed, datetime):
        return typed.strftime("%Y-%m-%d %H:%M")
    if isinstance(typed, date):
        return typed.isoformat()
    return str(typed)


def csv_text(table: Table) -> str:
    """The table as CSV, with a byte-order mark so Excel reads the Chinese as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h, "text") for h in table.headers])
    for row in table.rows:
        writer.writerow([csv_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return "\ufeff" + out.getvalue()


def csv_zip(tables: dict[str, Table], prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            archive.writestr(f"{prefix}-{name}.csv", csv_text(table))
    return buffer.getvalue()


def as_json(tables: dict[str, Table]) -> str:
    """The tables as JSON objects (a record, not for a spreadsheet: text stays as it was)."""
    return json.dumps(
        {
            name: [dict(zip(t.headers, row, strict=True)) for row in t.rows]
            for name, t in tables.items()
        },
        ensure_ascii=False,
        indent=1,
        default=str,
    )
