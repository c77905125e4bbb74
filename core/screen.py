"""What the bot shows, as plain data (shared by views, services and handlers): a text in Telegram's HTML, its buttons, and a picture or
file. Every view returns Screens; handlers send them, the outbox stores them as payloads.

The text must be `Markup`: translations are markup, and `.format()` on them escapes every value,
so user text cannot reach Telegram's HTML unescaped. A plain `str` is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from markupsafe import Markup

from core.i18n import plain


@dataclass(frozen=True)
class Button:
    """An inline button: its label as the user reads it (plain text) and its callback data."""

    label: str
    data: str | None = None
    url: str | None = None


def button(label: Markup | str, data: Any) -> Button:
    """A callback button (`data` is packed callback data, or a CallbackData to pack); a
    translated label is turned back into plain text."""
    return Button(plain(label), data if isinstance(data, str) else data.pack())


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(*rows: list[Button] | tuple[Button, ...] | None) -> Keyboard:
    """Rows of buttons; empty rows are left out."""
    return tuple(tuple(row) for row in rows if row)


@dataclass(frozen=True)
class File:
    """A file the bot made (a chart, a spreadsheet): sent as an upload, or stored once for the
    outbox and re-sent by Telegram's file id."""

    content: bytes
    filename: str


@dataclass(frozen=True)
class ReplyButton:
    """A button of the keyboard under the input field, asking for the location or the contact."""

    label: str
    request: Literal["location", "contact"]


@dataclass(frozen=True)
class Screen:
    """One message: text (or caption) in Telegram HTML, inline buttons, maybe a photo or file."""

    text: Markup
    buttons: Keyboard = ()
    photo: str | File | None = None  # a Telegram file id, or a picture the bot made
    document: str | File | None = None
    reply_keyboard: tuple[ReplyButton, ...] = ()
    remove_reply_keyboard: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. an invoice's fields

    def __post_init__(self) -> None:
        if not isinstance(self.text, Markup):
            raise TypeError(
                "a Screen's text must be Markup (a translation, or markupsafe.escape()d): "
                f"{str(self.text)[:60]!r}"
            )

    def payload(self) -> dict[str, Any]:
        """The outbox's form of this screen (files the bot made are stored by the notifier)."""
        payload: dict[str, Any] = {"text": str(self.text)} if self.text else {}
        if self.buttons:
            payload["buttons"] = [
                [{"text": b.label, "data": b.data} for b in row] for row in self.buttons
            ]
        if isinstance(self.photo, str):
            payload["photo"] = self.photo
        if isinstance(self.document, str):
            payload["document"] = self.document
        return payload


EMPTY = Markup("")
