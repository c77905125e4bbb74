"""How /report reads: one question per step with its answers as buttons, and the summary to send."""

from __future__ import annotations

import dataclasses

from markupsafe import Markup

from core.i18n import Translator, html, join, plain
from core.screen import ReplyButton, Screen, button, keyboard
from models import Building, Ticket, TicketCategory
from services.ticket_reports import MAX_PHOTOS, ReportDraft, ReportStep, ReportSummary, Where
from views.callbacks import CallbackData
from views.tickets import TicketButton, category_text, photo_count

R = ReportStep
SEND, RESTART, FOLLOW = "send", "restart", "follow-"


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
    urgent = _("⚠️ Urgent: lift entrapment, fire equipment, water leak, façade danger, gas")
    return Screen(
        _("Is it urgent?"),
        keyboard(
            [button(urgent, ReportChoice(R.URGENT, "1"))],
            [button(_("Not urgent"), ReportChoice(R.URGENT, "0"))],
        ),
    )


def ask_description(_: Translator) -> Screen:
    return Screen(_("Describe the problem in a few words (what and where exactly)."))


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


def ask_where(draft: ReportDraft, _: Translator) -> list[Screen]:
    """Home (when the report is for one), a building, or a location shared from the keyboard."""
    rows = []
    if draft.household_id is not None:
        rows.append([button(_("At my home"), ReportChoice(R.WHERE, Where.HOME))])
    building = _("In a building (stairs, lift, corridor...)")
    rows.append([button(building, ReportChoice(R.WHERE, Where.BUILDING))])
    return [
        Screen(_("Where is it? You can also share a location."), keyboard(*rows)),
        Screen(
            _("For an outdoor spot, tap 📍 below."),
            reply_keyboard=(ReplyButton(plain(_("📍 Share location")), "location"),),
        ),
    ]


def need_where(_: Translator) -> Screen:
    return Screen(_("Please choose a place with the buttons, or share a location."))


def ask_building(buildings: list[Building], _: Translator) -> Screen:
    rows = [[button(b.name, ReportChoice(R.BUILDING, str(b.id)))] for b in buildings[:40]]
    return Screen(_("Which building?"), keyboard(*rows))


def ask_floor(_: Translator) -> Screen:
    nowhere = _("Not on a floor (outside, roof, whole building)")
    return Screen(
        _("Which floor? Send the number, or tap below."),
        keyboard([button(nowhere, ReportChoice(R.FLOOR, "none"))]),
    )


def _where(summary: ReportSummary, _: Translator) -> Markup:
    draft = summary.draft
    if draft.where == Where.LOCATION:
        return _("a shared location")
    if draft.where == Where.BUILDING:
        place = html("{name}", name=summary.building or "?")
        if draft.floor is not None:
            place += _(", floor {floor}").format(floor=draft.floor)
        return place
    return _("at home")


def summary(found: ReportSummary, _: Translator) -> list[Screen]:
    """The report to check, to send or start over; or to follow the same problem reported today."""
    draft = found.draft
    lines = [
        _("<b>Please check your report</b>"),
        _("Category: {category}").format(category=category_text(draft.category or "", _)),
        _("⚠️ Urgent") if draft.urgent else _("Not urgent"),
        _("Description: {text}").format(text=draft.description),
        photo_count(len(draft.photos), _),
        _("Where: {place}").format(place=_where(found, _)),
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


def submitted(ticket: Ticket, _: Translator) -> Screen:
    return Screen(
        _(
            "Your report is ticket #{id}. You will get a message at every step; /mytickets shows it any time."
        ).format(id=ticket.id),
        keyboard([button(_("Open ticket"), TicketButton("view", ticket.id or 0))]),
    )


def following(ticket_id: int, _: Translator) -> Screen:
    return Screen(
        _("You now follow ticket #{id}; you will be told about every step.").format(id=ticket_id)
    )
