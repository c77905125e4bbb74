"""The parts every printed document shares: the heading (compound, title, subtitle), facts as a
two-column table, the signature and stamp area, boxes to tick and a QR code. Text is drawn as
given (fpdf2 draws characters, it reads no markup), so any name or title prints as typed."""

from __future__ import annotations

import io

import segno
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from core.pdf import Document

GREY = (90, 90, 90)
LIGHT = (235, 235, 235)
RED = (176, 0, 0)
LABEL = 32  # mm: the labels of facts
HEADINGS = FontFace(emphasis="BOLD", fill_color=LIGHT)


def lines(
    document: Document, height: float, value: str, *, align: str = "L", width: float = 0
) -> None:
    """Wrapped text, then the next line at the left margin."""
    document.multi_cell(width, height, value, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def sheet(title: str, kind: str, *, landscape: bool = False, paper: str = "A4") -> Document:
    """A new document; `kind` goes into its keywords (which document a file is)."""
    document = Document(title, landscape=landscape, paper=paper)
    document.set_keywords(kind)
    document.set_margins(18, 16, 18)
    document.set_auto_page_break(auto=True, margin=16)
    return document


def heading(document: Document, compound: str, title: str, subtitle: str = "") -> None:
    """The compound, the document's title in large type, a grey subtitle, a rule."""
    document.set_font(size=13)
    lines(document, 7, compound, align="C")
    document.set_font(size=20)
    lines(document, 11, title, align="C")
    if subtitle:
        document.set_font(size=10)
        document.set_text_color(*GREY)
        lines(document, 6, subtitle, align="C")
        document.set_text_color(0)
    document.ln(2)
    y = document.get_y()
    document.set_draw_color(*RED)
    document.set_line_width(0.6)
    document.line(document.l_margin, y, document.w - document.r_margin, y)
    document.set_draw_color(0)
    document.set_line_width(0.2)
    document.ln(4)
    document.set_font(size=11)


def text(document: Document, value: str, *, size: float = 11, bold: bool = False) -> None:
    document.set_font(style="B" if bold else "", size=size)
    lines(document, size * 0.6, value)
    document.set_font(style="", size=11)


def facts(document: Document, rows: list[tuple[str, str]]) -> None:
    """Label and value, one a row: the label in grey, the value wrapped beside it (plain cells:
    a ballot has dozens of pages, and fpdf2's tables take much longer to lay out)."""
    document.set_font(size=10.5)
    width = document.w - document.l_margin - document.r_margin - LABEL
    for label, value in rows:
        document.set_text_color(*GREY)
        document.cell(LABEL, 6.5, label)
        document.set_text_color(0)
        document.multi_cell(width, 6.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    document.set_font(size=11)
    document.ln(3)


def grid(
    document: Document, headers: list[str], rows: list[list[str]], widths: tuple[float, ...]
) -> None:
    """A table with a header row repeated on every page."""
    document.set_font(size=10)
    with document.table(
        col_widths=widths, headings_style=HEADINGS, line_height=6, padding=1, repeat_headings=1
    ) as table:
        for cells in [headers, *rows]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    document.set_font(size=11)


def box(document: Document, label: str, *, size: float = 5, gap: float = 14) -> None:
    """A box to tick, its label after it, on the current line."""
    x, y = document.get_x(), document.get_y()
    document.rect(x, y + 1, size, size)
    document.set_xy(x + size + 2, y)
    document.cell(document.get_string_width(label) + gap, 7, label)


def signature_lines(document: Document, labels: list[str]) -> None:
    """Lines to sign and date on, side by side."""
    document.ln(6)
    width = (document.w - document.l_margin - document.r_margin) / len(labels)
    for label in labels:
        document.cell(width, 8, f"{label}：________________")
    document.ln(10)


def stamp_area(document: Document, signer: str, date_line: str) -> None:
    """Bottom right: who signs and stamps (with a dashed circle where the stamp goes), the date."""
    diameter = 30
    if document.get_y() + diameter + 14 > document.h - document.b_margin:
        document.add_page()
    right = document.w - document.r_margin
    top = document.get_y() + 4
    document.set_draw_color(*GREY)
    with document.local_context():
        document.set_dash_pattern(dash=1.5, gap=1.5)
        document.ellipse(right - diameter - 8, top, diameter, diameter)
    document.set_draw_color(0)
    document.set_xy(document.l_margin, top + diameter / 2 - 4)
    lines(document, 7, signer, align="R", width=right - document.l_margin - 2)
    document.set_xy(document.l_margin, top + diameter + 2)
    lines(document, 7, date_line, align="R", width=right - document.l_margin - 2)


def qr_code(document: Document, content: str, x: float, y: float, size: float) -> None:
    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="png", scale=8, border=1)
    buffer.seek(0)
    document.image(buffer, x=x, y=y, w=size, h=size)
