"""A Telegram user in the emulator: sends messages and presses buttons in the private chat with
the bot, and sees what the bot sent there."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any

from emulator.state import Chat, ChatMessage

if TYPE_CHECKING:
    from emulator.core import EmulatorCore

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
MAX_USER_TEXT = 4096
_ALBUMS = itertools.count(1)  # media_group_id of the albums users send


def _find_button(keyboard: list[list[dict[str, Any]]] | None, label: str) -> dict[str, Any] | None:
    """The button labelled exactly `label`, else the first whose label contains it."""
    buttons = [button for row in keyboard or [] for button in row]
    for button in buttons:
        if button["text"] == label:
            return button
    return next((button for button in buttons if label in button["text"]), None)


class EmulatedUser:
    def __init__(
        self,
        emulator: EmulatorCore,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self.emulator = emulator
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone_number = f"+86138{user_id % 100_000_000:08d}"  # shared by request_contact
        self.callback_answers: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"EmulatedUser(id={self.id}, first_name={self.first_name!r})"

    def as_json(self) -> dict[str, Any]:
        """The user as a Telegram User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def chat(self) -> Chat:
        return self.emulator.chats[self.id]

    # --- acting (each returns the update_id the bot will receive) ------------------------
    def send(self, text: str) -> int:
        """Send a text message; a leading /command gets its bot_command entity."""
        if not text.strip():
            raise ValueError("Telegram does not send empty messages")
        if len(text) > MAX_USER_TEXT:
            raise ValueError("Telegram clients split texts longer than 4096 characters")
        content: dict[str, Any] = {"text": text}
        command = _COMMAND.match(text)
        if command:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return self.emulator.user_message(self.id, **content)[0]

    def send_photo(self, data: bytes, caption: str | None = None) -> int:
        stored = self.emulator.store_file(data, None, "image/jpeg", "photo")
        content: dict[str, Any] = {"photo": self.emulator.photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return self.emulator.user_message(self.id, **content)[0]

    def send_album(self, photos: list[bytes], caption: str | None = None) -> list[int]:
        """Send 2 to 10 photos at once, as a client sends an album: one message per photo with a
        shared media_group_id, the caption on the first. Returns the update ids, in order."""
        if not 2 <= len(photos) <= 10:
            raise ValueError("an album has 2 to 10 photos")
        group = f"{self.id}{next(_ALBUMS)}"
        updates = []
        for number, data in enumerate(photos):
            stored = self.emulator.store_file(data, None, "image/jpeg", "photo")
            content: dict[str, Any] = {
                "photo": self.emulator.photo_sizes(stored),
                "media_group_id": group,
            }
            if caption and number == 0:
                content["caption"] = caption
            updates.append(self.emulator.user_message(self.id, **content)[0])
        return updates

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
        location = {"latitude": float(latitude), "longitude": float(longitude)}
        return self.emulator.user_message(self.id, location=location)[0]

    def send_contact(self, phone_number: str | None = None) -> int:
        """Share a contact: by default their own, as the "share my phone" button does."""
        contact: dict[str, Any] = {
            "phone_number": phone_number or self.phone_number,
            "first_name": self.first_name,
            "user_id": self.id,
        }
        if self.last_name:
            contact["last_name"] = self.last_name
        return self.emulator.user_message(self.id, contact=contact)[0]

    def press(self, message_id: int, callback_data: str) -> int:
        """Press an inline button with this callback_data on a bot message (data may be forged,
        as a modified client can send any)."""
        return self.emulator.callback_query(self.id, message_id, callback_data)

    def pay(self, message_id: int | None = None) -> int:
        """Tap Pay on an invoice (the newest one by default): a pre_checkout_query update."""
        from emulator.api_payments import pre_checkout

        if message_id is None:
            message_id = next(
                m.message_id for m in reversed(self.chat.bot_messages) if m.kind == "invoice"
            )
        return pre_checkout(self.emulator, self.id, message_id)

    def press_button(self, text: str, message_id: int | None = None) -> int:
        """Press a button by its label, as a person would.

        Inline keyboards are searched newest first (only `message_id`'s if given), an exact label
        before one containing `text`; failing that, a button of the reply keyboard is "pressed" by
        sending its label (or the user's contact, for a request_contact button).
        """
        chat = self.chat
        if message_id is not None:
            message = chat.by_id.get(message_id)
            if message is None or not message.from_bot:
                raise LookupError(f"no bot message {message_id} in chat {self.id}")
            candidates = [message]
        else:
            candidates = [m for m in reversed(chat.bot_messages) if m.inline_keyboard]
        for message in candidates:
            button = _find_button(message.inline_keyboard, text)
            if button is None:
                continue
            if "callback_data" not in button:
                kind = next(k for k in button if k != "text")
                raise LookupError(
                    f"button {button['text']!r} is a {kind} button, not a callback one"
                )
            return self.press(message.message_id, button["callback_data"])
        key = _find_button(chat.reply_keyboard, text) if message_id is None else None
        if key is not None:
            if key.get("request_contact"):
                return self.send_contact()
            if key.get("request_location"):
                raise LookupError(f"{key['text']!r} asks for a location: use send_location()")
            return self.send(key["text"])
        shown = candidates[0].buttons() if candidates else []
        raise LookupError(
            f"no button {text!r}; newest inline keyboard: {shown}; "
            f"reply keyboard: {chat.keyboard_labels}"
        )

    # --- seeing ------------------------------------------------------------------------
    @property
    def messages(self) -> list[ChatMessage]:
        """The whole chat, in order: edits applied in place, deleted messages gone."""
        return self.chat.messages

    @property
    def bot_messages(self) -> list[ChatMessage]:
        return self.chat.bot_messages

    @property
    def last_bot_message(self) -> ChatMessage | None:
        bot_messages = self.chat.bot_messages
        return bot_messages[-1] if bot_messages else None

    @property
    def last_text(self) -> str:
        message = self.last_bot_message
        return message.content if message else ""

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard the user has now (None when there is none)."""
        return self.chat.keyboard_labels

    @property
    def commands(self) -> list[tuple[str, str]]:
        """The command menu this user sees."""
        return [
            (c["command"], c["description"])
            for c in self.emulator.commands_for(self.id, self.language_code)
        ]

    async def wait_for_bot_message(
        self, after_count: int | None = None, timeout: float = 5.0
    ) -> ChatMessage:
        """The bot message number `after_count` (0-based) once it exists; by default the next."""
        bot_messages = self.chat.bot_messages
        count = len(bot_messages) if after_count is None else after_count
        try:
            await self.chat.changed.wait_for(lambda: len(bot_messages) > count, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{self!r} got no bot message #{count + 1} within {timeout} s "
                f"(last: {self.last_text!r})"
            ) from None
        return bot_messages[count]
