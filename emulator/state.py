"""What the emulator remembers: users, chat histories, files, and the messages users see."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChatMessage:
    """A message as the user sees it in the chat (edits applied in place)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    kind: str = "text"  # text | photo | document | location | contact
    text: str | None = None
    html: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    photo_file_id: str | None = None
    document: dict[str, Any] | None = None
    location: dict[str, float] | None = None
    inline_keyboard: list[list[dict[str, Any]]] | None = None
    edited: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def content(self) -> str:
        return self.text or self.caption or ""

    def buttons(self) -> list[str]:
        return [button["text"] for row in self.inline_keyboard or [] for button in row]

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "from_bot": self.from_bot,
            "date": self.date,
            "kind": self.kind,
            "text": self.text,
            "html": self.html,
            "caption": self.caption,
            "photo_file_id": self.photo_file_id,
            "photo_url": f"/_emulator/files/{self.photo_file_id}" if self.photo_file_id else None,
            "document": self.document,
            "document_url": f"/_emulator/files/{self.document['file_id']}"
            if self.document
            else None,
            "location": self.location,
            "inline_keyboard": self.inline_keyboard,
            "edited": self.edited,
        }


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class Chat:
    user_id: int
    messages: list[ChatMessage] = field(default_factory=list)
    by_id: dict[int, ChatMessage] = field(default_factory=dict)
    reply_keyboard: list[list[str]] | None = None
    one_time_keyboard: bool = False
    blocked: bool = False

    def add(self, message: ChatMessage) -> None:
        self.messages.append(message)
        self.by_id[message.message_id] = message

    def remove(self, message_id: int) -> bool:
        message = self.by_id.pop(message_id, None)
        if message is None:
            return False
        self.messages.remove(message)
        return True


class Counter:
    def __init__(self, start: int = 1) -> None:
        self._it = itertools.count(start)

    def next(self) -> int:
        return next(self._it)
