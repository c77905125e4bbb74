"""Printable documents: A4 (or A5) PDFs drawn with fpdf2, the CJK font embedded, so what the
office prints reads the same on every machine. Documents set their title and keywords, so a
machine (and a test) can tell which document a file is."""

from __future__ import annotations

from fpdf import FPDF

from core.fonts import cjk_font_path

FONT = "cjk"


class Document(FPDF):
    """A document with the CJK font as its regular and bold face (the font has no bold: the
    same face, so tables with header rows render)."""

    def __init__(self, title: str, *, landscape: bool = False, paper: str = "A4") -> None:
        super().__init__(orientation="landscape" if landscape else "portrait", format=paper)
        path = str(cjk_font_path())
        for style in ("", "B"):
            self.add_font(FONT, style, path)
        self.set_font(FONT, size=11)
        self.set_title(title)
        self.set_creator("Red Property bot")
        self.set_auto_page_break(auto=True, margin=15)

    def content(self) -> bytes:
        return bytes(self.output())
