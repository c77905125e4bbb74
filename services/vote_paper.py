"""Staff entering a signed paper ballot (纸质选票) from a vote's card, as a typed draft: the home
(`1栋 1单元 101` or `1-1-101`), then what the ballot says (a button for a resolution, the
candidates' numbers for an election). The paper ballot prevails over the home's bot ballot."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Poll, PollKind, PollStatus
from services import drafts
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError
from services.places import find_household, household_labels
from services.policy import Permission, authorize
from services.vote_ballots import NOT_OPEN, PaperBallot, enter_paper_ballot, visible_poll
from services.vote_eligibility import voter_of_home


class PaperStep(StrEnum):
    HOME = "home"
    CHOICE = "choice"


class PaperDraft(Draft, flow="paper_ballot"):
    poll_id: int
    household_id: int | None = None
    label: str = ""


async def _office_poll(session: AsyncSession, actor: Actor, poll_id: int) -> Poll:
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_PAPER_BALLOT, poll.compound_id)
    if poll.status != PollStatus.OPEN:
        raise DomainError(NOT_OPEN)
    return poll


async def start(session: AsyncSession, actor: Actor, poll_id: int, *, now: datetime) -> Poll:
    """ "Enter a paper ballot" on the card: which home?"""
    poll = await _office_poll(session, actor, poll_id)
    await drafts.begin(session, actor, PaperDraft(step=PaperStep.HOME, poll_id=poll_id), now=now)
    return poll


async def home(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> tuple[Poll, PaperDraft]:
    """The home, typed; it must be in the vote's snapshot. Then: what does the ballot say?"""
    current = await drafts.load(session, actor, PaperDraft, PaperStep.HOME)
    poll = await _office_poll(session, actor, current.poll_id)
    found = await find_household(session, [poll.compound_id], text)
    assert found.id is not None
    if await voter_of_home(session, poll, found.id) is None:
        raise DomainError(N_("That home is not among the units this vote is for."))
    label = (await household_labels(session, [found.id]))[found.id]
    current = drafts.replace(current, step=PaperStep.CHOICE, household_id=found.id, label=label)
    await drafts.save(session, actor, current, now=now)
    return poll, current


async def choose(
    session: AsyncSession,
    actor: Actor,
    poll_id: int,
    household_id: int,
    choice: str,
    *,
    now: datetime,
) -> PaperBallot:
    """A resolution's paper ballot: the button pressed (of this home and vote, or stale)."""
    current = await drafts.load(session, actor, PaperDraft, PaperStep.CHOICE)
    if (current.poll_id, current.household_id) != (poll_id, household_id):
        raise DomainError(drafts.STALE)
    return await _record(session, actor, current, [choice], now=now)


async def candidates(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> PaperBallot:
    """An election's paper ballot: the candidates' numbers, e.g. `1,3` (`0`: none chosen)."""
    current = await drafts.load(session, actor, PaperDraft, PaperStep.CHOICE)
    poll = await _office_poll(session, actor, current.poll_id)
    if poll.kind != PollKind.ELECTION:
        raise DomainError(N_("Please choose with the buttons above, or send /cancel to stop."))
    try:
        numbers = {int(part) for part in text.replace("，", ",").split(",") if part.strip()}
    except ValueError:
        numbers = {-1}
    if not numbers or (numbers != {0} and not all(1 <= n <= len(poll.candidates) for n in numbers)):
        raise DomainError(N_("Please send candidate numbers from the list, e.g. 1,3 (0 for none)."))
    choice = [] if numbers == {0} else [poll.candidates[n - 1] for n in sorted(numbers)]
    return await _record(session, actor, current, choice, now=now)


async def _record(
    session: AsyncSession, actor: Actor, current: PaperDraft, choice: list[str], *, now: datetime
) -> PaperBallot:
    assert current.household_id is not None
    poll = await _office_poll(session, actor, current.poll_id)
    _code, ballot = await enter_paper_ballot(
        session, actor, poll.id or 0, current.household_id, choice, now=now
    )
    await drafts.finish(session, actor, PaperDraft)
    return PaperBallot(poll, current.label, ballot.choice, ballot.flagged)
