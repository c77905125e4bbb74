"""Reading the files a property office has (CSV from Chinese Excel, XLSX, old XLS, ODS) into
rows of clean text, and finding the header row in them. Knows nothing of rosters or banks: a
caller passes its own column synonyms."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from core.i18n import N_
from services.errors import DomainError
from services.file_limits import FileLimits, check_workbook, too_many_rows, too_wide

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
TEXT_FILES = (".csv", ".txt", ".tsv")
HEADER_SEARCH_ROWS = 30  # title lines above the header: a bank's four, a roster's one or two


@dataclass(frozen=True)
class Row:
    """One row as the office sees it: its number in the file (1 = the first line) and cells."""

    number: int
    cells: tuple[str, ...]
    filled: frozenset[int] = field(default=frozenset(), compare=False)

    def cell(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""

    @property
    def blank(self) -> bool:
        return not any(self.cells)


@dataclass
class Sheet:
    """The rows of a file's first sheet, every cell NFKC-normalised text. A row's `filled`
    holds the columns of cells that were empty in the file and took the value above (a merged
    range, or `fill_down`); `encoding` is the text encoding a CSV was read in."""

    rows: list[Row]
    encoding: str | None = None

    def was_filled(self, row: Row, column: int) -> bool:
        return column in row.filled

    def fill_down(
        self,
        start: int,
        columns: Sequence[int],
        when: Callable[[Row], bool],
        *,
        nested: bool = False,
    ) -> None:
        """`filled_down` on rows[start:], in place."""
        self.rows[start:] = filled_down(self.rows[start:], columns, when, nested=nested)


def filled_down(
    rows: Iterable[Row], columns: Sequence[int], when: Callable[[Row], bool], *, nested: bool
) -> Iterator[Row]:
    """Give an empty cell in `columns` the value above it, in the rows `when` accepts (a CSV
    saved from a sheet with merged-down cells keeps only the top one); a row at a time.
    `nested`: the columns go from the outer place to the inner one, and a value written in
    one starts afresh the columns after it (a new building's blank unit stays blank)."""
    above: dict[int, str] = {}
    for row in rows:
        if row.blank or not when(row):
            above.clear()
            yield row
            continue
        cells = list(row.cells) + [""] * (max(columns, default=-1) + 1 - len(row.cells))
        filled = set(row.filled)
        for place, column in enumerate(columns):
            if cells[column]:
                if nested and above.get(column) != cells[column]:
                    for inner in columns[place + 1 :]:
                        above.pop(inner, None)
                above[column] = cells[column]
            elif column in above:
                cells[column] = above[column]
                filled.add(column)
        yield Row(row.number, tuple(cells), frozenset(filled))


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
        return self.records_of(sheet.rows[self.index + 1 :])

    def records_of(self, rows: Iterable[Row]) -> Iterator[tuple[Row, dict[str, str]]]:
        """The non-blank rows of `rows` (those below the header), with their cells by field."""
        for row in rows:
            if not row.blank:
                yield row, {name: row.cell(column) for name, column in self.columns.items()}


def clean(value: str) -> str:
    """NFKC (full-width digits and letters, the ideographic space, ㎡ → m2), trimmed, inner
    runs of white space made one space."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def read_rows(data: bytes, filename: str, limits: FileLimits | None = None) -> Sheet:
    """The first sheet of a CSV (UTF-8 with or without BOM, GBK/GB18030, or what
    charset-normalizer recognises), XLSX, XLS or ODS file, as rows of clean text."""
    rows, encoding = stream_rows(data, filename, limits)
    return Sheet(_trimmed(list(rows)), encoding=encoding)


def stream_rows(
    data: bytes, filename: str, limits: FileLimits | None = None
) -> tuple[Iterator[Row], str | None]:
    """The rows of the first sheet one at a time (merged ranges read as their top-left cell),
    and a CSV's encoding. A file over `limits` is refused before its rows are read (its size,
    a spreadsheet's packed sizes and used area) or at the first row past the cap."""
    limits = limits or FileLimits()
    limits.check_size(len(data))
    suffix = PurePath(filename).suffix.lower()
    if suffix in TEXT_FILES:
        if data.count(b"\n") >= limits.max_rows:  # lines ≥ rows: only then are rows counted
            _count_rows(data, limits)
        encoding = _encoding(data)
        return _capped(_text_rows(data, encoding), limits), encoding
    if suffix in SPREADSHEETS:
        return _capped(_workbook_rows(data, suffix, limits), limits), None
    raise DomainError(
        N_("Unsupported file type {suffix}; use .csv, .xlsx, .xls or .ods."), suffix=suffix or "-"
    )


def _capped(rows: Iterator[Row], limits: FileLimits) -> Iterator[Row]:
    """The rows, refused at the first one past the row cap (its line number: title rows count),
    and at one wider than the column cap."""
    for row in rows:
        if row.number > limits.max_rows:
            raise too_many_rows(limits)
        if len(row.cells) > limits.max_columns:
            raise too_wide(row.number, limits)
        yield row


_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def _encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) strictly first, then GB18030 (a superset of GBK and GB2312,
    what Chinese Excel saves), then charset-normalizer's guess; checked a megabyte at a time so
    a large file is not held twice as text."""
    if data.startswith(_UTF16):
        return "utf-16"  # Excel's "Unicode text"
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(data, encoding):
            return encoding
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DomainError(
            N_("The file's text encoding could not be recognised; save it as CSV UTF-8.")
        )
    return str(best.encoding)


def _decodes(data: bytes, encoding: str, chunk: int = 1 << 20) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(view[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _count_rows(data: bytes, limits: FileLimits) -> None:
    """Refuse a CSV past the row cap before its encoding is checked or a row is cleaned (a
    quoted cell may hold line breaks, so its lines are read as CSV), stopping at the first row
    past the cap. Read as Latin-1, UTF-8, GBK and GB18030 alike: none of their multi-byte
    characters contains the bytes of a quote, a comma, a tab, a semicolon or a line break."""
    encoding = "utf-16" if data.startswith(_UTF16) else "latin-1"
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    reader = csv.reader(text, delimiter=_delimiter(data, encoding))
    try:
        for number, _ in enumerate(reader, 1):
            if number > limits.max_rows:
                raise too_many_rows(limits)
    except csv.Error:
        return  # told with its line number when the rows are read


def _text_rows(data: bytes, encoding: str) -> Iterator[Row]:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    reader = csv.reader(text, delimiter=_delimiter(data, encoding))
    try:
        for number, cells in enumerate(reader, 1):
            yield Row(number, _strip_end(tuple(clean(c) for c in cells)))
    except csv.Error as error:  # a field past csv's limit (128 KB): no office table has one
        raise DomainError(
            N_("Line {row} of the file could not be read: {reason}"),
            row=reader.line_num,
            reason=str(error)[:200],
        ) from error


def _delimiter(data: bytes, encoding: str) -> str:
    """Comma, unless the first lines have more tabs or semicolons (bank and "text" exports)."""
    head = data[: 1 << 16].decode(encoding, errors="ignore")
    sample = "\n".join(head.splitlines()[:40])
    return max((",", "\t", ";"), key=sample.count) if sample else ","


def _workbook_rows(data: bytes, suffix: str, limits: FileLimits) -> Iterator[Row]:
    """The first sheet's rows through calamine, after the packed sizes and the used area were
    checked (calamine makes the used area one dense block: a cell at row 1,048,576 would
    allocate a million rows before the first is read)."""
    from python_calamine import CalamineWorkbook

    check_workbook(data, suffix, limits)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as error:  # calamine raises its own errors for every kind of damage
        raise _unreadable(error) from error
    top, left = sheet.start or (0, 0)
    if top + sheet.height > limits.max_rows:  # .xls, .xlsb: known only once opened (65,536 rows)
        raise too_many_rows(limits)
    merged = [(t, lt, b, r) for (t, lt), (b, r) in sheet.merged_cell_ranges or ()]
    before = ("",) * left  # calamine's rows start at the first column used; the file's at A
    try:
        values = sheet.iter_rows()
        rows = (
            Row(n, _strip_end(before + tuple(clean(_cell_text(v)) for v in cells)))
            for n, cells in enumerate(values, 1)
        )
        yield from _merged_filled(rows, merged)
    except DomainError:
        raise
    except Exception as error:
        raise _unreadable(error) from error


def _unreadable(error: Exception) -> DomainError:
    return DomainError(N_("The spreadsheet could not be read: {reason}"), reason=str(error)[:200])


def _merged_filled(
    rows: Iterable[Row], ranges: Sequence[tuple[int, int, int, int]]
) -> Iterator[Row]:
    """Every cell of a merged range (first row, first column, last row, last column; 0-based)
    reads as its top-left cell (the only one with a value); a row at a time."""
    starting: dict[int, list[tuple[int, int, int, int]]] = {}
    for merged in ranges:
        starting.setdefault(merged[0] + 1, []).append(merged)
    open_ranges: list[tuple[tuple[int, int, int, int], str]] = []
    for row in rows:
        open_ranges = [(r, v) for r, v in open_ranges if r[2] + 1 >= row.number]
        open_ranges += [(r, row.cell(r[1])) for r in starting.pop(row.number, ())]
        if not open_ranges:
            yield row
            continue
        width = max(r[3] for r, _ in open_ranges) + 1
        cells = list(row.cells) + [""] * (width - len(row.cells))
        filled = set(row.filled)
        for (top, left, _bottom, right), value in open_ranges:
            for column in range(left, right + 1):
                if not cells[column] and value:
                    cells[column] = value
                    if (row.number, column) != (top + 1, left):
                        filled.add(column)
        yield Row(row.number, _strip_end(tuple(cells)), frozenset(filled))


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
    """The rows without the empty rows at the end."""
    while rows and rows[-1].blank:
        rows.pop()
    return rows


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
