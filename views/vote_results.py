"""How a vote's result reads: totals only, with every figure behind the decision (area and
headcount, total, participating, each choice, as shares) — first as the preliminary result with
the objection period and its button, then as the final result with the objections received —
and the bar chart (with the preliminary result) in the reader's language.

Figures come from the stored result, where every share is an exact fraction written "n/d"; the
percentages shown beside them are for reading only.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Translator, html, join
from core.screen import File, Screen, button, keyboard
from models import Poll
from services.charts import vote_chart
from services.notify import renders
from services.tally import Choice, MatterType
from services.vote_publication import FINAL, PRELIMINARY, RESULT_CHART
from views.callbacks import CallbackData

CHOICE = {
    Choice.AGREE: N_("Agree"),
    Choice.DISAGREE: N_("Disagree"),
    Choice.ABSTAIN: N_("Abstain"),
}


@dataclasses.dataclass(frozen=True)
class ObjectionStart(CallbackData, kind="vob"):
    """ "Raise an objection" on a preliminary result."""

    poll_id: int


def bold(text: Markup | str) -> Markup:
    return Markup("<b>{}</b>").format(text)


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _number(value: Fraction, _: Translator) -> str:
    if value.denominator == 1:
        return _.number(value.numerator)
    return _.number(_decimal(value).quantize(Decimal("0.01")))


def _fraction(text: object) -> Fraction:
    try:
        return Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return Fraction(0)


AXIS = ("total", "participating", "agree", "disagree", "abstain")


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """The stored result with every figure there (a result of an older version, or none yet,
    reads as zeros rather than failing)."""
    found = dict(result or {})
    found.setdefault("kind", "resolution")
    found["threshold"] = str(_fraction(found.get("threshold", "1/2")))
    for key in ("quorum", "passed"):
        found[key] = bool(found.get(key))
    for axis in ("area", "headcount"):
        raw = found.get(axis)
        given: dict[str, Any] = raw if isinstance(raw, dict) else {}
        found[axis] = {name: str(_fraction(given.get(name, 0))) for name in AXIS}
    found["candidates"] = [
        {
            "name": str(c.get("name", "")),
            "area": str(_fraction(c.get("area", 0))),
            "headcount": str(_fraction(c.get("headcount", 0))),
            "majority": bool(c.get("majority")),
            "elected": bool(c.get("elected")),
        }
        for c in found.get("candidates") or []
        if isinstance(c, dict)
    ]
    return found


def figure_text(exact: str, _: Translator) -> str:
    """A stored figure ("n/d") as a number to read: whole, or to two decimals."""
    return _number(_fraction(exact), _)


def percent_text(part: str, whole: str, _: Translator) -> str:
    p, w = _fraction(part), _fraction(whole)
    return _.percent(_decimal(p / w)) if w else "–"


def area_text(exact: str, _: Translator) -> str:
    """A stored area ("n/d") to read, two decimals and its unit: 2,078.60㎡."""
    return _.area(_decimal(_fraction(exact)))


def area_figure_text(exact: str, _: Translator) -> str:
    """A stored area in a table whose heading names the unit: 2,078.60."""
    return _.number(_decimal(_fraction(exact)), places=2)


def share_text(part: str, whole: str, _: Translator) -> Markup:
    """Owners as 12 / 20（60.00%）."""
    return ratio_text(figure_text(part, _), figure_text(whole, _), percent_text(part, whole, _), _)


def area_share_text(part: str, whole: str, _: Translator) -> Markup:
    """Area as 1,455.02㎡ / 2,078.60㎡（70.00%）: the unit after each number."""
    return ratio_text(area_text(part, _), area_text(whole, _), percent_text(part, whole, _), _)


def ratio_text(part: str, whole: str, share: str, _: Translator) -> Markup:
    # NOTE: a part of a whole and its percentage: 12 / 20 (60.00%); full-width brackets in Chinese.
    return _("{part} / {whole} ({share})").format(part=part, whole=whole, share=share)


def _stage(poll: Poll, _: Translator, tz: ZoneInfo, objections: int) -> tuple[Markup, Markup]:
    """The heading, and what the stage means: the objection period of a preliminary result, or
    how many objections the final one had."""
    if poll.final_sent_at is not None:
        heading = _("Final result of the owners’ vote: {title}").format(title=poll.title)
        if poll.objection_until is None:  # published before there was an objection period
            return heading, Markup("")
        if not objections:
            return heading, _("No objection was received during the objection period.")
        count = _.ngettext(
            "{count} objection was received during the objection period.",
            "{count} objections were received during the objection period.",
            objections,
        ).format(count=_.number(objections))
        return heading, count
    title = _("Preliminary result of the owners’ vote: {title}").format(title=poll.title)
    if poll.objection_until is None:  # closed a moment ago, not published yet
        return title, Markup("")
    note = _(
        "This result is preliminary. An owner of a home that was eligible can raise an objection "
        "through the bot until {until}; then the final result is published."
    ).format(until=_.datetime(poll.objection_until, tz))
    return title, note


def result_text(poll: Poll, _: Translator, tz: ZoneInfo, objections: int = 0) -> Markup:
    """Totals only, with every figure behind the decision; no one's choice appears."""
    result = figures(poll.result)
    area, head = result["area"], result["headcount"]
    title, stage = _stage(poll, _, tz, objections)
    lines = [
        _.sentences(bold(title), _("(#{id})").format(id=poll.id)),
        _("Closed {when}").format(when=_.datetime(poll.closed_at or poll.closes_at, tz)),
        *([stage] if stage else []),
        Markup(""),
        bold(_("Participation (quorum: at least 2/3 of area and of owners)")),
        _("Area taking part: {share}").format(
            share=area_share_text(area["participating"], area["total"], _)
        ),
        _("Owners taking part: {share}").format(
            share=share_text(head["participating"], head["total"], _)
        ),
        _("Quorum reached") if result["quorum"] else _("Quorum not reached"),
        Markup(""),
    ]
    if result["kind"] == "resolution":
        threshold = _("more than 1/2") if poll.matter != MatterType.SPECIAL else _("at least 3/4")
        lines.append(
            bold(_("Among those taking part (needed: {threshold})").format(threshold=threshold))
        )
        for key in ("agree", "disagree", "abstain"):
            lines.append(
                _("{choice}: area {area}, owners {owners}").format(
                    choice=_(CHOICE[Choice(key)]),
                    area=area_share_text(area[key], area["participating"], _),
                    owners=share_text(head[key], head["participating"], _),
                )
            )
        lines += [Markup(""), bold(_("PASSED") if result["passed"] else _("NOT PASSED"))]
    else:
        lines.append(bold(_("Candidates (needed: more than 1/2 of those taking part)")))
        for candidate in result["candidates"]:
            mark = html("✅ {elected}", elected=_("elected")) if candidate["elected"] else ""
            line = _("{name}: area {area}, owners {owners} {mark}").format(
                name=candidate["name"],
                area=area_share_text(candidate["area"], area["participating"], _),
                owners=share_text(candidate["headcount"], head["participating"], _),
                mark=mark,
            )
            lines.append(Markup(line.rstrip()))
    if poll.count_unreturned_with_majority:
        lines.append(
            _("Ballots not returned were counted with the majority, as this compound’s rules say.")
        )
    lines += [
        Markup(""),
        _(
            "Check that your ballot was counted: /receipt followed by your receipt code. The list "
            "of counted receipt hashes is published with /vote."
        ),
    ]
    return join(lines)


