"""Display names of domain values: memberships, roles, places and service models, translated
where they are shown; an unknown value is shown as it is (escaped). The tables are the
services' (services/enum_inputs.py), which also read these names when they are typed."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

from core.i18n import N_, Msg, Translator
from models import EndReason
from services.enum_inputs import MEMBERSHIP, ROLE, SCOPE, SERVICE_MODEL


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


END_REASON: dict[str, Msg] = {
    EndReason.MOVED_OUT: N_("moved out"),
    EndReason.REMOVED: N_("removed by the owners"),
    EndReason.OFFICE: N_("ended by the office"),
    EndReason.SOLD: N_("home sold"),
    EndReason.FORGOTTEN: N_("data deleted"),
}


def end_reason(value: str | None, _: Translator) -> Markup:
    return label(END_REASON, value, _)
