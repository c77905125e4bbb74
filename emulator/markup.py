"""reply_markup as Telegram checks it: inline keyboards (validated button by button), reply
keyboards, ReplyKeyboardRemove and ForceReply.

As the real server: an inline button takes the first of its action fields in the server's order
(a button with both url and callback_data is a URL button; its callback_data is ignored); a row
keeps its first 12 buttons and silently drops the rest; more than 100 inline buttons in all is
"reply markup is too long". Dropped buttons are counted in `Markup.dropped` so a test can see
what a user would silently miss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.errors import ApiError

# An inline button's action: the first of these it has, in the order the server reads them.
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "callback_game",
    "pay",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "login_url",
    "web_app",
    "copy_text",
)
MAX_INLINE_BUTTONS = 100
MAX_ROW_BUTTONS = 12
URL_SCHEMES = ("http://", "https://", "tg://")


@dataclass
class Markup:
    """What a reply_markup does to the chat."""

    inline_keyboard: list[list[dict[str, Any]]] | None = None
    reply_keyboard: list[list[dict[str, Any]]] | None = None
    one_time_keyboard: bool = False
    remove_keyboard: bool = False
    force_reply: bool = False
    dropped: int = 0  # buttons past 12 in a row, which the server drops without a word


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
    # Telegram treats an empty callback_data (or url) as absent, hence the "text button" error.
    action = next((key for key in INLINE_ACTIONS if button.get(key) not in (None, "")), None)
    if action is None:
        raise _bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if action == "callback_data" and (
        not isinstance(data, str) or len(data.encode()) > max_callback_data
    ):
        raise _bad("BUTTON_DATA_INVALID")
    url = button.get("url")
    if action == "url" and (not isinstance(url, str) or not url.startswith(URL_SCHEMES)):
        raise _bad("BUTTON_URL_INVALID")
    # The button as the server keeps it (and shows it): its text and its one action.
    kept = {"text": button["text"], action: button[action]}
    for extra in ("style", "icon_custom_emoji_id"):
        if extra in button:
            kept[extra] = button[extra]
    return kept


def parse_inline_keyboard(
    markup: Any, max_callback_data: int, dropped: list[int] | None = None
) -> list[list[dict[str, Any]]]:
    """The rows as the server keeps them; the count of buttons it dropped goes to `dropped`."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        raise _bad("can't parse inline keyboard markup JSON object")
    rows = _rows(markup, "inline_keyboard", "InlineKeyboardMarkup")
    kept = []
    lost = 0
    for row in rows:
        buttons = [check_inline_button(b, max_callback_data) for b in row]
        lost += max(0, len(buttons) - MAX_ROW_BUTTONS)
        if buttons:
            kept.append(buttons[:MAX_ROW_BUTTONS])
    if sum(len(row) for row in kept) > MAX_INLINE_BUTTONS:
        raise _bad("reply markup is too long")
    if dropped is not None:
        dropped.append(lost)
    return kept


def parse_markup(markup: Any, max_callback_data: int) -> Markup:
    """Validate a reply_markup of a send method; raise ApiError as Telegram would."""
    if markup is None or markup == {}:
        return Markup()
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        dropped: list[int] = []
        rows = parse_inline_keyboard(markup, max_callback_data, dropped)
        return Markup(inline_keyboard=rows or None, dropped=sum(dropped))
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
