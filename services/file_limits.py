"""How big an office file may be (IMPORT_MAX_ROWS, IMPORT_MAX_MB), and the checks that refuse
a bigger one before it is parsed: its size, a spreadsheet's packed sizes and packing ratio
(a zip bomb), and the rows and columns its first sheet really uses (not what it declares)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from posixpath import join, normpath
from typing import IO, TYPE_CHECKING

from core.i18n import N_
from services.errors import DomainError

if TYPE_CHECKING:
    from core.settings import Settings

MB = 1 << 20
UNPACKED_PER_ROW = 2048  # a roster row is some twenty cells of XML; bank rows fewer
MOST_RATIO = 100  # office XML packs 5–20 to 1; a zip bomb packs up to 1032 to 1
RATIO_FROM = MB  # small members (styles, themes) may pack tighter without harm
MOST_MEMBERS = 10_000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileLimits:
    """Rows per file (title and header rows count: the line number of the last row), the file's
    size, and columns per row. The default 50,000 rows is ten times a large compound and
    covers a street's whole roster; a district-wide file needs IMPORT_MAX_ROWS raised."""

    max_rows: int = 50_000
    max_mb: int = 20
    max_columns: int = 100

    @classmethod
    def of(cls, settings: Settings) -> FileLimits:
        return cls(max_rows=settings.import_max_rows, max_mb=settings.import_max_mb)

    @property
    def max_bytes(self) -> int:
        return self.max_mb * MB

    @property
    def max_unpacked(self) -> int:
        """What a spreadsheet may unpack to in all: 2 KB a row, at least 16 MB."""
        return max(self.max_rows * UNPACKED_PER_ROW, 16 * MB)

    def check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise DomainError(
                N_(
                    "The file is larger than {limit} MB (IMPORT_MAX_MB); it was not read. "
                    "Split it, or raise the setting."
                ),
                limit=self.max_mb,
            )


def too_many_rows(limits: FileLimits) -> DomainError:
    return DomainError(
        N_(
            "The file has more than {limit} rows (IMPORT_MAX_ROWS); nothing was imported. "
            "Split it, or raise the setting."
        ),
        limit=limits.max_rows,
    )


def too_wide(row: int, limits: FileLimits) -> DomainError:
    return DomainError(
        N_(
            "Row {row} has cells beyond column {limit}; delete what lies far to the right of "
            "the table and save the file again."
        ),
        row=row,
        limit=limits.max_columns,
    )


def check_workbook(data: bytes, suffix: str, limits: FileLimits) -> None:
    """Refuse a spreadsheet that unpacks past the limits or whose first sheet uses more rows
    or columns than allowed, reading its XML a megabyte at a time. An .xls has no zip (its
    format stops at 65,536 rows); it is checked by its size and, once opened, its height."""
    if suffix == ".xls" or not zipfile.is_zipfile(BytesIO(data)):
        return
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            _check_members(archive, limits)
            if suffix in (".xlsx", ".xlsm"):
                _check_xlsx_sheet(archive, limits)
                _read_through(archive, "xl/sharedStrings.xml")
            elif suffix == ".ods":
                _check_ods_table(archive, limits)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:  # damaged or lying sizes
        raise DomainError(
            N_("The spreadsheet could not be read: {reason}"), reason=str(error)[:200]
        ) from error


def _read_through(archive: zipfile.ZipFile, name: str) -> None:
    """Unpack a member to its end, a megabyte at a time: one that unpacks to more than it
    declares stops at the declared size and fails its checksum (BadZipFile)."""
    if name in archive.namelist():
        with archive.open(name) as stream:
            while stream.read(_CHUNK):
                pass


def _check_members(archive: zipfile.ZipFile, limits: FileLimits) -> None:
    members = archive.infolist()
    unpacked = sum(member.file_size for member in members)
    if len(members) > MOST_MEMBERS or unpacked > limits.max_unpacked:
        raise DomainError(
            N_(
                "The spreadsheet unpacks to more than {limit} MB (2 KB a row of IMPORT_MAX_ROWS); "
                "it was not opened."
            ),
            limit=limits.max_unpacked // MB,
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FROM and ratio > MOST_RATIO:
            raise DomainError(
                N_(
                    "The spreadsheet is packed {ratio} to 1 (an office file packs less than "
                    "{limit} to 1); it was not opened."
                ),
                ratio=int(ratio),
                limit=MOST_RATIO,
            )


# XLSX: the first <sheet> of the workbook, its target in the relationships, and in the sheet
# the row and cell references (a row without r= is the one after the previous row).
_FIRST_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\b\w+:id=\"([^\"]+)\"")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb"\b(Id|Target)=\"([^\"]*)\"")
_SHEET_ITEMS = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_REF = re.compile(rb"\br=\"\$?([A-Z]{1,3})?\$?([0-9]{1,9})?\"")


