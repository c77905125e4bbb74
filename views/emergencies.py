"""How emergencies read: the kinds of emergency, and what an urgent reporter is told at once
(the compound's 24-hour duty phone, the emergency numbers that apply, what to do now)."""

from __future__ import annotations

from markupsafe import Markup

from core.i18n import N_, Msg, Translator, join
from models import UrgentKind
from services.ticket_emergencies import EmergencyAdvice, Hotline

K = UrgentKind
URGENT_KIND: dict[str, Msg] = {
    K.LIFT: N_("lift entrapment (电梯困人)"),
    K.FIRE: N_("fire or fire equipment (火情/消防设施)"),
    K.WATER: N_("water leak or burst pipe (漏水/爆管)"),
    K.FACADE: N_("façade danger, falling objects (外墙/高空坠物)"),
    K.GAS: N_("gas leak (燃气泄漏)"),
    K.OTHER: N_("another emergency"),
}
# The short name in alerts and cards: "⚠️ 紧急：电梯困人 #5".
URGENT_SHORT: dict[str, Msg] = {
    K.LIFT: N_("lift entrapment"),
    K.FIRE: N_("fire"),
    K.WATER: N_("water leak"),
    K.FACADE: N_("façade danger"),
    K.GAS: N_("gas leak"),
    K.OTHER: N_("emergency"),
}
HOTLINE: dict[str, Msg] = {
    Hotline.FIRE: N_("📞 119: fire and rescue"),
    Hotline.POLICE: N_("📞 110: police"),
    Hotline.AMBULANCE: N_("📞 120: ambulance, if anyone is hurt"),
    Hotline.LIFT: N_("📞 96333: lift emergency hotline"),
}
WHAT_TO_DO: dict[str, Msg] = {
    K.LIFT: N_(
        "If you are trapped: stay calm, press the lift's alarm button, do not force the doors."
    ),
    K.FIRE: N_("Leave by the stairs, never by the lift."),
    K.WATER: N_("If you can, close the water valve, and keep away from wet sockets."),
    K.FACADE: N_("Keep away from below the danger and warn others."),
    K.GAS: N_(
        "Leave at once. Do not switch anything on or off, no flames, no phone calls inside; call from outside."
    ),
    K.OTHER: N_("If anyone is in danger, call the emergency numbers first."),
}


def urgent_text(kind: str | None, _: Translator, *, short: bool = False) -> Markup:
    """The kind of emergency, by name (a ticket from before the kinds: "urgent")."""
    label = (URGENT_SHORT if short else URGENT_KIND).get(kind or "")
    return _(label) if label else _("urgent")


def urgent_head(kind: str | None, ticket_id: int | None, _: Translator) -> Markup:
    """`⚠️ 紧急：电梯困人 #5`"""
    return _("⚠️ Urgent: {kind} #{id}").format(kind=urgent_text(kind, _, short=True), id=ticket_id)


def emergency_advice(advice: EmergencyAdvice, _: Translator) -> Markup:
    """Whom to call now and what to do: the duty phone, the emergency numbers, one safety line."""
    lines = [_("<b>⚠️ {kind}: call now</b>").format(kind=urgent_text(advice.kind, _))]
    if advice.duty_phone:
        lines.append(
            _("📞 {phone}: 24-hour duty phone of {compound}").format(
                phone=advice.duty_phone, compound=advice.compound
            )
        )
    lines += [_(HOTLINE[number]) for number in advice.hotlines if number in HOTLINE]
    if advice.kind in WHAT_TO_DO:
        lines.append(_(WHAT_TO_DO[advice.kind]))
    return join(lines)
