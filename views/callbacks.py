"""The one codec for callback data: `v1:<kind>:<field>:...`, at most 64 bytes, re-validated on use.

Decoded values are only hints: every handler re-checks them against the database and the
actor's permissions, because a client can send any bytes it likes.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, ClassVar, Self

VERSION = "v1"
MAX_BYTES = 64
_TEXT = re.compile(r"^[A-Za-z0-9_-]{0,48}$")
# Numbers are record ids, amounts in fen, pages and bitmasks: all fit the database's INTEGER
# (PostgreSQL refuses a larger query argument with an error instead of finding nothing).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_REGISTRY: dict[str, type[CallbackData]] = {}


class InvalidCallback(ValueError):
    """Callback data that is stale, malformed or forged."""


class CallbackData:
    """Base for small frozen dataclasses that pack to and parse from callback strings."""

    kind: ClassVar[str]

    def __init_subclass__(cls, kind: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind in _REGISTRY:
            raise ValueError(f"callback kind {kind!r} registered twice")
        cls.kind = kind
        _REGISTRY[kind] = cls

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """Regex for CallbackQueryHandler: the kind prefix only; parse() does the real check."""
        return re.compile(rf"^{VERSION}:{re.escape(cls.kind)}(:|$)")

    def pack(self) -> str:
        parts = [VERSION, self.kind]
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, bool):
                parts.append("1" if value else "0")
            elif isinstance(value, int):
                if not INT_MIN <= value <= INT_MAX:
                    raise ValueError(f"{field.name}={value!r} does not fit callback data")
                parts.append(str(value))
            else:
                if not _TEXT.match(str(value)):
                    raise ValueError(f"{field.name}={value!r} cannot go into callback data")
                parts.append(str(value))
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data longer than {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls, data: str | None) -> Self:
        if not data:
            raise InvalidCallback("empty")
        parts = data.split(":")
        if len(parts) < 2 or parts[0] != VERSION or parts[1] != cls.kind:
            raise InvalidCallback(data)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        values = parts[2:]
        if len(values) != len(fields):
            raise InvalidCallback(data)
        kwargs: dict[str, Any] = {}
        for field, raw in zip(fields, values, strict=True):
            kwargs[field.name] = _coerce(field.type, raw, data)
        return cls(**kwargs)


def _coerce(annotation: object, raw: str, data: str) -> object:
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if name == "bool":
        if raw not in ("0", "1"):
            raise InvalidCallback(data)
        return raw == "1"
    if name == "int":
        if not re.fullmatch(r"-?\d{1,10}", raw) or not INT_MIN <= int(raw) <= INT_MAX:
            raise InvalidCallback(data)
        return int(raw)
    if not _TEXT.match(raw):
        raise InvalidCallback(data)
    return raw


def callback_kinds() -> dict[str, type[CallbackData]]:
    return dict(_REGISTRY)


def answer_for(cls: type[CallbackData], data: str | None, step: str) -> Any:
    """Parse a conversation answer `(step, value)` and refuse a button of another step (stale or
    forged): the button must belong to the question being asked now."""
    choice = cls.parse(data)
    if getattr(choice, "step", None) != step:
        raise InvalidCallback(data)
    return choice
