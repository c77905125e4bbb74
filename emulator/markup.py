"""reply_markup as Telegram checks it: inline keyboards (validated button by button), reply
keyboards, ReplyKeyboardRemove and ForceReply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.errors import ApiError

# An inline button must have exactly one of these.
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)
URL_SCHEMES = ("http://", "https://", "tg://")


@dataclass
class Markup:
    """What a reply_markup does to the chat."""

    inline_keyboard: list[list[dict[str, Any]]] | None = None
    reply_keyboard: list[list[dict[str, Any]]] | None = None
    one_time_keyboard: bool = False
    remove_keyboard: bool = False
    force_reply: bool = False


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _rows(markup: dict[str, Any], key: str, kind: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(f'field "{key}" of the {kind} must be an Array of Arrays')
    return rows


def check_inline_button(button: Any, max_callback_data: int) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str) or not button["text"].strip():
        raise _bad("BUTTON_TEXT_INVALID")
    # Telegram treats an empty callback_data as absent, hence the "text button" error for it.
    actions = [key for key in INLINE_ACTIONS if button.get(key) not in (None, "")]
    if not actions:
        raise _bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise _bad(
            "can't parse inline keyboard button: exactly one of the optional fields "
            f"must be used, found {', '.join(actions)}"
        )
    data = button.get("callback_data")
    if data is not None and (not isinstance(data, str) or len(data.encode()) > max_callback_data):
        raise _bad("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(URL_SCHEMES)):
        raise _bad("BUTTON_URL_INVALID")
    return button


def parse_inline_keyboard(markup: Any, max_callback_data: int) -> list[list[dict[str, Any]]]:
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        raise _bad("can't parse inline keyboard markup JSON object")
    rows = _rows(markup, "inline_keyboard", "InlineKeyboardMarkup")
    return [[check_inline_button(b, max_callback_data) for b in row] for row in rows if row]


def parse_markup(markup: Any, max_callback_data: int) -> Markup:
    """Validate a reply_markup of a send method; raise ApiError as Telegram would."""
    if markup is None or markup == {}:
        return Markup()
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return Markup(inline_keyboard=parse_inline_keyboard(markup, max_callback_data) or None)
    if "keyboard" in markup:
        keyboard = []
        for row in _rows(markup, "keyboard", "ReplyKeyboardMarkup"):
            buttons = [b if isinstance(b, dict) else {"text": str(b)} for b in row]
            if any(not isinstance(b.get("text"), str) or not b["text"] for b in buttons):
                raise _bad("BUTTON_TEXT_INVALID")
            if buttons:
                keyboard.append(buttons)
        if not keyboard:
            raise _bad("keyboard must be non-empty")
        return Markup(
            reply_keyboard=keyboard, one_time_keyboard=bool(markup.get("one_time_keyboard"))
        )
    if markup.get("remove_keyboard"):
        return Markup(remove_keyboard=True)
    if markup.get("force_reply"):
        return Markup(force_reply=True)
    raise _bad("can't parse reply keyboard markup JSON object")
