"""What the emulator remembers: chats with their message histories, stored files, and the signal
that wakes coroutines waiting for a chat to change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChatMessage:
    """A message as the user sees it in the chat (edits applied in place)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None  # plain text (entities parsed out) of a text message
    html: str | None = None  # the text or caption as sent, when parse_mode was HTML
    caption: str | None = None
    parse_mode: str | None = None
    kind: str = "text"  # text | photo | document | location | venue | contact
    photo_file_id: str | None = None
    document: dict[str, Any] | None = None  # file_id, file_name, mime_type, ...
    location: dict[str, float] | None = None
    venue: dict[str, Any] | None = None  # location, title, address
    inline_keyboard: list[list[dict[str, Any]]] | None = None
    edited: bool = False
    raw: dict[str, Any] = field(default_factory=dict)  # the Message object the bot receives
    contact: dict[str, Any] | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)  # of the text or caption
    paid_broadcast: bool = False  # sent with allow_paid_broadcast

    @property
    def content(self) -> str:
        return self.text or self.caption or ""

    def buttons(self) -> list[str]:
        return [button["text"] for row in self.inline_keyboard or [] for button in row]

    def to_json(self) -> dict[str, Any]:
        """The message for the control API and events (JSON-able, with file URLs)."""
        document_id = self.document["file_id"] if self.document else None
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "from_bot": self.from_bot,
            "date": self.date,
            "kind": self.kind,
            "content": self.content,
            "text": self.text,
            "html": self.html,
            "caption": self.caption,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "photo_file_id": self.photo_file_id,
            "photo_url": f"/_emulator/files/{self.photo_file_id}" if self.photo_file_id else None,
            "document": self.document,
            "document_url": f"/_emulator/files/{document_id}" if document_id else None,
            "location": self.location,
            "venue": self.venue,
            "contact": self.contact,
            "inline_keyboard": self.inline_keyboard,
            "edited": self.edited,
            "invoice": self.raw.get("invoice"),
        }


@dataclass(slots=True)
class StoredFile:
    file_id: str
    unique_id: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    kind: str = "document"  # "photo" or "document": Telegram's file ids know what they are

    @property
    def file_path(self) -> str:
        """Where the bot downloads it: GET /file/bot<token>/<file_path>."""
        return f"files/{self.file_id}"


class Signal:
    """Wakes coroutines waiting for a predicate on emulator state to become true.

    `notify()` is synchronous because state changes in plain methods (a user sending, a request
    being handled). Notifications are coalesced into one task, and none is scheduled while
    nobody waits, so a busy emulator pays nothing for it.
    """

    def __init__(self) -> None:
        self._condition = asyncio.Condition()
        self._waiting = 0
        self._pending: asyncio.Task[None] | None = None  # referenced, so it is not collected

    def notify(self) -> None:
        if self._waiting and self._pending is None:
            self._pending = asyncio.get_running_loop().create_task(self._notify_all())

    async def _notify_all(self) -> None:
        self._pending = None  # changes from now on need another round
        async with self._condition:
            self._condition.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Return once predicate() is true; raise TimeoutError after `timeout` seconds."""
        if predicate():
            return
        self._waiting += 1
        try:
            async with asyncio.timeout(timeout), self._condition:
                await self._condition.wait_for(predicate)
        finally:
            self._waiting -= 1


class Chat:
    """The private chat between the bot and one user (chat id == user id)."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.messages: list[ChatMessage] = []
        self.bot_messages: list[ChatMessage] = []
        self.by_id: dict[int, ChatMessage] = {}
        self.reply_keyboard: list[list[dict[str, Any]]] | None = None  # the buttons as sent
        self.one_time_keyboard = False
        self.blocked = False
        self.started = True  # False: the user never pressed Start, the bot cannot write first
        self.menu_button: dict[str, Any] | None = None
        self.changed = Signal()

    def add(self, message: ChatMessage) -> None:
        self.messages.append(message)
        self.by_id[message.message_id] = message
        if message.from_bot:
            self.bot_messages.append(message)

    def remove(self, message_id: int) -> ChatMessage | None:
        message = self.by_id.pop(message_id, None)
        if message is not None:  # deletions are rare, so a linear removal is fine
            self.messages.remove(message)
            if message.from_bot:
                self.bot_messages.remove(message)
        return message

    @property
    def keyboard_labels(self) -> list[list[str]] | None:
        if self.reply_keyboard is None:
            return None
        return [[button["text"] for button in row] for row in self.reply_keyboard]
