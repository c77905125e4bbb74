"""How a vote looks: the notice, the card with its buttons, reminders, the result with its figures.

Figures come from the stored result, where every share is an exact fraction written "n/d"; the
percentages shown beside them are for reading only.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from html import escape
from zoneinfo import ZoneInfo

from core.i18n import N_, Translator, translator
from models import Poll, PollKind, PollStatus
from services.tally import Choice, MatterType
from services.votes import Counted
from views.callbacks import CallbackData

SPECIAL_ITEM = {
    6: N_("Art. 278 item 6: raising or re-raising the building maintenance fund"),
    7: N_("Art. 278 item 7: rebuilding or reconstructing buildings and their facilities"),
    8: N_("Art. 278 item 8: changing the use of common parts, or using them for business"),
}
CHOICE = {
    Choice.AGREE: N_("Agree"),
    Choice.DISAGREE: N_("Disagree"),
    Choice.ABSTAIN: N_("Abstain"),
}
STATUS = {
    PollStatus.PUBLISHED: N_("announced"),
    PollStatus.OPEN: N_("open for voting"),
    PollStatus.CLOSED: N_("closed"),
}
MAX_CANDIDATES = 20  # the election bitmask fits in callback data


@dataclasses.dataclass(frozen=True)
class VoteView(CallbackData, kind="vv"):
    poll_id: int


@dataclasses.dataclass(frozen=True)
class VoteCast(CallbackData, kind="vc"):
    poll_id: int
    choice: str  # agree | disagree | abstain


@dataclasses.dataclass(frozen=True)
class VoteElect(CallbackData, kind="ve"):
    """An election ballot being filled in: the chosen candidates as a bitmask; submit sends it."""

    poll_id: int
    mask: int
    submit: bool


@dataclasses.dataclass(frozen=True)
class VoteManage(CallbackData, kind="vm"):
    action: str  # notvoted | export | receipts | paper
    poll_id: int


def chosen_candidates(poll: Poll, mask: int) -> list[str]:
    return [name for index, name in enumerate(poll.candidates) if mask & (1 << index)]


def matter_text(poll: Poll, _: Translator) -> str:
    if poll.kind == PollKind.ELECTION:
        return _("Election: choose up to {seats} of {count} candidates").format(
            seats=poll.seats, count=len(poll.candidates)
        )
    if poll.matter == MatterType.SPECIAL:
        return _("Special matter — {item}").format(item=_(SPECIAL_ITEM[poll.special_item or 6]))
    return _("Ordinary matter")


def rule_text(poll: Poll, _: Translator) -> str:
    quorum = _(
        "Valid if the owners taking part hold at least 2/3 of the area and are at least 2/3 of "
        "the owners."
    )
    if poll.kind == PollKind.ELECTION:
        rule = _(
            "A candidate is elected with more than 1/2 of the participating area and owners; "
            "seats go to the most votes."
        )
    elif poll.matter == MatterType.SPECIAL:
        rule = _(
            "Passes with at least 3/4 of the participating area and of the participating owners."
        )
    else:
        rule = _(
            "Passes with more than 1/2 of the participating area and of the participating owners."
        )
    unreturned = (
        "\n" + _("Under this compound's rules, ballots not returned count with the majority.")
        if poll.count_unreturned_with_majority
        else ""
    )
    return f"{quorum}\n{rule}{unreturned}"


def scope_text(poll: Poll, _: Translator, building_names: list[str]) -> str:
    if not poll.building_ids:
        return _("Owners of the whole compound")
    return _("Owners of {buildings}").format(buildings="、".join(building_names))


def poll_text(poll: Poll, _: Translator, tz: ZoneInfo, building_names: list[str]) -> str:
    """The vote as owners read it: title, text, matter and rule, who votes, when."""
    lines = [
        f"<b>🗳 {escape(poll.title)}</b> (#{poll.id}, {_(STATUS.get(poll.status, poll.status))})",
        escape(poll.body) if poll.body else "",
        "",
        _("Matter: {matter}").format(matter=matter_text(poll, _)),
    ]
    if poll.kind == PollKind.ELECTION:
        lines.append(
            _("Candidates: {names}").format(names="、".join(escape(c) for c in poll.candidates))
        )
    lines += [
        _("Who votes: {scope}").format(scope=scope_text(poll, _, building_names)),
        _("Voting: {opens} – {closes}").format(
            opens=_.datetime(poll.opens_at, tz, "short"),
            closes=_.datetime(poll.closes_at, tz, "short"),
        ),
        rule_text(poll, _),
    ]
    return "\n".join(line for line in lines if line is not None)


def notice_payload(poll: Poll, language: str, *, tz: ZoneInfo, building_names: list[str]) -> dict:
    """The owners' notice (业主大会表决公告), sent at the notice time."""
    _ = translator(language or "zh_Hans")
    text = (
        "<b>"
        + escape(_("Notice of an owners’ assembly vote"))
        + "</b>\n"
        + poll_text(poll, _, tz, building_names)
        + "\n\n"
        + _("Only owners vote; you can change your ballot until the close. Open it with /vote.")
    )
    return {
        "text": text,
        "buttons": [[{"text": _("Open the vote"), "data": VoteView(poll.id).pack()}]],
    }


