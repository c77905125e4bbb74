"""Bot API methods about the bot itself: identity, command menus, menu buttons, profile texts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.dispatch import Call, api_method
from emulator.errors import bad_request

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
PROFILE_TEXTS = {"name": 64, "description": 512, "short_description": 120}
_LANGUAGE = re.compile(r"[a-z]{2}")


def language_code(call: Call) -> str:
    """The language_code of the bot settings methods: empty, or two lower-case letters (an ISO
    639-1 code); "zh-hans", "zh_Hans" or "ZH" are refused as the real server refuses them."""
    code = call.get_str("language_code") or ""
    if code and not _LANGUAGE.fullmatch(code):
        raise bad_request("Invalid language code specified")
    return code


@api_method("getMe")
async def get_me(emu: BotApiEmulator, call: Call) -> Any:
    return emu.bot_user()


@api_method("logOut")
async def log_out(emu: BotApiEmulator, call: Call) -> Any:
    return True


@api_method("close")
async def close(emu: BotApiEmulator, call: Call) -> Any:
    return True


@api_method("getChat")
async def get_chat(emu: BotApiEmulator, call: Call) -> Any:
    try:
        chat_id = int(call.get("chat_id", ""))
    except (TypeError, ValueError):
        raise bad_request("chat not found") from None
    emu.chat(chat_id)
    gifts = {
        "unlimited_gifts": False,
        "limited_gifts": False,
        "unique_gifts": False,
        "premium_subscription": False,
        "gifts_from_channels": False,
    }
    return {
        **emu.chat_json(chat_id),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


# --- commands ----------------------------------------------------------------------------
def command_key(emu: BotApiEmulator, call: Call) -> tuple[str, int | None, str]:
    """(scope type, chat id of a chat scope, language) for the *MyCommands methods."""
    scope = call.get_json("scope") or {"type": "default"}
    kind = scope.get("type") if isinstance(scope, dict) else None
    if kind not in SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    chat_id = None
    if kind.startswith("chat"):
        try:
            chat_id = int(str(scope.get("chat_id")))
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        emu.chat(chat_id)
    return kind, chat_id, language_code(call)


@api_method("setMyCommands")
async def set_my_commands(emu: BotApiEmulator, call: Call) -> Any:
    commands = call.get_json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an array of at most 100 BotCommand")
    clean = []
    for command in commands:
        name, description = command.get("command", ""), command.get("description", "")
        if not isinstance(name, str) or not _COMMAND.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": description})
    key = command_key(emu, call)
    if clean:
        emu.commands[key] = clean
    else:  # an empty list is how a bot deletes a menu
        emu.commands.pop(key, None)
    return True


@api_method("getMyCommands")
async def get_my_commands(emu: BotApiEmulator, call: Call) -> Any:
    return emu.commands.get(command_key(emu, call), [])


@api_method("deleteMyCommands")
async def delete_my_commands(emu: BotApiEmulator, call: Call) -> Any:
    emu.commands.pop(command_key(emu, call), None)
    return True


# --- menu button and profile -------------------------------------------------------------
@api_method("setChatMenuButton")
async def set_chat_menu_button(emu: BotApiEmulator, call: Call) -> Any:
    button = call.get_json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse MenuButton JSON object")
    if call.has("chat_id"):
        emu.chat(call.get_int("chat_id") or 0).menu_button = button
    else:
        emu.default_menu_button = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(emu: BotApiEmulator, call: Call) -> Any:
    if call.has("chat_id"):
        button = emu.chat(call.get_int("chat_id") or 0).menu_button
        if button is not None and button.get("type") != "default":
            return button
    button = emu.default_menu_button
    return button if button.get("type") != "default" else {"type": "commands"}


def _profile_methods(field: str, limit: int) -> None:
    """setMy<Field> / getMy<Field> for the name, description and short description."""
    title = "".join(part.title() for part in field.split("_"))

    async def setter(emu: BotApiEmulator, call: Call) -> Any:
        value = call.get_str(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        emu.bot_texts[(field, language_code(call))] = value
        return True

    async def getter(emu: BotApiEmulator, call: Call) -> Any:
        language = language_code(call)
        value = emu.bot_texts.get((field, language), emu.bot_texts.get((field, ""), ""))
        if field == "name" and not value:
            value = emu.bot_first_name
        return {field: value}

    api_method(f"setMy{title}")(setter)
    api_method(f"getMy{title}")(getter)


for _field, _limit in PROFILE_TEXTS.items():
    _profile_methods(_field, _limit)
