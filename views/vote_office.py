"""How a vote reads to the office: entering a paper ballot (and a second one refused, or
confirmed as the replacement of the earlier one), the committee's warning of a home flagged for
voting twice, withdrawing a vote, the list of homes not yet voted (in the bot and to the
liaisons at each reminder), the exported record and the counted receipt hashes, as files."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Translator, html, join
from core.screen import EMPTY, File, Screen, button, keyboard
from models import BallotFlagReason, Poll, PollKind
from services.notify import renders
from services.tables import VISIT_COLUMNS, Column, Table, xlsx
from services.tally import Choice
from services.vote_ballots import PaperBallot
from services.vote_flags import FLAG, EarlierBallot, FlagWarning, reference
from services.vote_lifecycle import FOLLOW_UP
from services.vote_paper import PaperDraft
from services.vote_records import HomeRow, NotVoted, Record, record_files
from services.vote_withdrawal import Withdrawal
from views.callbacks import CallbackData
from views.votes import CHOICE, VoteView, choice_text


@dataclasses.dataclass(frozen=True)
class PaperChoice(CallbackData, kind="vp"):
    """What a resolution's paper ballot says, for the home being entered."""

    poll_id: int
    household_id: int
    choice: str


@dataclasses.dataclass(frozen=True)
class PaperReplace(CallbackData, kind="vr"):
    """After a second paper ballot was refused: it replaces that earlier ballot, or not."""

    poll_id: int
    household_id: int
    earlier_id: int
    confirmed: bool


@dataclasses.dataclass(frozen=True)
class WithdrawConfirm(CallbackData, kind="vw"):
    """The confirmation of a vote's withdrawal, once the reason is given."""

    poll_id: int
    confirmed: bool


