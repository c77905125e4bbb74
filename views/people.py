"""People over time, as they see it: /homes (their homes, moving out with a confirmation, an
owner's list of who is registered there), and the polite messages when a role or a registration
ends (revoked by the office, removed by the owner, a home sold)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import Translator, html, join
from core.screen import Screen, button, keyboard
from models import EndReason
from services.memberships import HomeEntry, Member
from services.notify import renders
from views import labels
from views.callbacks import CallbackData


@dataclasses.dataclass(frozen=True)
class HomeMembers(CallbackData, kind="hmb"):
    household_id: int


@dataclasses.dataclass(frozen=True)
class LeaveHome(CallbackData, kind="hlv"):
    household_id: int
    confirmed: bool


@dataclasses.dataclass(frozen=True)
class RemoveMember(CallbackData, kind="hrm"):
    membership_id: int
    confirmed: bool


@dataclasses.dataclass(frozen=True)
class KeepRegistration(CallbackData, kind="hno"):
    pass


def _membership(home: HomeEntry, _: Translator) -> Markup:
    return html(
        "{place} ({membership})", place=home.label, membership=labels.membership(home.kind, _)
    )


# --- /homes -------------------------------------------------------------------------------------
def homes(found: list[HomeEntry], _: Translator) -> Screen:
    """The person's homes; owners see who else is registered; anyone can say they moved out."""
    if not found:
        return Screen(_("You are not registered with any home."))
    lines = [_("<b>Your homes</b>")]
    lines += [html("• {home}", home=_membership(home, _)) for home in found]
    lines.append(
        _(
            "If you have moved out of a home, tell the bot here: you will no longer receive its notices and bills."
        )
    )
    rows = []
    for home in found:
        if home.owner:
            rows.append(
                [
                    button(
                        _("Who is registered: {home}").format(home=home.label),
                        HomeMembers(home.household_id),
                    )
                ]
            )
        rows.append(
            [
                button(
                    _("I have moved out: {home}").format(home=home.label),
                    LeaveHome(home.household_id, False),
                )
            ]
        )
    return Screen(join(lines), keyboard(*rows))


def leave_question(home: HomeEntry, _: Translator) -> Screen:
    lines = [
        _(
            "End your registration with {home}? You will no longer receive its notices and bills, nor report for it."
        ).format(home=_membership(home, _))
    ]
    if home.owner:
        lines.append(
            _(
                "As an owner you also give up its vote in the owners' assembly. If you have sold the home, please tell the property office so the sale is recorded."
            )
        )
    rows = [
        button(_("Yes, I have moved out"), LeaveHome(home.household_id, True)),
        button(_("No, keep it"), KeepRegistration()),
    ]
    return Screen(join(lines), keyboard(rows))


def moved_out(label: str, _: Translator) -> Screen:
    return Screen(
        _(
            "Done: you are no longer registered with {home}. Thank you, and all the best in your new home!"
        ).format(home=label)
    )


def kept(_: Translator) -> Screen:
    return Screen(_("Nothing was changed."))


def members(home: HomeEntry, found: list[Member], _: Translator, tz: ZoneInfo) -> Screen:
    """Who is registered with the owner's home, since when; tenants and family can be removed."""
    lines = [_("<b>Registered with {home}</b>").format(home=home.label)]
    for member in found:
        lines.append(
            _("• {name}, {membership}, since {date}").format(
                name=member.name or "—",
                membership=labels.membership(member.kind, _),
                date=_.date(member.since, tz),
            )
        )
    rows = [
        [
            button(
                _("Remove {name}").format(name=m.name or "—"), RemoveMember(m.membership_id, False)
            )
        ]
        for m in found
        if m.removable
    ]
    if rows:
        lines.append(_("A tenant or family member who has moved out can be removed here."))
    return Screen(join(lines), keyboard(*rows))


def remove_question(member: Member, label: str, _: Translator) -> Screen:
    text = _(
        "End the registration of {name} ({membership}) with {home}? They will be told."
    ).format(name=member.name or "—", membership=labels.membership(member.kind, _), home=label)
    rows = [
        button(_("Yes, remove"), RemoveMember(member.membership_id, True)),
        button(_("No, keep it"), KeepRegistration()),
    ]
    return Screen(text, keyboard(rows))


def removed(label: str, _: Translator) -> Screen:
    return Screen(_("Done: that registration with {home} has ended.").format(home=label))


# --- what the person is told -----------------------------------------------------------------
@renders("role.ended")
def role_ended(_: Translator, *, tz: ZoneInfo, role: str, scope_kind: str, place: str) -> Screen:
    return Screen(
        _(
            "Your role as {role} for {scope} {place} has ended. Thank you for your work! The commands of that role are no longer in your menu."
        ).format(role=labels.role(role, _), scope=labels.scope(scope_kind, _), place=place)
    )


@renders("role.granted")
def role_granted(_: Translator, *, tz: ZoneInfo, role: str, scope_kind: str, place: str) -> Screen:
    return Screen(
        _(
            "The property office has made you {role} for {scope} {place}. The commands of the role are now in your menu; /help lists them."
        ).format(role=labels.role(role, _), scope=labels.scope(scope_kind, _), place=place)
    )


@renders("membership.ended")
def membership_ended(
    _: Translator, *, tz: ZoneInfo, home: str, reason: str, on: datetime
) -> Screen:
    if reason == EndReason.SOLD:
        text = _(
            "{home} has passed to its new owner on {date}, and your registration with it has ended. Thank you for being part of the compound!"
        )
    elif reason == EndReason.REMOVED:
        text = _(
            "The owner of {home} has ended your registration with this home on {date}. If this is a mistake, please ask them or the property office."
        )
    else:
        text = _(
            "The property office has ended your registration with {home} on {date}. If this is a mistake, please contact the office."
        )
    return Screen(text.format(home=home, date=_.date(on, tz)))
