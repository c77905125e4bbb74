"""The office console's owners' votes: the compound's votes with their status, and paper ballots
(纸质选票) entered in a batch — one line per returned ballot, its code typed or scanned and what
the paper says. The batch is checked first, every problem shown on its line: a mistyped or
forged code, a code of another vote, a home outside the snapshot, the same ballot (or the same
owner) twice in the batch, a choice the vote does not have. A home that voted in the bot is
entered and flagged (the signed paper prevails), and a home that already has a paper ballot is
refused and flagged, both by `vote_ballots.enter_paper_ballot` as in the bot. Entering books
the batch that was checked, once: a second post of the same form finds its draft gone."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import LANGUAGES, N_, Translator, translator
from models import Ballot, BallotChannel, Building, EligibleHome, Poll, PollKind, PollStatus, pk
from services import drafts
from services.actors import Actor
from services.ballot_codes import OTHER_VOTE, looks_like_code, read_code
from services.drafts import Draft
from services.errors import BadInput, DomainError, NotAllowed
from services.places import household_labels
from services.policy import Permission, authorize, compound_ids, compounds, rule
from services.tally import Choice
from services.vote_ballots import (
    check_choice,
    current,
    ensure_open,
    enter_paper_ballot,
    visible_poll,
)
from services.vote_cards import ORDER
from services.vote_drafts import Question, VoteForm, check_form, publish_form
from services.vote_flags import earlier_of, reference

MAX_LINES = 500
LISTED = 100
TOO_MANY = N_("A batch takes at most {count} lines; enter the rest in another batch.")
EMPTY = N_("Type or scan at least one ballot code.")
NO_CODE = N_("No ballot code on this line.")
BAD_CODE = N_("This is not a valid paper ballot code; check it against the paper.")
NOT_IN_SNAPSHOT = N_("That home is not among the units this vote is for.")
NO_CHOICE = N_(
    "Add what the paper says after the code (e.g. {example}), or choose it for the whole batch."
)
SAME_BALLOT = N_("The same ballot as line {line}.")
SAME_OWNER = N_("The same owner as line {line}: an owner with several homes votes once.")
BATCH_GONE = N_(
    "This batch was entered already, or checked again since: nothing was done. Check it again."
)
VOTE_GONE = N_(
    "This vote was published already, or previewed again since: nothing was done. Look at the "
    "list of votes, or preview it again."
)
VOTE_CHANGED = N_("The form changed after its preview: nothing was published. Preview it again.")
BATCH_CHANGED = N_("The batch changed after it was checked: nothing was done. Check it again.")
# The words a paper's choice may be typed as, besides its label in each language.
SYNONYMS = {"赞成": Choice.AGREE, "不同意": Choice.DISAGREE, "棄權": Choice.ABSTAIN}
LABELS = {Choice.AGREE: "Agree", Choice.DISAGREE: "Disagree", Choice.ABSTAIN: "Abstain"}


class LineState(StrEnum):
    OK = "ok"  # entered as it is
    FLAG = "flag"  # entered; the home voted in the bot and is flagged (the paper prevails)
    REFUSE = "refuse"  # a second paper ballot: entering records the refusal and flags the home
    PROBLEM = "problem"  # not entered until fixed


@dataclass(frozen=True)
class Earlier:
    cast_at: datetime
    entered_by: str | None
    reference: str
    ballot_id: int  # what a confirmed replacement names (as the bot's button does)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, as in the text area
    text: str
    state: LineState
    home: str | None = None  # 1栋 1单元 101
    household_id: int | None = None
    choice: list[str] | None = None
    problem: Markup | None = None  # rendered in the viewer's language
    earlier: Earlier | None = None  # a paper ballot already recorded for the home


@dataclass(frozen=True)
class Batch:
    poll: Poll
    lines: list[Line]
    token: str  # names the checked batch for its "enter" form

    def count(self, *states: LineState) -> int:
        return sum(1 for line in self.lines if line.state in states)

    @property
    def problems(self) -> int:
        return self.count(LineState.PROBLEM)

    @property
    def to_enter(self) -> int:
        return self.count(LineState.OK, LineState.FLAG, LineState.REFUSE)


@dataclass(frozen=True)
class Entered:
    """A line of an entered batch: its home, and the reference to note on the paper."""

    number: int
    home: str
    choice: list[str]
    reference: str | None  # None: refused (a second paper ballot)
    flagged: bool
    replaced: str | None = None  # the reference of the earlier paper ballot it replaces


class BatchDraft(Draft, flow="console_paper_batch"):
    poll_id: int
    token: str
    digest: str


class VoteFormDraft(Draft, flow="console_newvote"):
    """A new vote's form as previewed: publishing takes it, once."""

    token: str
    digest: str


