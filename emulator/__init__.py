"""A Telegram Bot API emulator over real HTTP, for tests, benchmarks and the demo.

Start it (`async with BotApiEmulator(token=...) as emu`), point python-telegram-bot at
`emu.base_url` and `emu.base_file_url`, add users with `emu.add_user(...)`, and act as them:
`user.send("/start")`, `await user.wait_for_bot_message()`, `user.press_button("同意")`.
"""

from emulator.errors import ApiError
from emulator.limits import ApiLimits
from emulator.server import BotApiEmulator
from emulator.state import ChatMessage, StoredFile
from emulator.users import EmulatedUser

__all__ = ["ApiError", "ApiLimits", "BotApiEmulator", "ChatMessage", "EmulatedUser", "StoredFile"]
