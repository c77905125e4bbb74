"""The console's pages, one module per area; each registers its routes on the Console."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.app import Console


def register(console: Console) -> None:
    from console.pages import fees, home, households, kpi, notices, roles, roster, tickets, votes

    for area in (home, households, roles, roster, tickets, fees, votes, notices, kpi):
        area.register(console)