# --- the votes --------------------------------------------------------------------------------
async def votes(session: AsyncSession, actor: Actor) -> list[Poll]:
    """The announced, open, closed and withdrawn votes of the viewer's compounds, open first."""
    places = await compound_ids(session, actor, Permission.VOTE_VIEW)
    if not places:
        return []
    found = list(
        (
            await session.exec(
                select(Poll)
                .where(col(Poll.compound_id).in_(places))
                .where(col(Poll.status).in_(list(ORDER)))
                .order_by(col(Poll.closes_at).desc())
                .limit(LISTED)
            )
        ).all()
    )
    found.sort(key=lambda p: (ORDER[PollStatus(p.status)], p.closes_at))
    return found


# --- paper ballots in a batch -------------------------------------------------------------------
async def paper_poll(session: AsyncSession, actor: Actor, poll_id: int) -> Poll:
    """An open vote whose paper ballots the viewer enters (staff, administrators)."""
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_PAPER_BALLOT, poll.compound_id)
    ensure_open(poll, None)
    return poll


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


@cache
def _words() -> dict[str, Choice]:
    """A resolution's choices as typed: the label in each language, or a synonym."""
    words = {c.value: c for c in Choice}
    for choice, msgid in LABELS.items():
        for language in LANGUAGES:
            words[str(translator(language).plain(msgid)).lower()] = choice
    words.update(SYNONYMS)
    return words


NUMBERS = re.compile(r"^[0-9]+([,，、][0-9]+)*$")


def _choice_word(poll: Poll, word: str) -> list[str] | None:
    """The choice a word says, or None if it is no choice word (then it is part of the code)."""
    word = _normal(word).lower()
    if poll.kind == PollKind.ELECTION:
        if not NUMBERS.match(word):
            return None
        numbers = {int(n) for n in re.split(r"[,，、]", word)}
        if numbers == {0}:
            return []
        return [
            poll.candidates[n - 1] if 1 <= n <= len(poll.candidates) else f"#{n}"
            for n in sorted(numbers)
        ]
    found = _words().get(word)
    return None if found is None else [found.value]


def _split(poll: Poll, text: str) -> tuple[str, list[str] | None]:
    """(the code's text, the choice) of a line: the choice first or last, the code the rest."""
    words = _normal(text).split()
    if words:
        first = _choice_word(poll, words[0]) if len(words) > 1 else None
        if first is not None:
            return "".join(words[1:]), first
        last = _choice_word(poll, words[-1])
        if last is not None and (len(words) > 1 or not looks_like_code(words[-1])):
            return "".join(words[:-1]), last
    return "".join(words), None


def default_choice(poll: Poll, value: str) -> list[str] | None:
    """The choice picked for the whole batch (lines with a code only); none for an election."""
    if poll.kind != PollKind.RESOLUTION or value not in {c.value for c in Choice}:
        return None
    return [value]


def _digest(poll: Poll, text: str, default: str) -> str:
    return hashlib.sha256(f"{poll.id}\n{default}\n{text}".encode()).hexdigest()


def _lines(text: str) -> list[tuple[int, str]]:
    found = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not found:
        raise BadInput("lines", EMPTY)
    if len(found) > MAX_LINES:
        raise BadInput("lines", TOO_MANY, count=MAX_LINES)
    return found


