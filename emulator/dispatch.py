"""Bot API method registry and the parameters of one call.

python-telegram-bot sends parameters as application/x-www-form-urlencoded (every value a string,
objects JSON-encoded), or as multipart/form-data when it uploads files; other clients send JSON.
`Call` hides the difference: accessors convert strings, JSON-decode objects on demand, and turn
missing or malformed values into the 400 errors Telegram gives.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.errors import bad_request

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator

Handler = Callable[["BotApiEmulator", "Call"], Awaitable[Any]]


@dataclass(frozen=True)
class Method:
    name: str  # as Telegram spells it, e.g. "sendMessage"
    handler: Handler
    flood_controlled: bool


METHODS: dict[str, Method] = {}  # keyed by lower-case name: Telegram ignores the case


def api_method(name: str, *, flood_controlled: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = Method(name, handler, flood_controlled)
        return handler

    return register


@dataclass(slots=True)
class Upload:
    """A file part of a multipart request (stored only if the method uses it)."""

    data: bytes
    filename: str | None
    mime_type: str | None


_TRUE = {"true", "1", "yes", "on"}


class Call:
    def __init__(self, params: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.params = params
        self.uploads = uploads or {}

    def has(self, key: str) -> bool:
        return self.params.get(key) not in (None, "")

    def get(self, key: str, default: Any = None) -> Any:
        value = self.params.get(key)
        return default if value is None else value

    def get_str(self, key: str, default: str | None = None) -> str | None:
        value = self.params.get(key)
        return default if value is None else str(value)

    def get_int(self, key: str, default: int | None = None) -> int | None:
        value = self.params.get(key)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {key} specified") from None

    def get_float(self, key: str) -> float:
        try:
            return float(self.params[key])
        except KeyError:
            raise bad_request(f"{key} is empty") from None
        except (TypeError, ValueError):
            raise bad_request(f"invalid {key} specified") from None

    def get_bool(self, key: str) -> bool:
        value = self.params.get(key)
        if isinstance(value, str):
            return value.strip().lower() in _TRUE
        return bool(value)

    def get_json(self, key: str) -> Any:
        """An object parameter: already decoded in a JSON body, a JSON string in a form."""
        value = self.params.get(key)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {key} JSON object") from None
        return value