def _check_xlsx_sheet(archive: zipfile.ZipFile, limits: FileLimits) -> None:
    """The rows and columns the first sheet's cells use, counted as its XML streams past; the
    declared <dimension> (A1:XFD1048576 in some files) is not trusted."""
    path = _first_sheet_path(archive)
    if path is None:
        return
    row = 0
    with archive.open(path) as stream:
        for kind, attributes in _items(stream):
            found = _REF.search(attributes)
            if kind == b"row":
                number = int(found.group(2)) if found and found.group(2) else row + 1
                row = number
                if row > limits.max_rows:
                    raise too_many_rows(limits)
            elif kind == b"c":
                if found and found.group(1) and _column(found.group(1)) > limits.max_columns:
                    raise too_wide(int(found.group(2) or row), limits)


def _items(stream: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(element name, attributes) of the sheet's <row> and <c> tags, a chunk at a
    time; a tag cut by the chunk's end is read with the next chunk."""
    rest = b""
    while True:
        chunk = stream.read(_CHUNK)
        text = rest + chunk
        cut = text.rfind(b"<") if chunk else len(text)
        for found in _SHEET_ITEMS.finditer(text, 0, cut):
            yield found.group(1), found.group(2)
        if not chunk:
            return
        rest = text[cut:]
        if len(rest) > _CHUNK:  # one tag a megabyte long: no spreadsheet writes that
            raise ValueError("a tag longer than 1 MB")


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        return None
    workbook = archive.read("xl/workbook.xml")  # small: sheet names and defined names
    first = _FIRST_SHEET.search(workbook)
    relationships = "xl/_rels/workbook.xml.rels"
    if first is None or relationships not in names:
        return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else None
    for tag in _RELATIONSHIP.findall(archive.read(relationships)):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get(b"Id") == first.group(1):
            target = attributes.get(b"Target", b"").decode()
            path = target.lstrip("/") if target.startswith("/") else join("xl", target)
            path = normpath(path)
            return path if path in names else None
    return None


# ODS: rows of the first table and their repeat counts; a run of empty rows (LibreOffice ends
# a sheet with a million of them) counts only when a row with text follows it.
_ODS_ITEMS = re.compile(
    rb"<table:table-row\b([^>]*?)(/?)>|</table:table-row>|<table:table-cell\b([^>]*?)(/?)>"
    rb"|<text:p\b|</table:table>"
)
_REPEATED = re.compile(rb"number-(?:rows|columns)-repeated=\"([0-9]+)\"")
_VALUED = re.compile(rb"value-type=")


def _check_ods_table(archive: zipfile.ZipFile, limits: FileLimits) -> None:
    if "content.xml" not in archive.namelist():
        return
    rows = 0
    repeat, has_value, width = 1, False, 0
    rest = b""
    with archive.open("content.xml") as stream:
        while True:
            chunk = stream.read(_CHUNK)
            text = rest + chunk
            cut = text.rfind(b"<") if chunk else len(text)
            for found in _ODS_ITEMS.finditer(text, 0, cut):
                tag = found.group(0)
                if tag.startswith(b"<table:table-row"):
                    repeated = _REPEATED.search(found.group(1))
                    repeat, has_value, width = int(repeated.group(1)) if repeated else 1, False, 0
                    if found.group(2):  # <table:table-row/>: an empty row
                        rows += repeat
                elif tag.startswith(b"<table:table-cell"):
                    repeated = _REPEATED.search(found.group(3))
                    columns = int(repeated.group(1)) if repeated else 1
                    if _VALUED.search(found.group(3)):
                        has_value = True
                        width += columns
                        if width > limits.max_columns:
                            raise too_wide(rows + 1, limits)
                    else:
                        width += 1 if columns > 1 else columns
                elif tag == b"<text:p":
                    has_value = True
                elif tag == b"</table:table-row>":
                    if has_value and rows + repeat > limits.max_rows:
                        raise too_many_rows(limits)
                    rows += repeat
                else:  # </table:table>: only the first table is read
                    return
            if not chunk:
                return
            rest = text[cut:]
            if len(rest) > _CHUNK:
                raise ValueError("a tag longer than 1 MB")
