"""Domain errors carry an untranslated msgid and its parameters; handlers translate them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from core.i18n import Msg, Translator


class DomainError(Exception):
    """A rule said no. `msgid` is an English gettext msgid marked with N_()."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    def render(self, _: Translator) -> Markup:
        """The message in the reader's language. A parameter marked with N_() (a Msg) is itself
        translated, and so is a list of them (services.enum_inputs.Choices); a `date` is shown as
        every date is; any other value is data (a name, a typed home) and is escaped."""
        params = {k: _shown(v, _) for k, v in self.params.items()}
        return _(self.msgid).format(**params)

    def text(self, _: Translator) -> str:
        """The same as plain text, for the command line."""
        return self.render(_).unescape()


def _shown(value: Any, _: Translator) -> Any:
    """A Msg translated, a list of choices rendered, a day in the one date format (2026年12月8日),
    anything else as is."""
    if isinstance(value, Msg):
        return _(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return _.date(value)
    render = getattr(value, "render", None)
    return render(_) if callable(render) and not isinstance(value, str) else value


class NotAllowed(DomainError):
    """The actor lacks the role or scope for this."""


class NotFound(DomainError):
    """The record does not exist, or is not visible to the actor."""


class BadInput(DomainError):
    """A value typed into a form that the rule refuses: `field` names the input, so the console
    shows the message next to it."""

    def __init__(self, field: str, msgid: str, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.field = field
