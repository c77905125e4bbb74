"""How a vote reads to owners: the notice, the opening with its denominators, the list of votes,
the card with the home's current choice and its buttons, the answer to a ballot, the reminder,
a withdrawal and the receipt check."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Translator, html, join
from core.screen import Button, Screen, button, keyboard
from models import Poll, PollKind, PollStatus
from services.notify import renders
from services.tally import Choice, MatterType
from services.vote_ballots import Cast, Counted, ReceiptStatus
from services.vote_cards import VoteCard, VoteList
from services.vote_lifecycle import NOTICE, REMINDER
from services.vote_publication import OPENING
from services.vote_withdrawal import WITHDRAWN
from views.callbacks import CallbackData
from views.vote_objections import ObjectionList
from views.vote_results import CHOICE, ObjectionStart, bold, result_text
from views.vote_turnout import VoteTurnout, turnout_text

SPECIAL_ITEM = {
    6: N_("Art. 278 item 6: raising or re-raising the building maintenance fund"),
    7: N_("Art. 278 item 7: rebuilding or reconstructing buildings and their facilities"),
    8: N_("Art. 278 item 8: changing the use of common parts, or using them for business"),
}
STATUS = {
    PollStatus.PUBLISHED: N_("announced"),
    PollStatus.OPEN: N_("open for voting"),
    PollStatus.CLOSED: N_("closed"),
    PollStatus.CANCELLED: N_("withdrawn"),
}
NOT_OWNER = N_("Only owners vote in owners' assembly votes; tenants and family members do not.")


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
    action: str  # notvoted | export | receipts | paper | withdraw | ballots | result
    poll_id: int


def choice_text(poll: Poll, choice: list[str], _: Translator) -> Markup:
    """A ballot's choice as voters read it: the option, or the candidates chosen."""
    if poll.kind == PollKind.ELECTION:
        return join(choice, "、") if choice else _("no candidate (abstain)")
    try:
        return _(CHOICE[Choice(choice[0])])
    except (IndexError, ValueError):
        return join(choice, "、")


def status_text(poll: Poll, _: Translator) -> Markup:
    label = STATUS.get(poll.status)  # type: ignore[call-overload]
    return _(label) if label else html("{status}", status=poll.status)


def matter_text(poll: Poll, _: Translator) -> Markup:
    if poll.kind == PollKind.ELECTION:
        count = len(poll.candidates)
        return _.ngettext(
            "Election: choose up to {seats} of {count} candidate",
            "Election: choose up to {seats} of {count} candidates",
            count,
        ).format(seats=poll.seats, count=_.number(count))
    if poll.matter == MatterType.SPECIAL:
        item = SPECIAL_ITEM.get(poll.special_item or 6, SPECIAL_ITEM[6])
        return _("Special matter — {item}").format(item=_(item))
    return _("Ordinary matter")


def rule_text(poll: Poll, _: Translator) -> Markup:
    lines = [
        _(
            "Valid if the owners taking part hold at least 2/3 of the area and are at least 2/3 of "
            "the owners."
        )
    ]
    if poll.kind == PollKind.ELECTION:
        lines.append(
            _(
                "A candidate is elected with more than 1/2 of the participating area and owners; "
                "seats go to the most votes."
            )
        )
    elif poll.matter == MatterType.SPECIAL:
        lines.append(
            _("Passes with at least 3/4 of the participating area and of the participating owners.")
        )
    else:
        lines.append(
            _(
                "Passes with more than 1/2 of the participating area and of the participating owners."
            )
        )
    if poll.count_unreturned_with_majority:
        lines.append(
            _("Under this compound's rules, ballots not returned count with the majority.")
        )
    return join(lines)


def scope_text(poll: Poll, _: Translator, buildings: list[str]) -> Markup:
    if not poll.building_ids:
        return _("Owners of the whole compound")
    return _("Owners of {buildings}").format(buildings=join(buildings, "、"))


