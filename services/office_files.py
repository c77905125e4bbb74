"""Reading the files a property office has (CSV from Chinese Excel, XLSX, old XLS, ODS) into
rows of clean text, and finding the header row in them. Knows nothing of rosters or banks: a
caller passes its own column synonyms."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from core.i18n import N_
from services.errors import DomainError

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
TEXT_FILES = (".csv", ".txt", ".tsv")
HEADER_SEARCH_ROWS = 30  # title lines above the header: a bank's four, a roster's one or two


@dataclass(frozen=True)
class Row:
    """One row as the office sees it: its number in the file (1 = the first line) and cells."""

    number: int
    cells: tuple[str, ...]

    def cell(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""

    @property
    def blank(self) -> bool:
        return not any(self.cells)


@dataclass
class Sheet:
    """The rows of a file's first sheet, every cell NFKC-normalised text. `filled` holds the
    (row number, column index) of cells that were empty in the file and took the value above
    (a merged range, or `fill_down`); `encoding` is the text encoding a CSV was read in."""

    rows: list[Row]
    encoding: str | None = None
    filled: set[tuple[int, int]] = field(default_factory=set)

    def was_filled(self, row: Row, column: int) -> bool:
        return (row.number, column) in self.filled

    def fill_down(
        self,
        start: int,
        columns: Sequence[int],
        when: Callable[[Row], bool],
        *,
        nested: bool = False,
    ) -> None:
        """Give an empty cell in `columns` the value above it, from rows[start] on, in the rows
        `when` accepts (a CSV saved from a sheet with merged-down cells keeps only the top one).
        `nested`: the columns go from the outer place to the inner one, and a value written in
        one starts afresh the columns after it (a new building's blank unit stays blank)."""
        above: dict[int, str] = {}
        for position in range(start, len(self.rows)):
            row = self.rows[position]
            if row.blank or not when(row):
                above.clear()
                continue
            cells = list(row.cells) + [""] * (max(columns, default=-1) + 1 - len(row.cells))
            for place, column in enumerate(columns):
                if cells[column]:
                    if nested and above.get(column) != cells[column]:
                        for inner in columns[place + 1 :]:
                            above.pop(inner, None)
                    above[column] = cells[column]
                elif column in above:
                    cells[column] = above[column]
                    self.filled.add((row.number, column))
            self.rows[position] = Row(row.number, tuple(cells))


@dataclass(frozen=True)
class Header:
    """Where the header is: rows[index] is its last row (data follow), `number` its line in the
    file; `columns` maps each field found to its column; `missing` lists required fields not
    found (in the order given)."""

    index: int
    number: int
    columns: dict[str, int]
    missing: list[str]

    def records(self, sheet: Sheet) -> Iterator[tuple[Row, dict[str, str]]]:
        """The non-blank rows below the header, each with its cells by field."""
        for row in sheet.rows[self.index + 1 :]:
            if not row.blank:
                yield row, {name: row.cell(column) for name, column in self.columns.items()}


def clean(value: str) -> str:
    """NFKC (full-width digits and letters, the ideographic space, ㎡ → m2), trimmed, inner
    runs of white space made one space."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def read_rows(data: bytes, filename: str) -> Sheet:
    """The first sheet of a CSV (UTF-8 with or without BOM, GBK/GB18030, or what
    charset-normalizer recognises), XLSX, XLS or ODS file, as rows of clean text."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in TEXT_FILES:
        return _read_text(data)
    if suffix in SPREADSHEETS:
        return _read_workbook(data, suffix)
    raise DomainError(
        N_("Unsupported file type {suffix}; use .csv, .xlsx, .xls or .ods."), suffix=suffix or "-"
    )


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding: UTF-8 (with or without BOM) strictly first, then GB18030 (a
    superset of GBK and GB2312, what Chinese Excel saves), then charset-normalizer's guess."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"  # Excel's "Unicode text"
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DomainError(
            N_("The file's text encoding could not be recognised; save it as CSV UTF-8.")
        )
    return str(best), best.encoding


def _read_text(data: bytes) -> Sheet:
    text, encoding = decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [Row(number, tuple(clean(c) for c in cells)) for number, cells in enumerate(reader, 1)]
    return Sheet(_trimmed(rows), encoding=encoding)


def _delimiter(text: str) -> str:
    """Comma, unless the first lines have more tabs or semicolons (bank and "text" exports)."""
    sample = "\n".join(text.splitlines()[:40])
    return max((",", "\t", ";"), key=sample.count) if sample else ","


def _read_workbook(data: bytes, suffix: str) -> Sheet:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own errors for every kind of damage
        raise DomainError(
            N_("The spreadsheet could not be read: {reason}"), reason=str(error)[:200]
        ) from error
    rows = [Row(n, tuple(clean(_cell_text(v)) for v in cells)) for n, cells in enumerate(values, 1)]
    result = Sheet(_trimmed(rows))
    _fill_merged(result, _merged_ranges(sheet, data, suffix))
    return result


def _merged_ranges(sheet: object, data: bytes, suffix: str) -> list[tuple[int, int, int, int]]:
    """Merged ranges as (first row, first column, last row, last column), 0-based."""
    ranges = getattr(sheet, "merged_cell_ranges", None)
    if ranges:
        return [(top, left, bottom, right) for (top, left), (bottom, right) in ranges]
    if suffix not in (".xlsx", ".xlsm"):
        return []
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), data_only=True)
    try:
        merged = workbook.worksheets[0].merged_cells.ranges
        return [(r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1) for r in merged]
    finally:
        workbook.close()


