"""Reading what people type: local times (`2026-12-20 09:00`) and months (`2026-10`); and the
record ids that come back from a button's text field."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo


def parse_local_time(text: str | None, tz: ZoneInfo) -> datetime | None:
    """`YYYY-MM-DD HH:MM` in local time, or None when it is not a real date and time."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})\s*", text or "")
    if not match:
        return None
    try:
        year, month, day, hour, minute = (int(g) for g in match.groups())
        return datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        return None


MONTH = re.compile(r"20\d\d-(0[1-9]|1[0-2])")


def is_month(text: str | None) -> bool:
    """`YYYY-MM` (2000–2099), the form reports are asked for."""
    return bool(MONTH.fullmatch(text or ""))


def record_id(value: str | None) -> int:
    """A record id from a button's answer (`"17"`); ValueError unless it is a plain decimal that
    fits the database's INTEGER (PostgreSQL refuses a larger query argument with an error)."""
    text = value or ""
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and int(text) < 2**31):
        raise ValueError(value)
    return int(text)
