"""Display names of domain values (roles, memberships, scopes), marked for translation."""

from __future__ import annotations

from core.i18n import N_, Translator
from models import MembershipKind, Role, ScopeKind

MEMBERSHIP = {
    MembershipKind.OWNER: N_("owner"),
    MembershipKind.CO_OWNER: N_("co-owner"),
    MembershipKind.TENANT: N_("tenant"),
    MembershipKind.FAMILY: N_("family member"),
}
ROLE = {
    Role.LIAISON: N_("Party-member liaison"),
    Role.STAFF: N_("property staff"),
    Role.SUPERVISOR: N_("quality supervisor"),
    Role.COMMITTEE: N_("owners' committee member"),
    Role.OFFICER: N_("officer"),
    Role.ADMIN: N_("administrator"),
}
SCOPE = {
    ScopeKind.CITY: N_("city"),
    ScopeKind.DISTRICT: N_("district"),
    ScopeKind.SUB_DISTRICT: N_("sub-district"),
    ScopeKind.COMMUNITY: N_("community"),
    ScopeKind.COMPOUND: N_("compound"),
    ScopeKind.GRID: N_("grid"),
    ScopeKind.BUILDING: N_("building"),
}


def label(table: dict, value: str, _: Translator) -> str:
    msgid = table.get(value)
    return _(msgid) if msgid else value
