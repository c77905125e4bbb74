"""The roster's columns as offices name them (Chinese and English synonyms) and the reading of
its cells: areas with units, several phones in one cell, floors, yes/no."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.i18n import LANGUAGES, N_, Msg, translator


@dataclass(frozen=True)
class Column:
    """A roster field: its label in the reader's language, the names a file may give it (the
    first the English one), and the longest text the database keeps."""

    label: Msg
    names: tuple[str, ...]
    limit: int = 100


COLUMNS: dict[str, Column] = {
    "city": Column(N_("city"), ("city", "城市", "市")),
    "district": Column(N_("district"), ("district", "区", "区县", "县", "区/县", "县区")),
    "sub_district": Column(
        N_("sub-district"),
        ("sub_district", "sub-district", "street", "街道", "街道办", "镇", "乡镇"),
    ),
    "community": Column(N_("community"), ("community", "社区", "居委会", "村")),
    "compound": Column(
        N_("compound"), ("compound", "estate", "小区", "项目", "小区名称", "项目名称", "楼盘")
    ),
    "building": Column(N_("building"), ("building", "楼栋", "楼号", "栋", "栋号", "幢", "楼"), 50),
    "unit": Column(N_("unit"), ("unit", "单元", "单元号"), 20),
    "room": Column(N_("room"), ("room", "房号", "房间号", "室", "门牌号", "room no"), 20),
    "floor": Column(N_("floor"), ("floor", "楼层", "层", "所在楼层")),
    "registered_area": Column(
        N_("registered area"),
        ("registered_area", "area", "area_m2", "面积", "建筑面积", "登记面积", "产权面积"),
    ),
    "surveyed_area": Column(N_("surveyed area"), ("surveyed_area", "实测面积")),
    "contract_area": Column(N_("contract area"), ("contract_area", "合同面积", "预售面积")),
    "grid": Column(N_("grid"), ("grid", "网格", "所属网格")),
    "owner_name": Column(
        N_("owner"), ("owner_name", "owner", "name", "业主", "业主姓名", "姓名", "产权人")
    ),
    "owner_phone": Column(
        N_("phone"),
        ("owner_phone", "phone", "mobile", "tel", "电话", "手机", "联系电话", "手机号", "手机号码"),
    ),
    "developer_unit": Column(
        N_("developer"), ("developer_unit", "developer", "开发商", "开发商房源", "开发商持有")
    ),
}
PLACE_COLUMNS = ("city", "district", "sub_district", "community", "compound", "building")
REQUIRED_COLUMNS = (*PLACE_COLUMNS, "room", "grid")
AREA_COLUMNS = ("registered_area", "surveyed_area", "contract_area")
# The names offices give a column, and its label in each language: a roster whose header row
# was written in any of them (樓棟, 單元, 房號, "registered area") is read.
SYNONYMS = {
    name: tuple(
        dict.fromkeys(
            [*column.names, *(translator(language).plain(column.label) for language in LANGUAGES)]
        )
    )
    for name, column in COLUMNS.items()
}

PHONE_SEPARATOR = "/"
_PHONE = re.compile(r"\+?[0-9]{6,20}")
_PHONE_SEPARATORS = re.compile(r"[/,;、|]+")  # after NFKC: ，；／ are , ; /
_AREA = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(?:m2|平方米|平米|平方|sqm)?", re.I)
_FLOOR = re.compile(r"(-?\d{1,3})\s*(?:层|楼|f)?", re.I)
YES = {"1", "yes", "y", "true", "是", "√", "开发商"}
NO = {"", "0", "no", "n", "false", "否", "×", "无"}


class CellProblem(ValueError):
    """A cell that cannot be read: a msgid with {column} and its parameters."""

    def __init__(self, msgid: str, **params: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


def area(text: str) -> Decimal | None:
    """`89.5㎡`, `118.36 平方米`, `90 m2`, `１１８．３６` (the cell already NFKC) → Decimal, 2 places."""
    if text == "":
        return None
    found = _AREA.fullmatch(text)
    try:
        value = Decimal(found.group(1).replace(",", "") + (found.group(2) or "")) if found else None
    except InvalidOperation:
        value = None
    if value is None:
        raise CellProblem(N_("{column}: “{value}” is not an area in ㎡ (such as 89.5)"), value=text)
    if value <= 0 or value >= 100000:
        raise CellProblem(N_("{column}: {value} is not between 0 and 100000 ㎡"), value=text)
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CellProblem(N_("{column}: {value} has more than 2 decimals"), value=text)
    return value.quantize(Decimal("0.01"))


def phones(text: str) -> list[str]:
    """The phones in a cell: `138…/139…`, `138…，139…`, `138… 139…`; one phone may be written
    with spaces or dashes (`138 0648 0894`, `027-8888-6666`), kept without them."""
    found: list[str] = []
    for part in _PHONE_SEPARATORS.split(text):
        whole = re.sub(r"[\s-]", "", part)
        if not whole:
            continue
        pieces = [whole] if _PHONE.fullmatch(whole) and len(whole) <= 15 else part.split()
        numbers = [piece.replace("-", "") for piece in pieces]
        if not all(_PHONE.fullmatch(number) for number in numbers):
            raise CellProblem(N_("{column}: “{value}” is not a phone number"), value=part.strip())
        found.extend(numbers)
    return found


def stored_phones(text: str) -> str | None:
    """The phones as the household keeps them: joined by "/", None when there is none."""
    return PHONE_SEPARATOR.join(phones(text)) or None


def identity_phone(owner_phone: str | None) -> str | None:
    """The phone that identifies the buyer for the headcount: the first one of the roster."""
    first = (owner_phone or "").split(PHONE_SEPARATOR)[0].strip()
    return first or None


def floor(text: str) -> int | None:
    """`12`, `12层`, `12F`; `-1` for a basement."""
    if text == "":
        return None
    found = _FLOOR.fullmatch(text)
    if found is None:
        raise CellProblem(N_("{column}: “{value}” is not a whole number"), value=text)
    return int(found.group(1))


def yes_no(text: str) -> bool:
    value = text.casefold()
    if value not in YES | NO:
        raise CellProblem(N_("{column}: use 是 or 否 (yes or no), not “{value}”"), value=text)
    return value in YES
