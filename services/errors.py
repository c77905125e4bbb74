"""Domain errors carry an untranslated msgid and its parameters; handlers translate them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. `msgid` is an English gettext msgid marked with N_()."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    def render(self, gettext: Any) -> str:
        # Text parameters may themselves be msgids (e.g. "a text message"); names and other
        # data have no catalog entry and come back unchanged.
        params = {k: gettext(v) if isinstance(v, str) and v else v for k, v in self.params.items()}
        return gettext(self.msgid).format(**params)


class NotAllowed(DomainError):
    """The actor lacks the role or scope for this."""


class NotFound(DomainError):
    """The record does not exist, or is not visible to the actor."""
