"""Bot API methods that change what is already in a chat: edits, deletions, callback answers.

Edits follow Telegram: only the bot's own messages, "message is not modified" when nothing
changes, and editing a text without reply_markup removes its inline keyboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.api_messages import formatted_text, target_chat
from emulator.dispatch import Call, api_method
from emulator.errors import bad_request
from emulator.markup import parse_inline_keyboard
from emulator.state import Chat, ChatMessage

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def edit_target(emu: BotApiEmulator, call: Call) -> tuple[Chat, ChatMessage]:
    if call.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the bot sends no inline messages
    chat = target_chat(emu, call)
    message = chat.by_id.get(call.get_int("message_id") or 0)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def new_keyboard(emu: BotApiEmulator, call: Call) -> list[list[dict[str, Any]]] | None:
    markup = call.get_json("reply_markup")
    if not markup:
        return None
    dropped: list[int] = []
    rows = parse_inline_keyboard(markup, emu.limits.max_callback_data, dropped)
    if sum(dropped):
        emu.violations.append(("reply_markup", f"{sum(dropped)} buttons past 12 in a row dropped"))
    return rows or None


def apply_edit(
    emu: BotApiEmulator,
    chat: Chat,
    message: ChatMessage,
    keyboard: list[list[dict[str, Any]]] | None,
) -> dict[str, Any]:
    message.inline_keyboard = keyboard
    if keyboard:
        message.raw["reply_markup"] = {"inline_keyboard": keyboard}
    else:
        message.raw.pop("reply_markup", None)
    message.edited = True
    message.raw["edit_date"] = emu.now()
    emu.emit(chat, "edit", message)
    return message.raw


def set_field(raw: dict[str, Any], key: str, value: Any) -> None:
    if value:
        raw[key] = value
    else:
        raw.pop(key, None)


@api_method("editMessageText")
async def edit_message_text(emu: BotApiEmulator, call: Call) -> Any:
    chat, message = edit_target(emu, call)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    text, html = formatted_text(emu, call, "text", required=True)
    assert text is not None
    keyboard = new_keyboard(emu, call)
    if (text.text, text.entities, keyboard) == (
        message.text,
        message.entities,
        message.inline_keyboard,
    ):
        raise bad_request(NOT_MODIFIED)
    message.text, message.entities, message.html = text.text, text.entities, html
    message.parse_mode = call.get_str("parse_mode")
    message.raw["text"] = text.text
    set_field(message.raw, "entities", text.entities)
    return apply_edit(emu, chat, message, keyboard)


@api_method("editMessageCaption")
async def edit_message_caption(emu: BotApiEmulator, call: Call) -> Any:
    chat, message = edit_target(emu, call)
    if message.kind not in ("photo", "document"):
        raise bad_request("there is no caption in the message to edit")
    caption, html = formatted_text(emu, call, "caption", required=False)
    text = caption.text if caption else None
    entities = caption.entities if caption else []
    keyboard = new_keyboard(emu, call)
    if (text, entities, keyboard) == (message.caption, message.entities, message.inline_keyboard):
        raise bad_request(NOT_MODIFIED)
    message.caption, message.entities, message.html = text, entities, html
    message.parse_mode = call.get_str("parse_mode")
    set_field(message.raw, "caption", text)
    set_field(message.raw, "caption_entities", entities)
    return apply_edit(emu, chat, message, keyboard)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(emu: BotApiEmulator, call: Call) -> Any:
    chat, message = edit_target(emu, call)
    keyboard = new_keyboard(emu, call)
    if keyboard == message.inline_keyboard:
        raise bad_request(NOT_MODIFIED)
    return apply_edit(emu, chat, message, keyboard)


def deletable(emu: BotApiEmulator, message: ChatMessage) -> bool:
    """A message can be deleted only within 48 hours of being sent (on the emulator's clock)."""
    return emu.now() - message.date < emu.limits.delete_window


@api_method("deleteMessage")
async def delete_message(emu: BotApiEmulator, call: Call) -> Any:
    chat = emu.chat(call.get_int("chat_id") or 0)
    message = chat.by_id.get(call.get_int("message_id") or 0)
    if message is None:
        raise bad_request("message to delete not found")
    if not deletable(emu, message):
        raise bad_request("message can't be deleted")
    chat.remove(message.message_id)
    emu.emit(chat, "delete", message)
    return True


@api_method("deleteMessages")
async def delete_messages(emu: BotApiEmulator, call: Call) -> Any:
    chat = emu.chat(call.get_int("chat_id") or 0)
    message_ids = call.get_json("message_ids")
    if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
        raise bad_request("message_ids must contain 1-100 message identifiers")
    # Telegram skips the messages it cannot delete (missing, or older than 48 hours).
    for message_id in message_ids:
        message = chat.by_id.get(int(message_id))
        if message is not None and deletable(emu, message):
            chat.remove(message.message_id)
            emu.emit(chat, "delete", message)
    return True


@api_method("answerCallbackQuery")
async def answer_callback_query(emu: BotApiEmulator, call: Call) -> Any:
    query_id = call.get_str("callback_query_id") or ""
    query = emu.callback_queries.get(query_id)
    # A press can be answered once, and only for a while (150 s on the real server): a bot that
    # was down when the user pressed gets this error for the presses waiting for it.
    if query is None or query["answered"]:
        raise bad_request(QUERY_INVALID)
    if emu.monotonic_now() - query["created"] > emu.limits.callback_query_timeout:
        raise bad_request(QUERY_INVALID)
    text = call.get_str("text")
    if text and len(text) > emu.limits.max_callback_answer:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    answer = {
        "query_id": query_id,
        "text": text,
        "show_alert": call.get_bool("show_alert"),
        "answered": True,
    }
    if call.has("url"):
        answer["url"] = call.get_str("url")
    emu.users[query["user_id"]].callback_answers.append(answer)
    chat = emu.chats[query["user_id"]]
    emu.emit(chat, "callback_answer", chat.by_id.get(query["message_id"]), answer=answer)
    return True