def poll_text(poll: Poll, _: Translator, tz: ZoneInfo, buildings: list[str]) -> Markup:
    """The vote as owners read it: title, text, matter and rule, who votes, when."""
    lines = [
        _.sentences(
            html("<b>🗳 {title}</b>", title=poll.title),
            # NOTE: after a vote's title: its number and state ("（#3，投票中）" in Chinese).
            _("(#{id}, {status})").format(id=poll.id, status=status_text(poll, _)),
        ),
    ]
    if poll.body:
        lines.append(html("{body}", body=poll.body))
    lines += [Markup(""), _("Matter: {matter}").format(matter=matter_text(poll, _))]
    if poll.kind == PollKind.ELECTION:
        lines.append(_("Candidates: {names}").format(names=join(poll.candidates, "、")))
    lines += [
        _("Who votes: {scope}").format(scope=scope_text(poll, _, buildings)),
        _("Voting: {opens} – {closes}").format(
            opens=_.datetime(poll.opens_at, tz),
            closes=_.datetime(poll.closes_at, tz),
        ),
        rule_text(poll, _),
    ]
    return join(lines)


@renders(NOTICE)
def notice(_: Translator, *, tz: ZoneInfo, poll: Poll, buildings: list[str]) -> Screen:
    """The owners' notice (业主大会表决公告), sent at the notice time."""
    text = join(
        [
            bold(_("Notice of an owners’ assembly vote")),
            poll_text(poll, _, tz, buildings),
            Markup(""),
            _("Only owners vote; you can change your ballot until the close. Open it with /vote."),
        ]
    )
    return Screen(text, keyboard([button(_("Open the vote"), VoteView(poll.id or 0))]))


@renders(OPENING)
def opening(_: Translator, *, tz: ZoneInfo, poll: Poll) -> Screen:
    """To the owners of the snapshot when voting opens: the denominators everything is a share
    of, the rule that applies, the close, and the button to vote."""
    head = poll.published_headcount or 0
    text = join(
        [
            _.sentences(
                html(
                    "<b>{opened}</b>", opened=_("Voting is open: {title}").format(title=poll.title)
                ),
                # NOTE: after a vote's title: its number ("（#3）" in Chinese).
                _("(#{id})").format(id=poll.id),
            ),
            _("Voting closes on {closes}; you can change your ballot until then.").format(
                closes=_.datetime(poll.closes_at, tz)
            ),
            Markup(""),
            bold(_("The denominators, fixed when voting opened:")),
            _("Total exclusive area: {area}").format(area=_.area(poll.published_area or 0)),
            _.ngettext(
                "Total headcount: {count} owner", "Total headcount: {count} owners", head
            ).format(count=_.number(head)),
            Markup(""),
            rule_text(poll, _),
        ]
    )
    return Screen(text, keyboard([button(_("Vote now"), VoteView(poll.id or 0))]))


@renders(REMINDER)
def reminder(_: Translator, *, tz: ZoneInfo, poll: Poll) -> Screen:
    text = _(
        "A friendly reminder: the owners’ vote “{title}” closes on {closes}, and your home has not "
        "voted yet. Every owner’s voice counts toward the 2/3 needed."
    ).format(title=poll.title, closes=_.datetime(poll.closes_at, tz))
    return Screen(text, keyboard([button(_("Vote now"), VoteView(poll.id or 0))]))


def vote_list(found: VoteList, _: Translator) -> Screen:
    """/vote: the person's compounds' votes, open ones first."""
    lines = []
    if not found.polls:
        lines.append(_("There are no owners' votes for your compound at the moment."))
    else:
        lines.append(_("<b>Owners' votes</b> (tap one to read it and vote)"))
    if found.not_an_owner:
        lines.append(_(NOT_OWNER))
    rows = [
        [button(join([f"#{p.id}", status_text(p, _), p.title[:24]], " · "), VoteView(p.id or 0))]
        for p in found.polls
    ]
    return Screen(join(lines), keyboard(*rows))


