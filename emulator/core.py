"""The emulated Telegram world, without HTTP: users and their private chats with the bot, files,
the update queue, command menus, and the events that tell observers what changed.

`BotApiEmulator` (server.py) adds the HTTP side; tests use the methods here directly.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulator.errors import ApiError, bad_request
from emulator.limits import ApiLimits, FloodControl
from emulator.markup import Markup
from emulator.state import Chat, ChatMessage, Signal, StoredFile
from emulator.updates import UpdateQueue

if TYPE_CHECKING:
    from emulator.dispatch import Call
    from emulator.users import EmulatedUser

log = logging.getLogger(__name__)

Event = dict[str, Any]
# (scope type, chat id for a chat scope, language code) -> commands
CommandKey = tuple[str, int | None, str]
PAID_STARS = Decimal("0.1")  # what one paid-broadcast message costs the bot


class EmulatorCore:
    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "RedPropertyBot",
        limits: ApiLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
        bot_first_name: str = "Red Property",
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("a bot token looks like '123456:secret'")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.limits = limits or ApiLimits()
        self.monotonic = monotonic
        self.wallclock = wallclock
        # Seconds the emulator's clock runs ahead of the real one (advance_clock): tests make a
        # button press or a message old without sleeping. Flood control, callback query expiry
        # and message dates all read this clock.
        self.clock_offset = 0.0
        self.flood = FloodControl(self.limits, self.monotonic_now)
        self.users: dict[int, EmulatedUser] = {}
        self.chats: dict[int, Chat] = {}
        # Methods whose answer is held back (a slow connection): the call takes effect at once
        # (the user sees the message) but the bot hears of it only when the gate opens.
        self.held_answers: dict[str, asyncio.Event] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[CommandKey, list[dict[str, str]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.invoices: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, message id) -> invoice
        self.pre_checkout_queries: dict[str, dict[str, Any]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}  # (name|description|..., language)
        self.default_menu_button: dict[str, Any] = {"type": "commands"}
        # Every request refused with 400, as (method, description): a test can check that the
        # bot never sent Telegram something it cannot parse.
        self.refused: list[tuple[str, str]] = []
        # Requests the real server would take but that do not do what the bot meant, or that
        # break the published spec (emulator/spec.py), as (method, problem): the test world
        # fails a test that leaves any.
        self.violations: list[tuple[str, str]] = []
        self.stats: dict[str, Any] = {
            "requests": 0,
            "sent": 0,
            "429": 0,
            "403": 0,
            "400": 0,
            "paid_broadcast": 0,  # sends with allow_paid_broadcast that went through
            "methods": {},
        }
        self._confirmations = Signal()
        self._changed = Signal()
        self.updates = UpdateQueue(on_confirm=self._confirmations.notify)
        self._subscribers: list[Callable[[Event], None]] = []
        self._user_ids = itertools.count(1000001)
        self._file_numbers = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}

    # --- users -------------------------------------------------------------------------
    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        user_id: int | None = None,
        phone_number: str | None = None,
        started: bool = True,
    ) -> EmulatedUser:
        """A Telegram user who has opened a private chat with the bot (chat id == user id).

        With started=False the user exists but never pressed Start: until they write to the bot,
        every send to them gets 403 "bot can't initiate conversation with a user"."""
        from emulator.users import EmulatedUser

        uid = user_id if user_id is not None else next(self._user_ids)
        if uid in self.users:
            raise ValueError(f"user {uid} exists")
        user = EmulatedUser(self, uid, first_name, last_name, username, language_code)
        if phone_number:
            user.phone_number = phone_number
        self.users[uid] = user
        self.chats[uid] = Chat(uid)
        self.chats[uid].started = started
        self._message_ids[uid] = itertools.count(1)  # private chats number messages per user
        return user

    def user(self, user_id: int) -> EmulatedUser:
        return self.users[user_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends and edits to the chat now get 403."""
        self.chats[user_id].blocked = True

    def unblock(self, user_id: int) -> None:
        self.chats[user_id].blocked = False

    def set_limits(self, limits: ApiLimits) -> None:
        self.limits = limits
        self.flood.configure(limits)

    def history(self, chat_id: int) -> list[ChatMessage]:
        return self.chats[chat_id].messages

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

    # --- Telegram objects ----------------------------------------------------------------
    def bot_user(self) -> dict[str, Any]:
        """The bot as a User object (what getMe returns)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        user = self.users[chat_id]
        chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": user.first_name}
        if user.last_name:
            chat["last_name"] = user.last_name
        if user.username:
            chat["username"] = user.username
        return chat

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids[chat_id])

    def now(self) -> int:
        """Unix time on the emulator's clock (message dates, the 48-hour deletion window)."""
        return int(self.wallclock() + self.clock_offset)

    def monotonic_now(self) -> float:
        """Monotonic seconds on the emulator's clock (flood control, callback query expiry)."""
        return self.monotonic() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward, as if `seconds` had passed."""
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward")
        self.clock_offset += seconds

    def store_file(
        self,
        data: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        kind: str = "document",
    ) -> StoredFile:
        """Keep a file; its id tells its kind (as Telegram's do: AgAC... photos, BQAC...
        documents), and a photo's id cannot be sent as a document nor the other way round."""
        if kind not in ("photo", "document"):
            raise ValueError(f"unknown file kind {kind!r}")
        number = next(self._file_numbers)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        stored = StoredFile(
            f"{prefix}{number:08d}", f"AQAD{number:08d}", data, file_name, mime_type, kind
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
        """Telegram sends a photo in several sizes, smallest first."""
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "width": width,
                "height": width * 3 // 4,
                "file_size": len(stored.data),
            }
            for width in (90, 320, 800)
        ]

    # --- what users do -------------------------------------------------------------------
    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def user_message(self, user_id: int, **content: Any) -> tuple[int, ChatMessage]:
        """A message from a user to the bot; returns (update_id, message)."""
        user, chat = self.users[user_id], self.chats[user_id]
        chat.started = True  # writing to the bot opens the chat: the bot may answer from now on
        message_id = self.next_message_id(user_id)
        raw: dict[str, Any] = {
            "message_id": message_id,
            "from": user.as_json(),
            "chat": self.chat_json(user_id),
            "date": self.now(),
            **content,
        }
        kind = next(
            (
                k
                for k in ("photo", "document", "location", "contact", "successful_payment")
                if k in content
            ),
            "text",
        )
        message = ChatMessage(
            message_id=message_id,
            chat_id=user_id,
            from_bot=False,
            date=raw["date"],
            kind=kind,
            text=content.get("text"),
            caption=content.get("caption"),
            photo_file_id=content["photo"][-1]["file_id"] if "photo" in content else None,
            document=content.get("document"),
            location=content.get("location"),
            contact=content.get("contact"),
            entities=content.get("entities") or content.get("caption_entities") or [],
            raw=raw,
        )
        chat.add(message)
        if chat.one_time_keyboard:  # a one-time keyboard hides once the user has answered
            chat.reply_keyboard, chat.one_time_keyboard = None, False
        self.emit(chat, "message", message)
        return self.updates.push("message", raw), message

    def callback_query(self, user_id: int, message_id: int, data: str) -> int:
        """The user presses an inline button with `data` on a bot message; returns update_id."""
        message = self.chats[user_id].by_id.get(message_id)
        if message is None or not message.from_bot:
            raise LookupError(f"no bot message {message_id} in chat {user_id}")
        query_id = f"{user_id}{next(self._query_ids):010d}"
        self.callback_queries[query_id] = {
            "user_id": user_id,
            "message_id": message_id,
            "data": data,
            "answered": False,
            "created": self.monotonic_now(),  # answerable for limits.callback_query_timeout
        }
        return self.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": self.users[user_id].as_json(),
                "message": dict(message.raw),  # as it is now: later edits don't change it
                "chat_instance": str(self.bot_id * 31 + user_id),
                "data": data,
            },
        )

    # --- what the bot does (called by the API methods once a call is valid) --------------
    def admit_send(self, chat: Chat, call: Call | None = None) -> None:
        """Flood control for a send to `chat`; raises 429 if Telegram would refuse it now. A
        send with allow_paid_broadcast is held to the paid global rate (1000/s) instead of the
        bot's, and costs the bot 0.1 Stars once it goes through (counted, never refused)."""
        paid = call is not None and call.get_bool("allow_paid_broadcast")
        retry_after = self.flood.check(chat.user_id, paid=paid)
        if retry_after is not None:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        if paid:
            self.stats["paid_broadcast"] += 1

    @property
    def paid_stars(self) -> Decimal:
        """The Stars paid broadcasts have taken from this bot's balance."""
        return PAID_STARS * self.stats["paid_broadcast"]

    def post_bot_message(self, chat: Chat, message: ChatMessage, markup: Markup) -> None:
        """A send went through: the message appears in the chat."""
        if markup.reply_keyboard is not None or markup.remove_keyboard:
            chat.reply_keyboard = markup.reply_keyboard  # None when removed
            chat.one_time_keyboard = markup.one_time_keyboard
        chat.add(message)
        self.emit(chat, "message", message)

    # --- observing ---------------------------------------------------------------------
    def hold_answers(self, method: str) -> asyncio.Event:
        """Until the returned event is set, calls of `method` take effect but are not answered
        (Telegram delivered the message; its reply to the bot is slow)."""
        gate = self.held_answers.setdefault(method, asyncio.Event())
        gate.clear()
        return gate

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        """Call `callback(event)` (synchronously) for every change of any chat."""
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[Event], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def emit(self, chat: Chat, kind: str, message: ChatMessage | None = None, **extra: Any) -> None:
        chat.changed.notify()
        self._changed.notify()
        if not self._subscribers:
            return
        event: Event = {"type": kind, "chat_id": chat.user_id}
        if message is not None:
            event["message"] = message.to_json()
        if kind == "message":
            event["reply_keyboard"] = chat.keyboard_labels
        event.update(extra)
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # an observer's bug must not fail the bot's request
                log.exception("emulator subscriber %r failed", callback)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until predicate() holds; it is re-checked whenever any chat changes."""
        await self._changed.wait_for(predicate, timeout)

    async def wait_confirmed(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait until the bot has confirmed the update (polled past it, or the webhook took it)."""
        await self._confirmations.wait_for(lambda: self.updates.is_confirmed(update_id), timeout)

    @property
    def pending_update_count(self) -> int:
        return len(self.updates)

    def clear_chats(self) -> None:
        """Forget every chat's history (the demo's reset); users and files stay."""
        for user_id in list(self.chats):
            old = self.chats[user_id]
            self.chats[user_id] = Chat(user_id)
            self.chats[user_id].blocked, self.chats[user_id].started = old.blocked, old.started
            self.emit(self.chats[user_id], "reset")

    def redeliver(self, update_id: int) -> None:
        """Deliver a confirmed update again, as Telegram does when the bot died before confirming."""
        self.updates.redeliver(update_id)

    async def wait_polling(self, timeout: float = 5.0) -> None:
        """Wait until a long poll (getUpdates with a timeout) is parked waiting for updates."""
        await self.updates.parked.wait_for(lambda: self.updates.waiting > 0, timeout)

    def release_pollers(self) -> None:
        """Answer waiting long polls now (empty), so a bot that is stopping need not wait."""
        self.updates.wake()

    # --- command menus -----------------------------------------------------------------
    def commands_for(self, user_id: int, language_code: str | None) -> list[dict[str, str]]:
        """The menu a user sees in the private chat, resolved as Telegram does: the chat scope,
        then all private chats, then the default scope; in each, the user's language (exact
        code, then its two-letter prefix) before the list without a language."""
        code = (language_code or "").lower()
        languages = list(dict.fromkeys((code, code[:2], "")))
        for kind, chat_id in (("chat", user_id), ("all_private_chats", None), ("default", None)):
            for language in languages:
                commands = self.commands.get((kind, chat_id, language))
                if commands:
                    return commands
        return []
