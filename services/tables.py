"""The one writer of spreadsheets and CSV files (exports, lists, reports).

Every column has a label — a msgid, written in the reader's language — and a kind that decides
how its cells are stored and shown. Text — anything a user, a roster or a bank typed — is always
stored as text: in XLSX as a string cell (never a formula, whatever it starts with), in CSV with
a leading apostrophe when it starts with = + - @ or a control character, so Excel and WPS do not
run it (OWASP "CSV injection"); only a text marked with N_() (a `Msg`) is translated. Numbers are
numbers with a number format: areas in ㎡ to two decimals, money in ¥, shares as percentages;
dates are dates and times are local (the compound's time zone), to the second at most. Yes/no is
written as words of the reader's language. Characters XLSX cannot hold (control codes) are
dropped. The JSON form of a table keeps machine keys and values (a record for programs).
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
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from core.i18n import N_, Msg, Translator

Kind = Literal["text", "int", "number", "area", "money", "percent", "date", "datetime", "bool"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
FORMATS = {
    "int": "#,##0",
    "number": "#,##0.00",
    "area": "0.00",  # ㎡, two decimals
    "money": "¥#,##0.00",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
YES, NO = N_("yes"), N_("no")
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Phrase:
    """A text cell made of a msgid and data: translated, then filled in ("{name}: elected")."""

    msgid: str
    params: dict[str, object]

    def text(self, _: Translator | None = None) -> str:
        """Translated (parameters marked with N_ too), or without a translator the msgid filled
        in as it is (JSON)."""
        if _ is None:
            return self.msgid.format(**self.params)
        params = {k: _.plain(v) if isinstance(v, Msg) else v for k, v in self.params.items()}
        return _.plain(self.msgid).format(**params)


@dataclass(frozen=True)
class Column:
    """A column: its label (a msgid, translated when written), the kind of its cells, and the
    key of its values in JSON (the label when not given)."""

    label: str | Phrase
    kind: Kind = "text"
    key: str = ""

    @property
    def name(self) -> str:
        return self.key or (self.label.text() if isinstance(self.label, Phrase) else self.label)

    def header(self, _: Translator) -> str:
        return self.label.text(_) if isinstance(self.label, Phrase) else _.plain(self.label)


@dataclass(frozen=True)
class Cell:
    """A value with its own kind, in a column whose rows hold figures of different kinds."""

    value: object
    kind: Kind


@dataclass
class Table:
    """Columns and rows; a row holds one value per column (None for an empty cell). The footer
    (a total row, say) is written in bold below the rows, and left out of JSON."""

    columns: Sequence[Column]
    rows: Sequence[Sequence[object]]
    footer: Sequence[object] | None = None
    title: str = ""  # the sheet's title (a msgid); else the key the table is filed under

    def headers(self, _: Translator) -> list[str]:
        return [c.header(_) for c in self.columns]


# Empty columns of a door-to-door list, for writing down each visit (走访日期 / 走访结果 / 备注).
VISIT_COLUMNS = (
    Column(N_("Visit date"), "date"),
    Column(N_("Visit result")),
    Column(N_("Notes")),
)


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """An instant as the local time of the compound, as a table holds it (naive, whole seconds)."""
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)


def text(value: object) -> str:
    """A value as text for a text cell (names, homes, titles, references)."""
    return "" if value is None else ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _cell(value: object, kind: Kind) -> tuple[object, Kind]:
    return (value.value, value.kind) if isinstance(value, Cell) else (value, kind)


def _typed(value: object, kind: Kind, _: Translator) -> object:
    """The value as the cell should hold it (text stays text; a Msg is translated)."""
    if value is None or value == "":
        return None
    if kind == "text":
        if isinstance(value, Phrase):
            return text(value.text(_))
        if isinstance(value, tuple):  # names to list (services.enum_inputs.Choices)
            return text(_.plain(N_(", ")).join(_.plain(v) for v in value)) or None
        return text(_.plain(value) if isinstance(value, Msg) else value)
    if kind == "bool":
        return _.plain(YES if value else NO)
    if kind in ("date", "datetime"):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("datetimes in a table must be local (naive) times")
        if not isinstance(value, date):
            raise TypeError(f"a {kind} cell needs a date, not {value!r}")
        return value.replace(microsecond=0) if isinstance(value, datetime) else value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"a {kind} cell needs a number, not {value!r}")
    return int(value) if kind == "int" else value


def _append(
    sheet: Worksheet, row: Sequence[object], columns: Sequence[Column], _: Translator
) -> None:
    cells = [_cell(v, c.kind) for v, c in zip(row, columns, strict=True)]
    sheet.append([_typed(value, kind, _) for value, kind in cells])
    for cell, (_value, kind) in zip(sheet[sheet.max_row], cells, strict=True):
        if kind in ("text", "bool") and cell.value is not None:
            cell.data_type = "s"  # never a formula, whatever the text starts with
        elif kind in FORMATS:
            cell.number_format = FORMATS[kind]


def xlsx(sheets: dict[str, Table], _: Translator) -> bytes:
    """One sheet per table, titled with the translated key: bold header row, frozen, readable
    widths, the footer in bold."""
    workbook = Workbook()
    for sheet in list(workbook.worksheets):
        workbook.remove(sheet)
    for title, table in sheets.items():
        name = _.plain(table.title or title)
        sheet = workbook.create_sheet(sheet_title(name, len(workbook.worksheets)))
        headers = table.headers(_)
        sheet.append([text(h) for h in headers])
        for cell in sheet[1]:
            cell.font = BOLD
            cell.data_type = "s"
        for row in table.rows:
            _append(sheet, row, table.columns, _)
        if table.footer is not None:
            _append(sheet, table.footer, table.columns, _)
            for cell in sheet[sheet.max_row]:
                cell.font = BOLD
        for index, header in enumerate(headers, start=1):
            cells = [len(header)] + [len(text(r[index - 1])) for r in table.rows[:500]]
            letter = sheet.cell(1, index).column_letter
            sheet.column_dimensions[letter].width = min(max(cells) * 1.6 + 4, 60)
        sheet.freeze_panes = "A2"
    if not workbook.worksheets:  # nothing to list: still a workbook Excel opens
        workbook.create_sheet("Sheet1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(title: str, index: int) -> str:
    """A title Excel accepts: no \\ / ? * [ ] :, at most 31 characters, not empty."""
    cleaned = re.sub(r"[\\/?*\[\]:]", "-", text(title)).strip("'")[:31].strip()
    return cleaned or f"Sheet{index + 1}"


def csv_cell(value: object, kind: Kind, _: Translator) -> str:
    value, kind = _cell(value, kind)
    typed = _typed(value, kind, _)
    if typed is None:
        return ""
    if kind in ("text", "bool"):
        cell = str(typed)
        return "'" + cell if cell.startswith(FORMULA_START) else cell
    if isinstance(typed, datetime):
        return typed.strftime("%Y-%m-%d %H:%M")
    if isinstance(typed, date):
        return typed.isoformat()
    if kind in ("area", "money") and isinstance(typed, Decimal | float):
        return f"{Decimal(str(typed)):.2f}"
    return str(typed)


def csv_text(table: Table, _: Translator) -> str:
    """The table as CSV, with a byte-order mark so Excel reads the Chinese as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h, "text", _) for h in table.headers(_)])
    rows = [*table.rows, *([table.footer] if table.footer is not None else [])]
    for row in rows:
        writer.writerow([csv_cell(v, c.kind, _) for v, c in zip(row, table.columns, strict=True)])
    return "\ufeff" + out.getvalue()


def csv_zip(tables: dict[str, Table], prefix: str, _: Translator) -> bytes:
    """One CSV per table, named by the table's key (file names stay ASCII)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            archive.writestr(f"{prefix}-{name}.csv", csv_text(table, _))
    return buffer.getvalue()


def _plain(value: object) -> object:
    if isinstance(value, Phrase):
        return value.text()
    return value.value if isinstance(value, Cell) else value


def as_json(tables: dict[str, Table]) -> str:
    """The tables as JSON objects with machine keys (the columns' keys; a record for programs,
    not for a spreadsheet: text stays as it was, yes/no as true/false, labels as msgids)."""
    return json.dumps(
        {
            name: [
                {c.name: _plain(v) for c, v in zip(t.columns, row, strict=True)} for row in t.rows
            ]
            for name, t in tables.items()
        },
        ensure_ascii=False,
        indent=1,
        default=str,
    )
