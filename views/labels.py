"""Display names of domain values: memberships, roles, places and service models, translated
where they are shown; an unknown value is shown as it is (escaped)."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

from core.i18n import N_, Msg, Translator
from models import MembershipKind, Role, ScopeKind, ServiceModel

MEMBERSHIP: dict[str, Msg] = {
    MembershipKind.OWNER: N_("owner"),
    MembershipKind.CO_OWNER: N_("co-owner"),
    MembershipKind.TENANT: N_("tenant"),
    MembershipKind.FAMILY: N_("family member"),
}
ROLE: dict[str, Msg] = {
    Role.LIAISON: N_("Party-member liaison"),
    Role.STAFF: N_("property staff"),
    Role.SUPERVISOR: N_("quality supervisor"),
    Role.COMMITTEE: N_("owners' committee member"),
    Role.OFFICER: N_("officer"),
    Role.ADMIN: N_("administrator"),
}
SCOPE: dict[str, Msg] = {
    ScopeKind.CITY: N_("city"),
    ScopeKind.DISTRICT: N_("district"),
    ScopeKind.SUB_DISTRICT: N_("sub-district"),
    ScopeKind.COMMUNITY: N_("community"),
    ScopeKind.COMPOUND: N_("compound"),
    ScopeKind.GRID: N_("grid"),
    ScopeKind.BUILDING: N_("building"),
}
SERVICE_MODEL: dict[str, Msg] = {
    ServiceModel.PROFESSIONAL: N_("professional takeover"),
    ServiceModel.SELF_HELP: N_("self-help"),
    ServiceModel.PUBLIC_WELFARE: N_("public-welfare custody"),
    ServiceModel.GUIDED: N_("professional guidance with community co-management"),
    ServiceModel.NONE: N_("none yet"),
}


def label(table: Mapping[str, Msg], value: str | None, _: Translator) -> Markup:
    """The translated name of `value` in `table`, or the value itself as data."""
    msgid = table.get(value or "")
    return _(msgid) if msgid else escape(value or "—")


def membership(kind: str | None, _: Translator) -> Markup:
    return label(MEMBERSHIP, kind, _)


def role(value: str | None, _: Translator) -> Markup:
    return label(ROLE, value, _)


def scope(kind: str | None, _: Translator) -> Markup:
    return label(SCOPE, kind, _)


def service_model(value: str | None, _: Translator) -> Markup:
    return label(SERVICE_MODEL, value, _)