def _fill_merged(sheet: Sheet, ranges: Sequence[tuple[int, int, int, int]]) -> None:
    """Every cell of a merged range reads as its top-left cell (the only one with a value)."""
    by_number = {row.number: position for position, row in enumerate(sheet.rows)}
    for top, left, bottom, right in ranges:
        first = by_number.get(top + 1)
        if first is None:
            continue
        value = sheet.rows[first].cell(left)
        for number in range(top + 1, bottom + 2):
            position = by_number.get(number)
            if position is None:
                continue
            row = sheet.rows[position]
            cells = list(row.cells) + [""] * (right + 1 - len(row.cells))
            for column in range(left, right + 1):
                if not cells[column] and value:
                    cells[column] = value
                    if (number, column) != (top + 1, left):
                        sheet.filled.add((number, column))
            sheet.rows[position] = Row(number, tuple(cells))


def _cell_text(value: object) -> str:
    """A cell as the office typed it: 101 not 101.0, dates as 2026-11-05."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _trimmed(rows: list[Row]) -> list[Row]:
    """Rows without the empty cells at their ends, and without the empty rows at the end."""
    trimmed = [Row(r.number, _strip_end(r.cells)) for r in rows]
    while trimmed and trimmed[-1].blank:
        trimmed.pop()
    return trimmed


def _strip_end(cells: tuple[str, ...]) -> tuple[str, ...]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


# "面积(m2)", "*房号", "Owner Phone", "owner_phone" and "房号（必填）" all read by their words.
_BRACKETS = re.compile(r"[(\[【<].*?[)\]】>]")
_NOISE = re.compile(r"[\s_\-*:：.]+")


def header_key(text: str) -> str:
    return _NOISE.sub("", clean(text).casefold())


def _keys(text: str) -> set[str]:
    """A header cell's keys: its words with and without a bracketed unit or note."""
    return {k for k in (header_key(text), header_key(_BRACKETS.sub("", clean(text)))) if k}


def _lookup(synonyms: Mapping[str, Sequence[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, words in synonyms.items():
        for word in (name, *words):
            for key in _keys(word):
                table.setdefault(key, name)
    return table


def find_header(
    rows: Sequence[Row], synonyms: Mapping[str, Sequence[str]], required: Sequence[str]
) -> Header:
    """The header row among the first rows (title rows above it are skipped): the row, or two
    rows read together (a merged group heading such as 房屋信息 above 楼栋/单元/房号), that
    names the most required fields, then the most fields. `synonyms` maps each field to the
    names an office may give its column (Chinese and English); the field's own name counts."""
    table = _lookup(synonyms)
    best: Header | None = None
    best_score = (-1, -1)
    for index in range(min(len(rows), HEADER_SEARCH_ROWS)):
        candidates = [list(rows[index].cells)]
        if index + 1 < len(rows):
            candidates.append(_stacked(rows[index].cells, rows[index + 1].cells))
        for offset, names in enumerate(candidates):
            columns = _columns(names, table)
            score = (sum(f in columns for f in required), len(columns))
            if score > best_score:
                last = index + offset
                missing = [f for f in required if f not in columns]
                best, best_score = Header(last, rows[last].number, columns, missing), score
    if best is None or best_score[1] == 0:  # nothing looks like a header: the first line
        first = next((i for i, row in enumerate(rows) if not row.blank), 0)
        number = rows[first].number if rows else 1
        return Header(first, number, {}, list(required))
    return best


def _stacked(top: Sequence[str], below: Sequence[str]) -> list[str]:
    """Two header rows read as one: the lower name where there is one, else the upper one (a
    column such as 业主 whose heading spans both rows)."""
    width = max(len(top), len(below))
    return [
        (below[i] if i < len(below) and below[i] else "") or (top[i] if i < len(top) else "")
        for i in range(width)
    ]


def _columns(names: Sequence[str], table: Mapping[str, str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for column, name in enumerate(names):
        field_name = next((table[k] for k in _keys(name) if k in table), None)
        if field_name is not None and field_name not in columns:
            columns[field_name] = column
    return columns
