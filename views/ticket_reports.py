"""How /report reads: one question per step with its answers as buttons, and the summary to send."""

from __future__ import annotations

import dataclasses

from markupsafe import Markup

from core.i18n import Translator, join, plain
from core.screen import ReplyButton, Screen, button, keyboard
from models import Building, TicketCategory, UrgentKind
from services.ticket_report_places import InBuilding, WhereAsked
from services.ticket_reports import (
    MAX_PHOTOS,
    NOT_URGENT,
    ReportDraft,
    ReportStep,
    ReportSummary,
    Submitted,
    Urgency,
    Where,
)
from views.callbacks import CallbackData
from views.emergencies import emergency_advice, urgent_text
from views.tickets import TicketButton, category_text, photo_count, place_text

R = ReportStep
SEND, RESTART, FOLLOW, NONE = "send", "restart", "follow-", "none"


@dataclasses.dataclass(frozen=True)
class ReportChoice(CallbackData, kind="rp"):
    """An answer to a question of /report: the step it answers and the value."""

    step: str
    value: str


def who(draft: ReportDraft, _: Translator) -> Screen:
    """Liaisons: their own home, or a household they report for (代办)."""
    rows = [[button(_("For a household (代办)"), ReportChoice(R.WHO, "other"))]]
    if draft.household_id is not None:
        rows.insert(0, [button(_("For my own household"), ReportChoice(R.WHO, "self"))])
    return Screen(_("Whose report is this?"), keyboard(*rows))


def ask_household(_: Translator) -> Screen:
    return Screen(_("Which household? Write building, unit and room, for example: 3栋 2单元 1201"))


def ask_category(_: Translator) -> Screen:
    rows = [
        [button(category_text(c, _, long=True), ReportChoice(R.CATEGORY, c.value))]
        for c in TicketCategory
    ]
    return Screen(_("What is the problem about? (/cancel to stop)"), keyboard(*rows))


def ask_urgent(_: Translator) -> Screen:
    """Not urgent, or which emergency: each kind is told whom to call at once."""
    rows = [
        [button(Markup("⚠️ ") + urgent_text(kind, _), ReportChoice(R.URGENT, kind.value))]
        for kind in UrgentKind
    ]
    rows.append([button(_("Not urgent"), ReportChoice(R.URGENT, NOT_URGENT))])
    return Screen(_("Is it urgent? If it is an emergency, choose which."), keyboard(*rows))


def ask_description(_: Translator) -> Screen:
    return Screen(_("Describe the problem in a few words (what and where exactly)."))


def urgency_chosen(chosen: Urgency, _: Translator) -> list[Screen]:
    """For an emergency, whom to call now; then the next question."""
    if chosen.advice is None:
        return [ask_description(_)]
    return [Screen(emergency_advice(chosen.advice, _)), ask_description(_)]


def ask_photos(_: Translator) -> Screen:
    return Screen(
        _("Send up to 5 photos, then tap Done. Or tap No photos."),
        keyboard([button(_("No photos"), ReportChoice(R.PHOTOS, "done"))]),
    )


def photo_added(draft: ReportDraft, _: Translator) -> Screen:
    """After a photo, or the first photo of an album (whose others arrive after this answer)."""
    count = len(draft.photos)
    text = _.ngettext(
        "{count} photo added (at most {limit}).", "{count} photos added (at most {limit}).", count
    ).format(count=_.number(count), limit=_.number(MAX_PHOTOS))
    if draft.album is not None:
        text = _("Photos added (at most {limit}); they are all in the summary.").format(
            limit=_.number(MAX_PHOTOS)
        )
    return Screen(text, keyboard([button(_("Done"), ReportChoice(R.PHOTOS, "done"))]))


def need_photo(_: Translator) -> Screen:
    return Screen(_("Please send photos, or tap Done."))


def ask_where(asked: WhereAsked, _: Translator) -> list[Screen]:
    """The home (when the report is for one), a building, a common area, a place typed, or a
    location shared from the keyboard."""
    rows = []
    if asked.home is not None:
        home = _("At my home ({home})").format(home=place_text(asked.home, _))
        rows.append([button(home, ReportChoice(R.WHERE, Where.HOME))])
    building = _("In a building (stairs, lift, corridor...)")
    rows.append([button(building, ReportChoice(R.WHERE, Where.BUILDING))])
    area = _("In a common area (lobby, gate, car park...)")
    rows.append([button(area, ReportChoice(R.WHERE, Where.AREA))])
    return [
        Screen(
            _("Where is it? Tap below, or write the place (for example: 南门)."),
            keyboard(*rows),
        ),
        Screen(
            _("For an outdoor spot, tap 📍 below to share a location."),
            reply_keyboard=(ReplyButton(plain(_("📍 Share location")), "location"),),
        ),
    ]


