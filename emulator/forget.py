"""Telegram forgetting file ids, for tests of the bot's file-id cache.

A file id belongs to one bot token and can stop working (a new token after a leak, an expired
file reference): Telegram then answers "wrong file identifier". `forget_file_ids` makes the
emulator answer so for the given ids (every stored file when none are given).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.core import EmulatorCore


def forget_file_ids(emu: EmulatorCore, file_ids: Iterable[str] | None = None) -> list[str]:
    """Drop these files; returns the ids forgotten."""
    chosen = list(emu.files) if file_ids is None else [f for f in file_ids if f in emu.files]
    for file_id in chosen:
        del emu.files[file_id]
    return chosen
