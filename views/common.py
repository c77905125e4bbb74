"""Screens every feature shares: a stale button, a refusal, and what a step that waits for a
button or for text says to anything else."""

from __future__ import annotations

from core.i18n import Translator
from core.screen import Screen
from services.drafts import STALE
from services.errors import DomainError


def stale_button(_: Translator) -> Screen:
    return Screen(_(STALE))


def refusal(error: DomainError, _: Translator) -> Screen:
    """A rule said no (the message names which, with the values escaped)."""
    return Screen(error.render(_))


def use_the_buttons(_: Translator) -> Screen:
    return Screen(_("Please choose with the buttons above, or send /cancel to stop."))


def need_text(_: Translator) -> Screen:
    return Screen(_("Please answer with text."))


def update_given_up(_: Translator) -> Screen:
    """An update that never finished (its workers kept dying on it) was given up (jobs/inbox.py)."""
    return Screen(
        _(
            "Sorry, we could not handle your last message. Please send it again; if this "
            "keeps happening, please contact the property office."
        )
    )


def not_applied(_: Translator, *, partly: bool = False) -> Screen:
    """The database stayed unreachable: what the user did was not applied (or only in part)."""
    if partly:
        return Screen(
            _(
                "Our database was unavailable, so what you just did was only partly saved. "
                "Please check and try again in a few minutes."
            )
        )
    return Screen(
        _(
            "Our database is unavailable at the moment, so what you just did was not applied. "
            "Please try again in a few minutes."
        )
    )
