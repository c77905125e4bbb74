"""The demo: the Bot API emulator, the real bot and a seeded compound, without a Telegram token."""