def need_where(_: Translator) -> Screen:
    return Screen(_("Please choose a place with the buttons, write it, or share a location."))


def ask_building(buildings: list[Building], _: Translator) -> Screen:
    rows = [[button(b.name, ReportChoice(R.BUILDING, str(b.id)))] for b in buildings[:40]]
    return Screen(_("Which building?"), keyboard(*rows))


def ask_unit(chosen: InBuilding, _: Translator) -> Screen:
    """The building's units, and "not in one unit"."""
    rows = [[button(u, ReportChoice(R.UNIT, str(i)))] for i, u in enumerate(chosen.units[:40])]
    rows.append(
        [button(_("Not in one unit (whole building, outside)"), ReportChoice(R.UNIT, NONE))]
    )
    return Screen(_("Which unit of {building}?").format(building=chosen.building), keyboard(*rows))


def ask_floor(chosen: InBuilding, _: Translator) -> Screen:
    """The floor, typed, within the building's range."""
    nowhere = _("Not on a floor (outside, roof, whole building)")
    return Screen(
        _(
            "Which floor of {building}? Its floors are {lowest} to {highest}: send the number, "
            "or tap below."
        ).format(
            building=chosen.building,
            lowest=chosen.floors.lowest,
            highest=chosen.floors.highest,
        ),
        keyboard([button(nowhere, ReportChoice(R.FLOOR, NONE))]),
    )


def ask_area(areas: list[str], _: Translator) -> Screen:
    """The compound's common areas, two to a row; a place may also be written."""
    buttons = [button(a, ReportChoice(R.AREA, str(i))) for i, a in enumerate(areas[:40])]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Screen(
        _("Which common area? Tap one, or write the place (for example: 3栋楼下的花坛)."),
        keyboard(*rows),
    )


def summary(found: ReportSummary, _: Translator) -> list[Screen]:
    """The report to check, to send or start over; or to follow the same problem reported today."""
    draft = found.draft
    lines = [
        _("<b>Please check your report</b>"),
        _("Category: {category}").format(category=category_text(draft.category or "", _)),
        (
            _("⚠️ Urgent: {kind}").format(kind=urgent_text(draft.urgent_kind, _))
            if draft.urgent
            else _("Not urgent")
        ),
        _("Description: {text}").format(text=draft.description),
        photo_count(len(draft.photos), _),
        _("Where: {place}").format(place=place_text(found.place, _)),
    ]
    rows = [
        [button(_("Send report"), ReportChoice(R.SUMMARY, SEND))],
        [button(_("Start over"), ReportChoice(R.SUMMARY, RESTART))],
    ]
    if found.duplicate is not None:
        lines += [
            Markup(""),
            _(
                "Someone already reported this in the same building today (ticket #{id}). Follow that one instead?"
            ).format(id=found.duplicate),
        ]
        follow = _("+1, follow ticket #{id}").format(id=found.duplicate)
        rows.insert(0, [button(follow, ReportChoice(R.SUMMARY, f"{FOLLOW}{found.duplicate}"))])
    return [
        Screen(_("Thank you."), remove_reply_keyboard=True),
        Screen(join(lines), keyboard(*rows)),
    ]


def submitted(found: Submitted, _: Translator) -> Screen:
    """The ticket's number; for an emergency, that the staff are alerted and whom to call now."""
    ticket = found.ticket
    lines = [
        _(
            "Your report is ticket #{id}. You will get a message at every step; /mytickets shows it any time."
        ).format(id=ticket.id)
    ]
    if found.advice is not None:
        lines += [
            _("The property staff and your liaison are alerted now, day or night."),
            Markup(""),
            emergency_advice(found.advice, _),
        ]
    return Screen(
        join(lines), keyboard([button(_("Open ticket"), TicketButton("view", ticket.id or 0))])
    )


def following(ticket_id: int, _: Translator) -> Screen:
    return Screen(
        _("You now follow ticket #{id}; you will be told about every step.").format(id=ticket_id)
    )
