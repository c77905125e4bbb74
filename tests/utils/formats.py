"""Dates shown in a form other than the product's one format per kind (core.i18n.FORMATS): the
test world runs this over every text, caption and button the bot sends in any test."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
SHOWN_WORD = re.compile(rf"(?:{_MONTHS}|AM|PM)", re.I)
# Forms no reader of any of the three languages is shown (8/12/2026, 2026/12/8, 2026-12-08,
# 2026-12 as a month, a time with seconds).
EVERYWHERE = {
    "day-first or month-first date": re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}/\d{4}(?![\d/])"),
    "year/month/day date": re.compile(r"(?<![\d/])\d{4}/\d{1,2}/\d{1,2}(?![\d/])"),
    "ISO date": re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])"),
    "ISO month": re.compile(r"(?<![\d-])\d{4}-\d{2}(?![\d-])"),
    "time with seconds": re.compile(r"(?<![\d:])\d{1,2}:\d{2}:\d{2}(?![\d:])"),
}
# Forms wrong in a Chinese message: an English month name with a day or a year, a 12-hour time,
# an ASCII space between a date and the Chinese word after it (2026年12月1日 起).
IN_CHINESE = {
    "space after a date": re.compile(r"\d[日月] (?=[\u4e00-\u9fff])"),
    "English month name": re.compile(rf"\b(?:{_MONTHS})\.? \d{{1,4}}\b"),
    "12-hour time": re.compile(
        r"(?:上午|下午|中午|凌晨|晚上|AM|PM) ?\d{1,2}:\d{2}|\d{1,2}:\d{2} ?(?:AM|PM)"
    ),
}


def without_code(text: str, entities: Iterable[dict[str, Any]]) -> str:
    """The text with its code and pre spans blanked: what the reader copies (a command with its
    argument, an identifier, a file name) may keep a machine form such as `/arrears 2026-10`.
    Entity offsets count UTF-16 code units, as Telegram's do."""
    units = bytearray(text.encode("utf-16-le"))
    for entity in entities:
        if entity.get("type") in ("code", "pre"):
            start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
            units[start:end] = " ".encode("utf-16-le") * (entity["length"])
    return units.decode("utf-16-le")


# What the reader is asked to type keeps the form the bot reads: a command with its argument
# (/arrears 2026-10) and the example after "for example" (例如 2026-12-01 09:00).
INPUT_EXAMPLE = re.compile(
    r"/[a-z_]+(?: [\d:-]+)+|(?:例如|比如|for example|e\.g\.|such as)[\s：:]*\d[\d\s:-]*", re.I
)


def other_date_forms(text: str) -> list[str]:
    """Each date or time in `text` written in a form other than the one format, with its kind."""
    text = INPUT_EXAMPLE.sub(" ", text)
    found = [f"{kind}: {m.group()}" for kind, p in EVERYWHERE.items() for m in p.finditer(text)]
    for line in text.splitlines():
        if _chinese(line):
            found += [
                f"{kind}: {m.group()}" for kind, p in IN_CHINESE.items() for m in p.finditer(line)
            ]
    return found


def _chinese(line: str) -> bool:
    """A line written in Chinese: Chinese characters and at most one English word besides month
    names and AM/PM (an English line naming a Chinese title, 续聘物业服务企业, or a home,
    1栋 1单元, is still English)."""
    words = [w for w in LATIN_WORD.findall(line) if not SHOWN_WORD.fullmatch(w)]
    return bool(CJK.search(line)) and len(words) < 2