def reminder_payload(poll: Poll, language: str, *, tz: ZoneInfo) -> dict:
    _ = translator(language or "zh_Hans")
    text = _(
        "A friendly reminder: the owners’ vote “{title}” closes on {closes}, and your home has not "
        "voted yet. Every owner’s voice counts toward the 2/3 needed."
    ).format(title=escape(poll.title), closes=_.datetime(poll.closes_at, tz, "short"))
    return {"text": text, "buttons": [[{"text": _("Vote now"), "data": VoteView(poll.id).pack()}]]}


def not_voted_payload(poll: Poll, language: str, *, count: int, tz: ZoneInfo) -> dict:
    """To liaisons at each reminder time, with the list as a spreadsheet (sent separately)."""
    _ = translator(language or "zh_Hans")
    text = _(
        "Vote “{title}” closes on {closes}. {count} homes have not voted yet; the list for "
        "door-to-door follow-up is attached."
    ).format(
        title=escape(poll.title),
        closes=_.datetime(poll.closes_at, tz, "short"),
        count=_.number(count),
    )
    return {"text": text}


def ballot_text(poll: Poll, ballot: Counted | None, _: Translator) -> str:
    if ballot is None:
        return _("Your home has not voted yet.")
    if poll.kind == PollKind.ELECTION:
        choice = "、".join(escape(c) for c in ballot.choice) or _("no candidate (abstain)")
    else:
        choice = _(CHOICE[Choice(ballot.choice[0])])
    if ballot.channel == "paper":
        return _("Your home’s ballot: {choice} (paper ballot)").format(choice=choice)
    return _("Your home’s ballot: {choice}").format(choice=choice)


def _fraction(value: str) -> Fraction:
    return Fraction(value)


def _share(part: str, whole: str, _: Translator) -> str:
    p, w = _fraction(part), _fraction(whole)
    percent = _.percent(_decimal(p / w)) if w else "–"
    return f"{_number(p, _)} / {_number(w, _)} ({percent})"


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _number(value: Fraction, _: Translator) -> str:
    if value.denominator == 1:
        return _.number(value.numerator)
    return _.number(_decimal(value).quantize(Decimal("0.01")))


def result_text(poll: Poll, _: Translator, tz: ZoneInfo) -> str:
    """Totals only, with every figure behind the decision; no one's choice appears."""
    result = poll.result
    area, head = result["area"], result["headcount"]
    lines = [
        "<b>"
        + escape(_("Result of the owners’ vote: {title}").format(title=poll.title))
        + f"</b> (#{poll.id})",
        _("Closed {when}").format(when=_.datetime(poll.closed_at or poll.closes_at, tz, "short")),
        "",
        "<b>" + _("Participation (quorum: at least 2/3 of area and of owners)") + "</b>",
        _("Area taking part: {share} ㎡").format(
            share=_share(area["participating"], area["total"], _)
        ),
        _("Owners taking part: {share}").format(
            share=_share(head["participating"], head["total"], _)
        ),
        _("Quorum reached") if result["quorum"] else _("Quorum not reached"),
        "",
    ]
    if result["kind"] == "resolution":
        threshold = _("more than 1/2") if poll.matter != MatterType.SPECIAL else _("at least 3/4")
        lines.append(
            "<b>"
            + _("Among those taking part (needed: {threshold})").format(threshold=threshold)
            + "</b>"
        )
        for key in ("agree", "disagree", "abstain"):
            lines.append(
                _("{choice}: area {area} ㎡, owners {owners}").format(
                    choice=_(CHOICE[Choice(key)]),
                    area=_share(area[key], area["participating"], _),
                    owners=_share(head[key], head["participating"], _),
                )
            )
        lines += ["", "<b>" + (_("PASSED") if result["passed"] else _("NOT PASSED")) + "</b>"]
    else:
        lines.append("<b>" + _("Candidates (needed: more than 1/2 of those taking part)") + "</b>")
        for candidate in result["candidates"]:
            mark = "✅ " + _("elected") if candidate["elected"] else ""
            lines.append(
                _("{name}: area {area} ㎡, owners {owners} {mark}")
                .format(
                    name=escape(candidate["name"]),
                    area=_share(candidate["area"], area["participating"], _),
                    owners=_share(candidate["headcount"], head["participating"], _),
                    mark=mark,
                )
                .rstrip()
            )
    if poll.count_unreturned_with_majority:
        lines.append(
            _("Ballots not returned were counted with the majority, as this compound’s rules say.")
        )
    lines += [
        "",
        _(
            "Check that your ballot was counted: /receipt followed by your receipt code. The list "
            "of counted receipt hashes is published with /vote."
        ),
    ]
    return "\n".join(lines)


def result_payload(poll: Poll, language: str, *, tz: ZoneInfo) -> dict:
    return {"text": result_text(poll, translator(language or "zh_Hans"), tz)}


def chart_labels(_: Translator) -> dict[str, str]:
    return {
        "area": _("Area"),
        "headcount": _("Owners"),
        "participation": _("Taking part (dashed line: the 2/3 quorum)"),
        "choices": _("Share of those taking part (dashed line: needed)"),
        **{choice.value: _(label) for choice, label in CHOICE.items()},
    }
