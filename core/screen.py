"""What the bot shows, as plain data (shared by views, services and handlers): a text in Telegram's HTML, its buttons, and a picture or
file. Every view returns Screens; handlers send them, the outbox stores them as payloads.

The text must be `Markup`: translations are markup, and `.format()` on them escapes every value,
so user text cannot reach Telegram's HTML unescaped. A plain `str` is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    # Telegram's id for this file, if it has one: sent by id, and uploaded from `content` if
    # Telegram no longer accepts the id (a new bot token, an expired file reference).
    file_id: str | None = None


@dataclass(frozen=True)
class ReplyButton:
    """A button of the keyboard under the input field, asking for the location or the contact."""

    label: str
    request: Literal["location", "contact"]


@dataclass(frozen=True)
class Venue:
    """A point on the map with a name and an address, sent as Telegram's venue message."""

    latitude: float
    longitude: float
    title: str  # plain text
    address: str  # plain text


@dataclass(frozen=True)
class Screen:
    """One message: text (or caption) in Telegram HTML, inline buttons, maybe a photo or file."""

    text: Markup
    buttons: Keyboard = ()
    photo: str | File | None = None  # a Telegram file id, or a picture the bot made
    document: str | File | None = None
    venue: Venue | None = None  # a point on the map (the text is then not shown)
    reply_keyboard: tuple[ReplyButton, ...] = ()
    remove_reply_keyboard: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. an invoice's fields
    album: tuple[str, ...] = ()  # Telegram file ids of photos sent together (a media group)

    def __post_init__(self) -> None:
        if not isinstance(self.text, Markup):
            raise TypeError(
                "a Screen's text must be Markup (a translation, or markupsafe.escape()d): "
                f"{str(self.text)[:60]!r}"
            )

    def pieces(self) -> list[Screen]:
        """The screen as messages Telegram accepts: a text over 4,096 characters (a caption over
        1,024) is cut at line breaks into several messages; the buttons, the reply keyboard and
        the file go with the last one."""
        media = self.photo is not None or self.document is not None or bool(self.album)
        limit = MAX_CAPTION if media else MAX_TEXT
        if len(self.text) <= limit:
            return [self]
        parts = split_text(self.text, MAX_TEXT)
        if media:  # the whole text first, then the file without a caption
            return [Screen(p) for p in parts] + [replace(self, text=Markup(""))]
        return [Screen(p) for p in parts[:-1]] + [replace(self, text=parts[-1])]

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
        if self.venue is not None:  # a reply to a button; the outbox does not send venues
            raise ValueError("a venue is sent as a reply, not through the outbox")
        if self.album:
            payload["album"] = list(self.album)
        return payload


EMPTY = Markup("")
MAX_TEXT = 4096  # Telegram's limits, in characters of the text after its markup is parsed
MAX_CAPTION = 1024
MAX_ALBUM = 10  # photos in one media group (sendMediaGroup takes 2 to 10)


def album_parts(photos: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Photos as Telegram sends them together: groups of 2 to 10 (a single one alone)."""
    parts = [photos[i : i + MAX_ALBUM] for i in range(0, len(photos), MAX_ALBUM)]
    if len(parts) > 1 and len(parts[-1]) == 1:  # 11 photos: 9 + 2, not 10 + 1
        parts[-2:] = [parts[-2][:-1], (parts[-2][-1], *parts[-1])]
    return parts


def split_text(text: Markup, limit: int) -> list[Markup]:
    """Pieces of at most `limit` characters of markup (so of text too), cut at line breaks; a
    line longer than that is cut between characters, never inside a tag or an entity. Screens
    keep each line's tags within the line, so every piece is whole markup."""
    pieces: list[str] = []
    current = ""
    for line in str(text).split("\n"):
        while len(line) > limit:
            cut = _safe_cut(line, limit)
            pieces, current = _flush(pieces, current), ""
            pieces.append(line[:cut])
            line = line[cut:]
        joined = f"{current}\n{line}" if current else line
        if len(joined) > limit:
            pieces, current = _flush(pieces, current), line
        else:
            current = joined
    pieces = _flush(pieces, current)
    return [Markup(p) for p in pieces if p.strip()]


def _flush(pieces: list[str], current: str) -> list[str]:
    return [*pieces, current] if current else pieces


def _safe_cut(line: str, limit: int) -> int:
    """The last position at or before `limit` that is outside a tag and an entity."""
    cut = limit
    while cut > 0:
        head = line[:cut]
        if head.rfind("<") <= head.rfind(">") and head.rfind("&") <= head.rfind(";"):
            return cut
        cut -= 1
    return limit
