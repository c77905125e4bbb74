"""Joining the bot: the greeting of /start, what an invite joins, the privacy notice with its
consent buttons, and the welcome."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from markupsafe import Markup

from core.i18n import Translator, join
from core.screen import Keyboard, Screen, button, keyboard
from models import InviteKind
from services.invites import InvitePreview
from services.residents import Standing
from views import labels
from views.account import help_text
from views.callbacks import CallbackData


@dataclasses.dataclass(frozen=True)
class Consent(CallbackData, kind="consent"):
    code: str  # the invite code, or "" for someone who already holds a role


@dataclasses.dataclass(frozen=True)
class Decline(CallbackData, kind="decline"):
    pass


def privacy_notice(_: Translator) -> Markup:
    return join(
        [
            Markup("<b>{}</b>").format(_("Privacy notice")),
            _(
                "To serve you, the bot keeps your Telegram ID, the name you use on Telegram, your "
                "language, your household and, only if you give it, your phone number. "
                "We never ask for ID-card numbers."
            ),
            _(
                "Your data is used only for property services in your compound. Your name and "
                "phone are visible only to the staff and liaison who need them, and every "
                "access is logged. Published results are totals only."
            ),
            _(
                "You can see and export your data with /mydata and delete it with /forgetme at any time."
            ),
        ]
    )


def joining_text(preview: InvitePreview, _: Translator) -> Markup:
    """What the invite makes the person: a member of a home, or a role over a place."""
    if preview.kind == InviteKind.HOUSEHOLD:
        return _("This invite registers you as the {membership} of {place}.").format(
            membership=labels.membership(preview.membership, _), place=preview.place
        )
    return _("This invite makes you {role} for {place}.").format(
        role=labels.role(preview.role, _), place=preview.place
    )


def _consent_buttons(code: str, _: Translator) -> Keyboard:
    return keyboard([button(_("I agree"), Consent(code)), button(_("No, thanks"), Decline())])


def greeting(
    standing: Standing, name: str, commands: Sequence[tuple[str, str]], _: Translator
) -> Screen:
    """/start without a code: welcome back with /help; the privacy notice for someone granted a
    role who has not consented yet; otherwise how to join."""
    if standing == Standing.REGISTERED:
        text = join(
            [_("Welcome back, {name}!").format(name=name), Markup(""), help_text(commands, True, _)]
        )
        return Screen(text)
    if standing == Standing.CONSENT_PENDING:
        return Screen(privacy_notice(_), _consent_buttons("", _))
    return Screen(
        join(
            [
                _("Welcome to Red Property, the service bot of your residential compound."),
                Markup(""),
                _("To join, open the invite link from your property office or liaison."),
            ]
        )
    )


def invitation(preview: InvitePreview, code: str, _: Translator) -> Screen:
    """What the code joins and the privacy notice, before anything is stored."""
    text = join([joining_text(preview, _), Markup(""), privacy_notice(_)])
    return Screen(text, _consent_buttons(code, _))


def joined_text(preview: InvitePreview, _: Translator) -> Markup:
    """What the person is now, once they agreed (the invite's own text speaks of the future)."""
    if preview.kind == InviteKind.HOUSEHOLD:
        return _("Welcome! You are registered as the {membership} of {place}.").format(
            membership=labels.membership(preview.membership, _), place=preview.place
        )
    return _("Welcome! You are now {role} for {place}.").format(
        role=labels.role(preview.role, _), place=preview.place
    )


def registered(preview: InvitePreview | None, _: Translator) -> Screen:
    """The invitation's message once the person has agreed: what they have joined."""
    if preview is None:
        return Screen(_("Welcome! You are registered."))
    return Screen(joined_text(preview, _))


def declined(_: Translator) -> Screen:
    return Screen(
        _("Nothing was saved. You can open the invite link again whenever you are ready.")
    )
