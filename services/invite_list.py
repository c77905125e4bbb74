"""Invite codes as a list for the office (CSV): the home, owner or tenant, the code, the link and
until when it is valid, in the reader's language and the compound's time (to the minute).

Like every file the bot writes it goes through services/tables: homes are text cells, never
formulas. (The printable cards are views/invite_cards.py.)
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.i18n import N_, Msg, Translator
from services.invites import IssuedInvite, deep_link
from services.tables import Column, Table, csv_text, local

KINDS: dict[str, Msg] = {"owner": N_("owner"), "tenant": N_("tenant")}
COLUMNS = (
    Column(N_("Home"), key="household"),
    Column(N_("Invite for"), key="kind"),
    Column(N_("Invite code"), key="code"),
    Column(N_("Link"), key="link"),
    Column(N_("Valid until"), "datetime", key="expires_at"),
)


def invite_table(issued: list[IssuedInvite], bot_username: str, tz: ZoneInfo) -> Table:
    return Table(
        COLUMNS,
        [
            [
                invite.label,
                KINDS.get(invite.kind, invite.kind),
                invite.code,
                deep_link(bot_username, invite.code),
                local(invite.expires_at, tz),
            ]
            for invite in issued
        ],
    )


def invite_csv(issued: list[IssuedInvite], bot_username: str, tz: ZoneInfo, _: Translator) -> str:
    return csv_text(invite_table(issued, bot_username, tz), _)
