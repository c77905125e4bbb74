"""A Telegram Bot API emulator over real HTTP, for tests, benchmarks and the demo."""

from emulator.limits import ApiLimits
from emulator.server import ApiError, BotApiEmulator
from emulator.state import ChatMessage
from emulator.users import EmulatedUser

__all__ = ["ApiError", "ApiLimits", "BotApiEmulator", "ChatMessage", "EmulatedUser"]
