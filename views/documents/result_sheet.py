"""The result notice of a closed vote (表决结果公告), ready to post: every figure of the tally by
area and by headcount with shares, the quorum and the decision, the legal basis, when the
denominators, the preliminary and the final result were published and the objections received,
and the committee's signature and stamp area with the date."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.i18n import Translator, plain
from core.pdf import Document
from core.screen import File, Screen
from models import Poll
from services.tally import Choice, MatterType
from services.vote_documents import ResultNotice
from views.documents.ballot_sheet import vote_facts
from views.documents.layout import facts, grid, heading, sheet, stamp_area, text
from views.vote_results import CHOICE, area_figure_text, figure_text, figures, percent_text

WIDTHS = (44, 34, 30, 34, 32)


def _row(label: str, area: str, area_of: str, head: str, head_of: str, _: Translator) -> list[str]:
    return [
        label,
        area_figure_text(area, _),
        percent_text(area, area_of, _),
        figure_text(head, _),
        percent_text(head, head_of, _),
    ]


def _tally(document: Document, poll: Poll, result: dict[str, Any], _: Translator) -> None:
    area, head = result["area"], result["headcount"]
    headers = [
        _.plain("Figure"),
        _.plain("Area (㎡)"),
        _.plain("Share of area"),
        _.plain("Owners"),
        _.plain("Share of owners"),
    ]
    rows = [
        [_.plain("Total (the denominators)"), area_figure_text(area["total"], _),
         percent_text(area["total"], area["total"], _), figure_text(head["total"], _),
         percent_text(head["total"], head["total"], _)],
        _row(_.plain("Taking part"), area["participating"], area["total"],
             head["participating"], head["total"], _),
    ]  # fmt: skip
    if result["kind"] == "resolution":
        for key in ("agree", "disagree", "abstain"):
            rows.append(
                _row(_.plain(CHOICE[Choice(key)]), area[key], area["participating"],
                     head[key], head["participating"], _)
            )  # fmt: skip
    grid(document, headers, rows, WIDTHS)
    document.ln(2)
    text(document, _.plain("Shares of the choices are of those taking part."), size=9)


def _candidates(document: Document, result: dict[str, Any], _: Translator) -> None:
    area, head = result["area"], result["headcount"]
    headers = [_.plain("Candidate"), _.plain("Area (㎡)"), _.plain("Share of area"),
               _.plain("Owners"), _.plain("Share of owners"), _.plain("Elected")]  # fmt: skip
    rows = [
        [*_row(c["name"], c["area"], area["participating"], c["headcount"],
               head["participating"], _), _.plain("yes") if c["elected"] else _.plain("no")]
        for c in result["candidates"]
    ]  # fmt: skip
    grid(document, headers, rows, (40, 30, 26, 28, 28, 22))


def _decision(poll: Poll, result: dict[str, Any], _: Translator) -> str:
    quorum = _.plain("Quorum reached") if result["quorum"] else _.plain("Quorum not reached")
    if result["kind"] == "resolution":
        needed = (
            _.plain("at least 3/4")
            if poll.matter == MatterType.SPECIAL
            else _.plain("more than 1/2")
        )
        verdict = _.plain("PASSED") if result["passed"] else _.plain("NOT PASSED")
        needs = _.plain("Needed: {threshold}").format(threshold=needed)
        return f"{quorum} · {needs} · {verdict}"
    elected = "、".join(c["name"] for c in result["candidates"] if c["elected"]) or "—"
    return quorum + " · " + _.plain("Elected: {names}").format(names=elected)


def _when(moment: datetime | None, _: Translator, tz: ZoneInfo) -> str:
    return _.datetime(moment, tz) if moment else _.plain("not yet")


def _publication(found: ResultNotice, _: Translator, tz: ZoneInfo) -> list[tuple[str, str]]:
    poll = found.poll
    return [
        (_.plain("Denominators published"), _when(poll.opening_sent_at, _, tz)),
        (_.plain("Voting closed"), _when(poll.closed_at or poll.closes_at, _, tz)),
        (_.plain("Preliminary result"), _when(poll.preliminary_sent_at, _, tz)),
        (_.plain("Objections until"), _when(poll.objection_until, _, tz)),
        (_.plain("Objections received"), _.number(found.objections)),
        (_.plain("Final result"), _when(poll.final_sent_at, _, tz)),
    ]


def result_pdf(found: ResultNotice, _: Translator, tz: ZoneInfo, *, today: datetime) -> bytes:
    poll = found.poll
    result = figures(poll.result)
    title = _.plain("Result notice of the owners' assembly vote")
    document = sheet(f"{found.compound} {title} #{poll.id}", f"vote-result {poll.id}")
    document.add_page()
    stage = _.plain("final") if poll.final_sent_at else _.plain("preliminary")
    heading(
        document,
        found.compound,
        title,
        _.plain("Vote #{id} · {stage}").format(id=poll.id, stage=stage),
    )
    text(document, poll.title, size=14, bold=True)
    document.ln(2)
    facts(document, vote_facts(poll, _, tz, found.buildings))
    _tally(document, poll, result, _)
    if result["kind"] == "election":
        document.ln(2)
        _candidates(document, result, _)
    document.ln(3)
    text(document, _decision(poll, result, _), size=13, bold=True)
    if poll.count_unreturned_with_majority:
        text(
            document,
            plain(
                _(
                    "Ballots not returned were counted with the majority, as this compound’s rules say."
                )
            ),
            size=10,
        )
    document.ln(3)
    facts(document, _publication(found, _, tz))
    text(
        document,
        _.plain("Results are published as totals only; no owner's choice is shown."),
        size=9,
    )
    stamp_area(
        document,
        _.plain("Owners' committee of {compound} (stamp)").format(compound=found.compound),
        _.plain("Date: {date}").format(date=_.date(today, tz)),
    )
    return document.content()


def result_screen(found: ResultNotice, _: Translator, tz: ZoneInfo, *, today: datetime) -> Screen:
    return Screen(
        _("Result notice of vote #{id}, ready to sign, stamp and post (A4).").format(
            id=found.poll.id
        ),
        document=File(result_pdf(found, _, tz, today=today), f"vote-{found.poll.id}-result.pdf"),
    )