@renders(PRELIMINARY)
def preliminary(_: Translator, *, tz: ZoneInfo, poll: Poll) -> Screen:
    """The preliminary result at the close (初步结果), with the button to object."""
    objecting = button(_("Raise an objection"), ObjectionStart(poll.id or 0))
    return Screen(result_text(poll, _, tz), keyboard([objecting]))


@renders(FINAL)
def final(_: Translator, *, tz: ZoneInfo, poll: Poll, objections: int) -> Screen:
    """The final result after the objection period (最终结果)."""
    return Screen(result_text(poll, _, tz, objections))


def chart_labels(_: Translator) -> dict[str, str]:
    return {
        "area": _.plain("Area"),
        "headcount": _.plain("Owners"),
        "participation": _.plain("Taking part (dashed line: the 2/3 quorum)"),
        "choices": _.plain("Share of those taking part (dashed line: needed)"),
        **{choice.value: _.plain(label) for choice, label in CHOICE.items()},
    }


def _literal(text: str) -> str:
    """Text matplotlib draws as typed: a `$` would start its math notation."""
    return text.replace("$", r"\$")


@renders(RESULT_CHART, threaded=True)
def result_chart(
    _: Translator, *, tz: ZoneInfo, poll_id: int, title: str, result: dict[str, Any]
) -> Screen:
    """The bar chart in the reader's language (drawn off the event loop)."""
    drawn = figures(result)
    drawn["candidates"] = [{**c, "name": _literal(c["name"])} for c in drawn["candidates"]]
    png = vote_chart(drawn, chart_labels(_), _literal(title), percent=_.percent)
    return Screen(Markup(""), photo=File(png, f"vote-{poll_id}-{_.language}.png"))
