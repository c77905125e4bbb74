"""XLSX files (openpyxl) for reports: one sheet per table, bold header, sensible widths."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font


def xlsx(sheets: dict[str, tuple[list[str], list[list[object]]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, (headers, rows) in sheets.items():
        sheet = workbook.create_sheet(title[:31])
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, header in enumerate(headers, start=1):
            width = max([len(str(header))] + [len(str(r[index - 1])) for r in rows[:500]]) + 4
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width * 1.6, 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