def ballot_text(poll: Poll, ballot: Counted | None, _: Translator) -> Markup:
    if ballot is None:
        return _("Your home has not voted yet.")
    choice = choice_text(poll, ballot.choice, _)
    if ballot.channel == "paper":
        return _("Your home’s ballot: {choice} (paper ballot)").format(choice=choice)
    return _("Your home’s ballot: {choice}").format(choice=choice)


def current_choice(poll: Poll, ballot: Counted | None, _: Translator, tz: ZoneInfo) -> Markup:
    """The home's choice as its own owners see it on the card (nobody else is shown it)."""
    if poll.status != PollStatus.OPEN:
        return ballot_text(poll, ballot, _)
    closes = _.datetime(poll.closes_at, tz)
    if ballot is None:
        return join(
            [ballot_text(poll, None, _), _("You can vote until {closes}.").format(closes=closes)]
        )
    choice = choice_text(poll, ballot.choice, _)
    if ballot.channel == "paper":
        return _(
            "Your home’s current choice: {choice} — a signed paper ballot entered by the staff, "
            "which is the one that counts."
        ).format(choice=choice)
    return _("Your home’s current choice: {choice} (you can change it until {closes}).").format(
        choice=choice, closes=closes
    )


def withdrawal_text(poll: Poll, _: Translator, tz: ZoneInfo) -> Markup:
    """Why and when a vote was withdrawn, as everyone reads it on the card and in the message."""
    return _("This vote was withdrawn on {when}. Reason: {reason}").format(
        when=_.datetime(poll.withdrawn_at or poll.closes_at, tz),
        reason=poll.withdrawal_reason or "",
    )


@renders(WITHDRAWN)
def withdrawn(_: Translator, *, tz: ZoneInfo, poll: Poll) -> Screen:
    """To everyone who was told of the vote: it is withdrawn, and why."""
    text = join(
        [
            bold(_("An owners’ vote is withdrawn")),
            _("The owners’ vote “{title}” (#{id}) will not take place.").format(
                title=poll.title, id=poll.id
            ),
            withdrawal_text(poll, _, tz),
            _("Ballots already cast are not counted; the vote and its record are kept."),
        ]
    )
    return Screen(text, keyboard([button(_("Open the vote"), VoteView(poll.id or 0))]))


def _ballot_buttons(poll: Poll, mask: int, _: Translator) -> list[list[Button]]:
    if poll.kind == PollKind.RESOLUTION:
        return [[button(_(CHOICE[c]), VoteCast(poll.id or 0, c.value)) for c in Choice]]
    rows = [
        [
            button(
                ("☑️ " if mask & (1 << i) else "⬜ ") + name,
                VoteElect(poll.id or 0, mask ^ (1 << i), False),
            )
        ]
        for i, name in enumerate(poll.candidates)
    ]
    count = bin(mask).count("1")
    label = _("Submit my choice ({count} of at most {seats})").format(count=count, seats=poll.seats)
    rows.append([button(label, VoteElect(poll.id or 0, mask, True))])
    return rows


