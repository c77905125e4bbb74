"""What a person sees who writes to a bot of the city that does not serve their home."""

from __future__ import annotations

from core.i18n import Translator
from core.screen import Screen


def use_home_bot(username: str, _: Translator) -> Screen:
    """Their compound is served by another bot: its name and the link that opens it."""
    return Screen(
        _("Your home is served by the bot @{bot}. Please write to it there: {link}").format(
            bot=username, link=f"https://t.me/{username}"
        )
    )
