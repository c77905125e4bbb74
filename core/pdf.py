"""Printable documents: A4 (or A5) PDFs drawn with fpdf2, the CJK font embedded, so what the
office prints reads the same on every machine. Documents set their title and keywords, so a
machine (and a test) can tell which document a file is.

Parsing the 5 MB CJK font takes seconds; it is parsed once per process. Each document gets its
own copy of the parsed font (fpdf2 subsets the font it embeds in place), unpickled from the
first parse, which is several times faster than parsing the file again."""

from __future__ import annotations

import copy
import pickle
from functools import cache
from typing import Any

from fpdf import FPDF
from fpdf.enums import TextEmphasis
from fpdf.fonts import TTFFont

from core.fonts import cjk_font_path

FONT = "cjk"
STYLES = ("", "B")  # the font has no bold: the same face, so tables with header rows render


@cache
def _parsed() -> tuple[dict[str, TTFFont], bytes]:
    """The font as fpdf2 parses it, once: its objects by style and its tables pickled."""
    prototype = FPDF()
    for style in STYLES:
        prototype.add_font(FONT, style, str(cjk_font_path()))
    fonts = {key: font for key, font in prototype.fonts.items() if isinstance(font, TTFFont)}
    return fonts, pickle.dumps(fonts[FONT].ttfont)


class Document(FPDF):
    """A document with the CJK font as its regular and bold face."""

    def __init__(self, title: str, *, landscape: bool = False, paper: str = "A4") -> None:
        super().__init__(orientation="landscape" if landscape else "portrait", format=paper)
        self.set_font(FONT, size=11)
        self.set_title(title)
        self.set_creator("Red Property bot")
        self.set_auto_page_break(auto=True, margin=15)

    def set_font(
        self, family: str | None = None, style: str | TextEmphasis = "", size: float = 0
    ) -> None:
        """Each face is copied into the document the first time it is used (most documents
        never use bold)."""
        if (family or self.font_family or "").lower() == FONT:
            bold = TextEmphasis.coerce(style) & TextEmphasis.B
            self._face(FONT + ("B" if bold else ""))
        super().set_font(family, style, size)

    def table(self, *args: Any, **kwargs: Any) -> Any:
        self._face(FONT + "B")  # header rows are bold by default
        return super().table(*args, **kwargs)

    def _face(self, key: str) -> None:
        if key in self.fonts:
            return
        fonts, tables = _parsed()
        font = copy.deepcopy(fonts[key])
        font.ttfont = pickle.loads(tables)  # subsetting at output changes it: our own copy
        font.i = len(self.fonts) + 1
        self.fonts[key] = font

    def content(self) -> bytes:
        return bytes(self.output())