# --- paper ballots ----------------------------------------------------------------------------
def ask_home(poll: Poll, _: Translator) -> Screen:
    return Screen(
        _(
            "Paper ballot for vote #{id}: send the home, for example 1栋 1单元 101, or the code "
            "printed on the ballot (e.g. V{id}-H12-ABCD2345). /cancel to stop."
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


def _entered_by(name: str | None, _: Translator) -> Markup:
    return html("{name}", name=name) if name else _("the command line")


def earlier_text(earlier: EarlierBallot, poll: Poll, _: Translator, tz: ZoneInfo) -> Markup:
    """The paper ballot already recorded for the home: when, by whom, its reference and choice."""
    return _(
        "Earlier paper ballot: {choice}, entered {when} by {name} (reference {reference})."
    ).format(
        choice=choice_text(poll, earlier.choice, _),
        when=_.datetime(earlier.cast_at, tz),
        name=_entered_by(earlier.entered_by, _),
        reference=earlier.reference,
    )


def paper_refused(done: PaperBallot, _: Translator, tz: ZoneInfo) -> Screen:
    """A second paper ballot for the home: refused, the earlier one shown; it is recorded only
    if staff confirm that it replaces that earlier ballot."""
    earlier = done.entry.earlier
    assert earlier is not None
    poll = done.poll
    text = join(
        [
            _(
                "⚠️ {home} already has a paper ballot in this vote. This second one ({choice}) "
                "is not recorded; the home is flagged in the vote's record and the committee is "
                "told."
            ).format(home=done.label, choice=choice_text(poll, done.choice, _)),
            earlier_text(earlier, poll, _, tz),
            _("Only if the owner's signed ballot really replaces that one, confirm below."),
        ]
    )
    replace = PaperReplace(poll.id or 0, done.household_id, earlier.ballot_id, True)
    keep = PaperReplace(poll.id or 0, done.household_id, earlier.ballot_id, False)
    label = _("It replaces the ballot of {when} ({reference})").format(
        when=_.datetime(earlier.cast_at, tz), reference=earlier.reference
    )
    return Screen(
        text, keyboard([button(label, replace)], [button(_("Keep the earlier ballot"), keep)])
    )


def paper_recorded(done: PaperBallot, _: Translator, tz: ZoneInfo) -> Screen:
    """A paper ballot recorded (or, refused, the question whether it replaces the earlier one)."""
    if done.entry.refused:
        return paper_refused(done, _, tz)
    lines = [
        _("Paper ballot of {home} recorded: {choice}.").format(
            home=done.label, choice=choice_text(done.poll, done.choice, _)
        )
    ]
    if done.entry.ballot is not None:
        lines.append(
            _("Reference {reference}: note it on the paper ballot.").format(
                reference=reference(done.entry.ballot)
            )
        )
    if done.entry.earlier is not None:
        lines.append(
            _(
                "⚠️ It replaces the earlier paper ballot of {when} ({reference}); the home is "
                "flagged in the vote's record and the committee is told."
            ).format(
                when=_.datetime(done.entry.earlier.cast_at, tz),
                reference=done.entry.earlier.reference,
            )
        )
    if done.flagged:
        lines.append(
            _(
                "⚠️ This home had also voted in the bot. The signed paper ballot counts, and the case is flagged for the committee."
            )
        )
    return Screen(join(lines))


def paper_kept(_: Translator) -> Screen:
    return Screen(_("The earlier paper ballot stays the one that counts; nothing was recorded."))


@renders(FLAG)
def ballot_flag(_: Translator, *, tz: ZoneInfo, poll: Poll, warning: FlagWarning) -> Screen:
    """To the committee: a home caught voting twice (never how it voted)."""
    head = _("⚠️ Vote #{id} “{title}”, {home}:").format(
        id=poll.id, title=poll.title, home=warning.home
    )
    by = _entered_by(warning.entered_by, _)
    when = _.datetime(warning.earlier_at, tz) if warning.earlier_at else ""
    earlier_by = _entered_by(warning.earlier_by, _)
    if warning.reason == BallotFlagReason.PAPER_REFUSED:
        what = _(
            "a second paper ballot, entered by {by}, was refused: the home already has the "
            "paper ballot entered {when} by {earlier_by}."
        ).format(by=by, when=when, earlier_by=earlier_by)
    elif warning.reason == BallotFlagReason.PAPER_REPLACED:
        what = _(
            "{by} confirmed a second paper ballot as the replacement of the one entered {when} "
            "by {earlier_by}; the new one counts."
        ).format(by=by, when=when, earlier_by=earlier_by)
    else:
        what = _(
            "the home voted in the bot ({when}) and on paper (entered by {by}); the signed paper "
            "ballot counts."
        ).format(by=by, when=when)
    text = join([head, what, _("The home is flagged in the vote's record.")])
    return Screen(text, keyboard([button(_("Open the vote"), VoteView(poll.id or 0))]))


# --- withdrawing a vote -----------------------------------------------------------------------
def ask_reason(poll: Poll, _: Translator) -> Screen:
    return Screen(
        _(
            "Withdraw vote #{id} “{title}”: send the reason every owner who had the notice will "
            "be told (at most 500 characters). /cancel to stop."
        ).format(id=poll.id, title=poll.title)
    )


def confirm_withdrawal(found: Withdrawal, _: Translator) -> Screen:
    poll = found.poll
    told = _.ngettext(
        "{count} person who was told of the vote will receive this reason.",
        "{count} people who were told of the vote will receive this reason.",
        found.told,
    ).format(count=_.number(found.told))
    text = join(
        [
            _("Withdraw vote #{id} “{title}”? This cannot be undone.").format(
                id=poll.id, title=poll.title
            ),
            _("Reason: {reason}").format(reason=found.reason),
            told,
        ]
    )
    return Screen(
        text,
        keyboard(
            [button(_("Withdraw the vote"), WithdrawConfirm(poll.id or 0, True))],
            [button(_("Keep the vote"), WithdrawConfirm(poll.id or 0, False))],
        ),
    )


def withdrawal_done(found: Withdrawal | None, _: Translator) -> Screen:
    if found is None:
        return Screen(_("The vote stays as it is; nothing was withdrawn."))
    return Screen(
        _.ngettext(
            "Vote #{id} is withdrawn. {count} person is being told, with your reason.",
            "Vote #{id} is withdrawn. {count} people are being told, with your reason.",
            found.told,
        ).format(id=found.poll.id, count=_.number(found.told))
    )


# --- the homes not yet voted ----------------------------------------------------------------
def not_voted_sheet(poll: Poll, homes: list[HomeRow], _: Translator) -> File:
    """Grid, home, roster name and phone and area: for door-to-door visits (names are text,
    never run), with empty columns to write down the visit."""
    columns = [
        Column(N_("Grid")),
        Column(N_("Home")),
        Column(N_("Owner (roster)")),
        Column(N_("Phone (roster)")),
        Column(N_("Area (㎡)"), "area"),
        *VISIT_COLUMNS,
    ]
    rows = [
        [h.grid, h.label, h.owner_name, h.owner_phone, h.area, *[None] * len(VISIT_COLUMNS)]
        for h in homes
    ]
    content = xlsx({N_("Not yet voted"): Table(columns, rows)}, _)
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
    ).format(title=poll.title, closes=_.datetime(poll.closes_at, tz), count=_.number(count))
    return Screen(text, document=not_voted_sheet(poll, homes, _))


# --- the record and the receipts ------------------------------------------------------------
def record(found: Record, _: Translator) -> list[Screen]:
    """The record as three files: XLSX, CSV (zip) and JSON."""
    files = record_files(found.poll.id or 0, found.tables, _)
    caption = _(
        "Tally with what was published, eligibility snapshot, anonymised ballots, flagged homes "
        "and objections."
    )
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
