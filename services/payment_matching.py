"""Which home of one compound a bank transfer is for: the home written in the memo, in the many
ways residents write it (1栋1单元101, 1-1-101, 1幢1单元101室, 一栋一单元101, 1#1-101,
01-01-0101, 3号楼2单元1201), else the payer's name (对方户名, or a name in the memo) against the
roster's owner names. Only one home is an answer; several are candidates for the office."""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Building, Household

# building (栋 幢 号楼 座 # -), an optional unit (单元 -), then a room of 3 or 4 digits
_FULL = re.compile(
    r"(?<!\d)(\d{1,3})(?:栋|幢|棟|号楼|號樓|号|座|#|-)(?:(\d{1,2})(?:单元|單元|-))?(\d{3,4})(?!\d)"
)
_ROOM = re.compile(r"(?<![\d.])(\d{3,4})(?:室|房|号)?(?![\d.])")
_PLACE_WORDS = re.compile(r"(栋|幢|棟|号楼|號樓|座|单元|單元|室|房|号|#)$")


@dataclass(frozen=True)
class Home:
    id: int
    building: int | None  # the numbers the roster's names carry ("1栋" → 1), None for "A座"
    unit: int | None
    room: int | None
    owner: str  # the roster's owner name, spaces removed ("" if none)


@dataclass(frozen=True)
class Match:
    homes: list[int]  # one: the home; several: candidates; none: no idea
    how: str  # "memo", "name" or "" (what found them)


def _number(name: str) -> int | None:
    """ "1栋" → 1, "01单元" → 1, "0101" → 101, "B101" → None."""
    text = _PLACE_WORDS.sub("", unicodedata.normalize("NFKC", name or "").strip())
    return int(text) if text.isdigit() else None


def _name(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def _digits(text: str) -> str:
    """The memo with Chinese numerals as digits (一栋一单元 → 1栋1单元), no spaces."""
    import cn2an

    text = _name(text)
    with warnings.catch_warnings():  # it warns of an odd run of numerals, and reads it as written
        warnings.simplefilter("ignore")
        try:
            return str(cn2an.transform(text, "cn2an"))
        except (ValueError, KeyError, IndexError):
            return text


class Homes:
    """The homes of one compound, loaded once per statement."""

    def __init__(self, homes: list[Home]) -> None:
        self.homes = homes

    @classmethod
    async def of(cls, session: AsyncSession, compound_id: int) -> Homes:
        statement = (
            select(Household, col(Building.name))
            .join(Building, col(Building.id) == col(Household.building_id))
            .where(col(Household.compound_id) == compound_id)
            .order_by(col(Household.id))
        )
        found = [
            Home(
                household.id or 0,
                _number(building),
                _number(household.unit),
                _number(household.room),
                _name(household.owner_name or ""),
            )
            for household, building in await session.exec(statement)
        ]
        return cls(found)

    def match(self, memo: str, payer: str) -> Match:
        """The memo's home; several narrowed by the payer's name; else the payer's name."""
        written = self.in_memo(memo)
        named = self.named(payer) or self.named_in(memo)
        if len(written) == 1:
            return Match(written, "memo")
        if written:
            narrowed = [h for h in written if h in named]
            return Match(narrowed, "name") if len(narrowed) == 1 else Match(written, "")
        return Match(named, "name" if len(named) == 1 else "")

    def in_memo(self, memo: str) -> list[int]:
        """Homes the memo writes out: building, unit and room; else a room alone ("202室")."""
        text = _digits(memo)
        found: list[int] = []
        for building, unit, room in _FULL.findall(text):
            found += [
                h.id
                for h in self.homes
                if h.building == int(building)
                and h.room == int(room)
                and (not unit or h.unit == int(unit))
            ]
        if not found:
            rooms = {int(room) for room in _ROOM.findall(text)}
            found = [h.id for h in self.homes if h.room in rooms]
        return list(dict.fromkeys(found))

    def named(self, payer: str) -> list[int]:
        name = _name(payer)
        return [h.id for h in self.homes if name and h.owner == name]

    def named_in(self, memo: str) -> list[int]:
        """Homes whose owner's name (two characters or more) the memo mentions: 物业费 黄伟."""
        text = _name(memo)
        return [h.id for h in self.homes if len(h.owner) >= 2 and h.owner in text]