def card(found: VoteCard, _: Translator, tz: ZoneInfo) -> Screen:
    """The vote as this person sees it, with the buttons the service says they may use."""
    poll = found.poll
    lines = [poll_text(poll, _, tz, found.buildings)]
    rows: list[list[Button]] = []
    status = poll.status
    if status == PollStatus.CANCELLED:
        lines += [Markup(""), withdrawal_text(poll, _, tz)]
    elif status in (PollStatus.OPEN, PollStatus.CLOSED) and found.voter:
        lines += [Markup(""), current_choice(poll, found.ballot, _, tz)]
        if found.vote:
            rows += _ballot_buttons(poll, found.mask, _)
    elif found.not_an_owner:
        lines += [Markup(""), _(NOT_OWNER)]
    if status == PollStatus.PUBLISHED and found.voter:
        lines += [Markup(""), _("Voting has not opened yet.")]
    outcome = found.outcome
    if outcome.turnout is not None:
        lines += [Markup(""), turnout_text(outcome.turnout, _)]
    if status == PollStatus.CLOSED and poll.result:
        lines += [Markup(""), result_text(poll, _, tz, outcome.objections)]
    if outcome.may_object:
        rows.append([button(_("Raise an objection"), ObjectionStart(poll.id or 0))])
    if found.receipts:
        rows.append([button(_("Counted receipt hashes"), VoteManage("receipts", poll.id or 0))])
    office = []
    if found.not_voted_list:
        office.append(button(_("Not yet voted"), VoteManage("notvoted", poll.id or 0)))
    if found.paper_ballot:
        office.append(button(_("Enter a paper ballot"), VoteManage("paper", poll.id or 0)))
    if found.print_ballots:
        office.append(button(_("Print paper ballots"), VoteManage("ballots", poll.id or 0)))
    if found.export:
        office.append(button(_("Export the record"), VoteManage("export", poll.id or 0)))
    if found.export and status == PollStatus.CLOSED and poll.result:
        office.append(button(_("Result notice (PDF)"), VoteManage("result", poll.id or 0)))
    if outcome.turnout is not None:
        office.append(button(_("Live turnout"), VoteTurnout(poll.id or 0)))
    if outcome.read_objections:
        label = _("Objections ({count})").format(count=_.number(outcome.objections))
        office.append(button(label, ObjectionList(poll.id or 0)))
    rows.append(office)
    if found.withdraw:
        rows.append([button(_("Withdraw this vote"), VoteManage("withdraw", poll.id or 0))])
    return Screen(join(lines), keyboard(*rows))


def cast(done: Cast, _: Translator, tz: ZoneInfo) -> Screen:
    """The answer to a ballot: its time and receipt code, or that nothing changed."""
    poll = done.poll
    chosen = ballot_text(poll, done.ballot, _)
    if done.code is None:
        return Screen(
            _("{ballot}. It was already recorded; nothing changed.").format(ballot=chosen)
        )
    text = _(
        "{ballot} — recorded at {when}.\nYour receipt code: <code>{code}</code>\nKeep it to yourself. "
        "After the close, /receipt {code} shows that your ballot was counted. You can change your "
        "vote until {closes}; only the last one counts."
    ).format(
        ballot=chosen,
        when=_.datetime(done.cast_at, tz),
        code=done.code,
        closes=_.datetime(poll.closes_at, tz),
    )
    if done.changed:
        text = join([_("Your vote is changed."), text])
    return Screen(text)


def receipt_asked(_: Translator) -> Screen:
    return Screen(_("Send /receipt followed by the receipt code you got when you voted."))


def receipt(poll: Poll | None, status: ReceiptStatus, _: Translator) -> Screen:
    """/receipt CODE: was this ballot counted? Says nothing about the choice."""
    if poll is None or status == ReceiptStatus.UNKNOWN:
        return Screen(_("No ballot has this receipt code. Please check the code."))
    if status == ReceiptStatus.WITHDRAWN:
        return Screen(
            _("Vote #{id} was withdrawn before its close; no ballot of it is counted.").format(
                id=poll.id
            )
        )
    if status == ReceiptStatus.REPLACED:
        return Screen(
            _(
                "This receipt belongs to a ballot that was later changed; the later ballot of your home counts instead."
            )
        )
    if poll.status == PollStatus.CLOSED:
        return Screen(
            _("Counted: your ballot is in the final tally of vote #{id}.").format(id=poll.id)
        )
    return Screen(
        _(
            "Recorded: this is your home's current ballot in vote #{id}; it will be counted unless you change it."
        ).format(id=poll.id)
    )
