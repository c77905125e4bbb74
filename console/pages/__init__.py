"""The console's pages, one module per area; each registers its routes on the Console."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.app import Console


def register(console: Console) -> None:
    from console.pages import home, households, roles, roster

    for area in (home, households, roles, roster):
        area.register(console)