async def _check(
    session: AsyncSession, poll: Poll, text: str, default: str, _: Translator
) -> list[Line]:
    batch_default = default_choice(poll, default)
    seen: dict[int | str, int] = {}  # a home's id or a voter's key: its first line
    checked: list[Line] = []
    lines = [(number, raw, *_split(poll, raw)) for number, raw in _lines(text)]
    homes = set()
    for _number, _raw, code_text, _said in lines:
        try:
            homes.add(read_code(poll, code_text).household_id)
        except DomainError:
            continue
    # The homes' labels and headcount units at once (a batch has hundreds of lines).
    labels = await household_labels(session, sorted(homes)) if homes else {}
    keys: dict[int, str] = {}
    if homes:
        keys = {
            home: key
            for home, key in await session.exec(
                select(col(EligibleHome.household_id), col(EligibleHome.voter_key))
                .where(col(EligibleHome.poll_id) == poll.id)
                .where(col(EligibleHome.household_id).in_(sorted(homes)))
            )
        }
    for number, raw, code_text, said in lines:
        choice = batch_default if said is None else said
        try:
            line = await _line(session, poll, (number, raw), code_text, choice, seen, keys, _)
        except _Problem as problem:
            home = problem.household_id
            line = Line(number, raw, LineState.PROBLEM, None, home, choice, problem.text)
        if line.household_id is not None:
            line = replace(line, home=labels.get(line.household_id))
        checked.append(line)
    return checked


class _Problem(Exception):
    def __init__(self, text: Markup, household_id: int | None = None) -> None:
        super().__init__(str(text))
        self.text = text
        self.household_id = household_id


async def _line(
    session: AsyncSession,
    poll: Poll,
    where: tuple[int, str],
    code_text: str,
    choice: list[str] | None,
    seen: dict[int | str, int],
    keys: dict[int, str],  # each home's headcount unit in the snapshot
    _: Translator,
) -> Line:
    """One line of the batch, or the _Problem that keeps it out."""
    number, raw = where
    if not code_text:
        raise _Problem(_(NO_CODE))
    try:
        home = read_code(poll, code_text).household_id
    except DomainError as error:
        raise _Problem(error.render(_) if error.msgid == OTHER_VOTE else _(BAD_CODE)) from None
    voter_key = keys.get(home)
    if voter_key is None:
        raise _Problem(_(NOT_IN_SNAPSHOT), home)
    if home in seen:
        raise _Problem(_(SAME_BALLOT).format(line=seen[home]), home)
    if voter_key in seen:
        raise _Problem(_(SAME_OWNER).format(line=seen[voter_key]), home)
    seen[home] = seen[voter_key] = number
    if choice is None:
        raise _Problem(_(NO_CHOICE).format(example=_(LABELS[Choice.AGREE])), home)
    try:
        choice = check_choice(poll, choice)
    except DomainError as error:
        raise _Problem(error.render(_), home) from None
    counting = await current(session, poll.id or 0, voter_key)
    if counting is not None and counting.channel == BallotChannel.PAPER:
        found = await earlier_of(session, counting)
        earlier = Earlier(found.cast_at, found.entered_by, found.reference, found.ballot_id)
        return Line(number, raw, LineState.REFUSE, None, home, choice, None, earlier)
    state = LineState.OK if counting is None else LineState.FLAG
    return Line(number, raw, state, None, home, choice)


async def check(
    session: AsyncSession,
    actor: Actor,
    poll_id: int,
    text: str,
    default: str,
    _: Translator,
    *,
    now: datetime,
) -> Batch:
    """Every line checked against the vote; the batch is kept (as a draft) for "enter"."""
    poll = await paper_poll(session, actor, poll_id)
    lines = await _check(session, poll, text, default, _)
    token = secrets.token_urlsafe(12)
    await drafts.begin(
        session,
        actor,
        BatchDraft(
            step="check", poll_id=pk(poll), token=token, digest=_digest(poll, text, default)
        ),
        now=now,
    )
    return Batch(poll, lines, token)


T = TypeVar("T", BatchDraft, "VoteFormDraft")


