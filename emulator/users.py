"""A Telegram user in the emulator: sends messages and presses buttons, sees what the bot sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.state import ChatMessage

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator


class EmulatedUser:
    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.emulator = emulator
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.callback_answers: list[dict[str, Any]] = []

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    # --- acting ------------------------------------------------------------------------
    def send(self, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.emulator.user_message(self.id, **content)[0]

    def send_photo(self, data: bytes, caption: str | None = None) -> int:
        stored = self.emulator.store_file(data, "photo.jpg", "image/jpeg")
        content: dict[str, Any] = {"photo": self.emulator.photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return self.emulator.user_message(self.id, **content)[0]

    def send_document(
        self,
        data: bytes,
        filename: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        stored = self.emulator.store_file(data, filename, mime_type)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self.emulator.user_message(self.id, **content)[0]

    def send_location(self, latitude: float, longitude: float) -> int:
        return self.emulator.user_message(
            self.id, location={"latitude": latitude, "longitude": longitude}
        )[0]

    def send_contact(self, phone_number: str) -> int:
        contact = {"phone_number": phone_number, "first_name": self.first_name, "user_id": self.id}
        return self.emulator.user_message(self.id, contact=contact)[0]

    def press(self, message_id: int, callback_data: str) -> int:
        return self.emulator.callback_query(self.id, message_id, callback_data)

    def press_button(self, text: str, message_id: int | None = None) -> int:
        """Press an inline button by its label (exact, else contained), or a reply-keyboard key."""
        candidates = (
            [self.emulator.chats[self.id].by_id[message_id]]
            if message_id is not None
            else [m for m in reversed(self.bot_messages) if m.inline_keyboard]
        )
        for exact in (True, False):
            for message in candidates:
                for row in message.inline_keyboard or []:
                    for button in row:
                        if (button["text"] == text) if exact else (text in button["text"]):
                            if "callback_data" not in button:
                                raise LookupError(f"button {text!r} is not a callback button")
                            return self.press(message.message_id, button["callback_data"])
        for row in self.reply_keyboard or []:
            if text in row:
                return self.send(text)
        labels = [b for m in candidates[:3] for b in m.buttons()]
        raise LookupError(f"no button {text!r}; visible: {labels} / keyboard {self.reply_keyboard}")

    # --- seeing ------------------------------------------------------------------------
    @property
    def messages(self) -> list[ChatMessage]:
        return self.emulator.chats[self.id].messages

    @property
    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages if m.from_bot]

    @property
    def last_bot_message(self) -> ChatMessage | None:
        for message in reversed(self.messages):
            if message.from_bot:
                return message
        return None

    @property
    def last_text(self) -> str:
        message = self.last_bot_message
        return message.content if message else ""

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        return self.emulator.chats[self.id].reply_keyboard

    @property
    def commands(self) -> list[tuple[str, str]]:
        return [
            (c["command"], c["description"])
            for c in self.emulator.commands_for(self.id, self.language_code)
        ]

    async def wait_for_bot_message(
        self, after_count: int | None = None, timeout: float = 5.0
    ) -> ChatMessage:
        count = len(self.bot_messages) if after_count is None else after_count
        await self.emulator.wait_for(lambda: len(self.bot_messages) > count, timeout)
        return self.bot_messages[count]
