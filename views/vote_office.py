"""How a vote reads to the office: entering a paper ballot, the list of homes not yet voted (in
the bot and to the liaisons at each reminder), the exported record and the counted receipt
hashes, as files."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import Translator, html, join
from core.screen import EMPTY, File, Screen, button, keyboard
from models import Poll, PollKind
from services.notify import renders
from services.tables import Column, Table, xlsx
from services.tally import Choice
from services.vote_ballots import PaperBallot
from services.vote_lifecycle import FOLLOW_UP
from services.vote_paper import PaperDraft
from services.vote_records import HomeRow, NotVoted, Record, record_files
from views.callbacks import CallbackData
from views.votes import CHOICE, choice_text


@dataclasses.dataclass(frozen=True)
class PaperChoice(CallbackData, kind="vp"):
    """What a resolution's paper ballot says, for the home being entered."""

    poll_id: int
    household_id: int
    choice: str


# --- paper ballots ----------------------------------------------------------------------------
def ask_home(poll: Poll, _: Translator) -> Screen:
    return Screen(
        _(
            "Paper ballot for vote #{id}: send the home, for example 1栋 1单元 101. /cancel to stop."
        ).format(id=poll.id)
    )


def ask_choice(poll: Poll, draft: PaperDraft, _: Translator) -> Screen:
    """A resolution: its choices as buttons; an election: the numbered candidates."""
    if poll.kind == PollKind.RESOLUTION:
        home = draft.household_id or 0
        return Screen(
            _("What does the signed paper ballot of {home} say?").format(home=draft.label),
            keyboard(
                [button(_(CHOICE[c]), PaperChoice(poll.id or 0, home, c.value)) for c in Choice]
            ),
        )
    names = [
        html("{number}. {name}", number=number, name=name)
        for number, name in enumerate(poll.candidates, start=1)
    ]
    question = _(
        "Which candidates does the paper ballot of {home} choose? Send their numbers, e.g. 1,3 (0 for none)."
    ).format(home=draft.label)
    return Screen(join([question, *names]))


def paper_recorded(done: PaperBallot, _: Translator) -> Screen:
    lines = [
        _("Paper ballot of {home} recorded: {choice}.").format(
            home=done.label, choice=choice_text(done.poll, done.choice, _)
        )
    ]
    if done.flagged:
        lines.append(
            _(
                "⚠️ This home had also voted in the bot. The signed paper ballot counts, and the case is flagged for the committee."
            )
        )
    return Screen(join(lines))


# --- the homes not yet voted ----------------------------------------------------------------
def not_voted_sheet(poll: Poll, homes: list[HomeRow], _: Translator) -> File:
    """Grid, home, roster name and phone: for door-to-door visits (names are text, never run)."""
    columns = [
        Column(_.plain("Grid")),
        Column(_.plain("Home")),
        Column(_.plain("Owner (roster)")),
        Column(_.plain("Phone (roster)")),
    ]
    rows = [[h.grid, h.label, h.owner_name, h.owner_phone] for h in homes]
    content = xlsx({_.plain("Not yet voted"): Table(columns, rows)})
    return File(content, f"vote-{poll.id}-not-voted.xlsx")


def _not_voted_count(count: int, _: Translator) -> Markup:
    return _.ngettext(
        "{count} home has not voted yet.", "{count} homes have not voted yet.", count
    ).format(count=_.number(count))


def not_voted(found: NotVoted, _: Translator) -> Screen:
    return Screen(
        _not_voted_count(len(found.homes), _),
        document=not_voted_sheet(found.poll, found.homes, _),
    )


@renders(FOLLOW_UP)
def follow_up(_: Translator, *, tz: ZoneInfo, poll: Poll, homes: list[HomeRow]) -> Screen:
    """To the liaisons at each reminder time: the count, with the list attached."""
    count = len(homes)
    text = _.ngettext(
        "Vote “{title}” closes on {closes}. {count} home has not voted yet; the list for "
        "door-to-door follow-up is attached.",
        "Vote “{title}” closes on {closes}. {count} homes have not voted yet; the list for "
        "door-to-door follow-up is attached.",
        count,
    ).format(
        title=poll.title, closes=_.datetime(poll.closes_at, tz, "short"), count=_.number(count)
    )
    return Screen(text, document=not_voted_sheet(poll, homes, _))


# --- the record and the receipts ------------------------------------------------------------
def record(found: Record, _: Translator) -> list[Screen]:
    """The record as three files: XLSX, CSV (zip) and JSON."""
    files = record_files(found.poll.id or 0, found.tables)
    caption = _("Tally, eligibility snapshot and anonymised ballots.")
    return [
        Screen(caption if index == 0 else EMPTY, document=File(content, name))
        for index, (name, content) in enumerate(files)
    ]


def receipt_hashes(poll: Poll, hashes: list[str], _: Translator) -> Screen:
    """The counted receipt hashes, one a line: each voter can find theirs, no choice is shown."""
    caption = _.ngettext(
        "{count} counted ballot. Your line is the SHA-256 of “{id}:” followed by the part of "
        "your receipt code after “{id}-”.",
        "{count} counted ballots. Your line is the SHA-256 of “{id}:” followed by the part of "
        "your receipt code after “{id}-”.",
        len(hashes),
    ).format(count=_.number(len(hashes)), id=poll.id)
    content = ("\n".join(hashes) + "\n").encode()
    return Screen(caption, document=File(content, f"vote-{poll.id}-receipt-hashes.txt"))
