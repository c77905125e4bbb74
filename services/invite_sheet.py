"""Invite codes for the office: a CSV (the printable cards are views/invite_cards).

The CSV goes through services/tables like every file the bot writes: homes and names are text
cells, never formulas, and the expiry is the local time of the deployment.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.invites import IssuedInvite, deep_link
from services.tables import Column, Table, csv_text

# Column names are the file's interface (mail merges and the office's own lists read them).
COLUMNS = (
    Column("household"),
    Column("kind"),
    Column("code"),
    Column("link"),
    Column("expires_at", "datetime"),
)


def invite_table(issued: list[IssuedInvite], bot_username: str, tz: ZoneInfo) -> Table:
    return Table(
        COLUMNS,
        [
            [
                invite.label,
                invite.kind,
                invite.code,
                deep_link(bot_username, invite.code),
                invite.expires_at.astimezone(tz).replace(tzinfo=None),
            ]
            for invite in issued
        ],
    )


def invite_csv(issued: list[IssuedInvite], bot_username: str, tz: ZoneInfo) -> str:
    return csv_text(invite_table(issued, bot_username, tz))
