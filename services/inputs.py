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


# A number the bot itself put on a button (a database id, a count, an amount in fen): ASCII
# digits without sign or leading zero, within PostgreSQL's 32-bit integers.
MAX_ID = 2**31 - 1
_ID = re.compile(r"0|[1-9][0-9]{0,9}")


def id_number(text: str | None) -> int | None:
    """The number of a button's value, or None when the bot cannot have written it (forged:
    "-1", "01", "１２", "²", an 18-digit id)."""
    if not _ID.fullmatch(text or ""):
        return None
    number = int(text or "")
    return number if number <= MAX_ID else None


MONTH = re.compile(r"20\d\d-(0[1-9]|1[0-2])")


def is_month(text: str | None) -> bool:
    """`YYYY-MM` (2000–2099), the form reports are asked for."""
    return bool(MONTH.fullmatch(text or ""))