async def _take(session: AsyncSession, actor: Actor, kind: type[T], token: str, gone: str) -> T:
    """The checked form, deleted as it is taken: a second post (or one racing it) finds none."""
    return await drafts.take(session, actor, kind, token, gone)


async def enter(
    session: AsyncSession,
    actor: Actor,
    poll_id: int,
    text: str,
    default: str,
    token: str,
    _: Translator,
    *,
    now: datetime,
    replacing: dict[int, int] | None = None,
) -> tuple[Batch, list[Entered]]:
    """Book the checked batch: every line without a problem, through the same service as the
    bot (a home that voted in the bot is flagged; a second paper ballot is refused and
    flagged, unless `replacing` confirms it as the replacement of the earlier ballot it names,
    line number → that ballot's id, as the bot's confirmation does; a name that is not the
    home's latest paper ballot any more is refused). Lines with a problem are left out; they
    are shown again to be fixed."""
    poll = await paper_poll(session, actor, poll_id)
    taken = await _take(session, actor, BatchDraft, token, BATCH_GONE)
    if taken.poll_id != poll_id or taken.digest != _digest(poll, text, default):
        raise DomainError(BATCH_CHANGED)
    lines = await _check(session, poll, text, default, _)
    confirmed = replacing or {}
    entered = []
    for line in lines:
        if line.state == LineState.PROBLEM:
            continue
        assert line.household_id is not None and line.choice is not None
        replaces = confirmed.get(line.number) if line.state == LineState.REFUSE else None
        done = await enter_paper_ballot(
            session, actor, pk(poll), line.household_id, line.choice, now=now, replaces=replaces
        )
        ballot: Ballot | None = done.ballot
        replaced = done.earlier.reference if ballot and done.earlier else None
        entered.append(
            Entered(
                line.number,
                line.home or "",
                list(ballot.choice) if ballot else line.choice,
                reference(ballot) if ballot else None,
                done.flag is not None,
                replaced,
            )
        )
    return Batch(poll, lines, ""), entered


# --- drafting a vote ----------------------------------------------------------------------------
@dataclass(frozen=True)
class DraftPlaces:
    compounds: list[tuple[int, str]]
    buildings: list[tuple[int, str, str]]  # id, compound, building


async def draft_places(session: AsyncSession, actor: Actor) -> DraftPlaces:
    """Where the viewer drafts votes (committee members, administrators), and their buildings."""
    office = await compounds(session, actor, Permission.VOTE_DRAFT)
    if not office:
        raise NotAllowed(rule(Permission.VOTE_DRAFT).refusal)
    names = {pk(c): c.name for c in office}
    found = await session.exec(
        select(Building)
        .where(col(Building.compound_id).in_(list(names)))
        .order_by(col(Building.compound_id), col(Building.name))
        .limit(300)
    )
    return DraftPlaces(
        sorted(names.items(), key=lambda item: item[1]),
        [(pk(b), names[b.compound_id], b.name) for b in found],
    )


def _form_digest(form: VoteForm) -> str:
    return hashlib.sha256(json.dumps(asdict(form), sort_keys=True).encode()).hexdigest()


async def preview_vote(
    session: AsyncSession, actor: Actor, form: VoteForm, *, now: datetime, tz: ZoneInfo
) -> tuple[Question, str]:
    """The form checked as /newvote checks each answer, up to the preview; kept for publishing."""
    question = await check_form(session, actor, form, now=now, tz=tz)
    token = secrets.token_urlsafe(12)
    kept = VoteFormDraft(step="preview", token=token, digest=_form_digest(form))
    await drafts.begin(session, actor, kept, now=now)
    return question, token


async def publish_vote(
    session: AsyncSession,
    actor: Actor,
    form: VoteForm,
    token: str,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> Poll:
    """The previewed form published, once (checked again: time has passed since the preview)."""
    taken = await _take(session, actor, VoteFormDraft, token, VOTE_GONE)
    if taken.digest != _form_digest(form):
        raise DomainError(VOTE_CHANGED)
    return await publish_form(session, actor, form, now=now, tz=tz)
