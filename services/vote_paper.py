"""Staff entering a signed paper ballot (纸质选票) from a vote's card, as a typed draft: the home
(`1栋 1单元 101` or `1-1-101`, or the code printed on the ballot), then what the ballot says (a button for a resolution, the
candidates' numbers for an election). The paper ballot prevails over the home's bot ballot; a
second one for the home is refused, with the earlier one shown, unless staff confirm that it
replaces that earlier ballot (the draft then waits at the confirmation step)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Poll, PollKind, pk
from services import drafts
from services.actors import Actor
from services.ballot_codes import looks_like_code, read_code
from services.drafts import Draft
from services.errors import DomainError
from services.places import find_household, household_labels
from services.policy import Permission, authorize
from services.vote_ballots import PaperBallot, ensure_open, enter_paper_ballot, visible_poll
from services.vote_eligibility import voter_of_home


class PaperStep(StrEnum):
    HOME = "home"
    CHOICE = "choice"
    REPLACE = "replace"  # refused: does it replace the home's earlier paper ballot?


class PaperDraft(Draft, flow="paper_ballot", steps=PaperStep):
    poll_id: int
    household_id: int | None = None
    label: str = ""
    choice: list[str] = []  # what the refused ballot says, kept for the confirmation
    earlier_id: int | None = None  # the earlier paper ballot it would replace


async def _office_poll(session: AsyncSession, actor: Actor, poll_id: int) -> Poll:
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_PAPER_BALLOT, poll.compound_id)
    ensure_open(poll, None)
    return poll


async def start(session: AsyncSession, actor: Actor, poll_id: int, *, now: datetime) -> Poll:
    """ "Enter a paper ballot" on the card: which home?"""
    poll = await _office_poll(session, actor, poll_id)
    await drafts.begin(session, actor, PaperDraft(step=PaperStep.HOME, poll_id=poll_id), now=now)
    return poll


async def home(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> tuple[Poll, PaperDraft]:
    """The home, typed, or the code printed on the ballot; it must be in the vote's snapshot. Then: what does the ballot say?"""
    current = await drafts.load(session, actor, PaperDraft, PaperStep.HOME)
    poll = await _office_poll(session, actor, current.poll_id)
    if looks_like_code(text):  # the code printed on the ballot, typed or scanned
        household_id = read_code(poll, text).household_id
    else:
        household_id = pk(await find_household(session, [poll.compound_id], text))
    if await voter_of_home(session, poll, household_id) is None:
        raise DomainError(N_("That home is not among the units this vote is for."))
    label = (await household_labels(session, [household_id]))[household_id]
    current = drafts.replace(current, step=PaperStep.CHOICE, household_id=household_id, label=label)
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


async def confirm_replacement(
    session: AsyncSession,
    actor: Actor,
    poll_id: int,
    household_id: int,
    earlier_id: int,
    confirmed: bool,
    *,
    now: datetime,
) -> PaperBallot | None:
    """The answer to a refusal: the new ballot replaces that earlier one (named by the button),
    or the earlier one stays (None: nothing recorded)."""
    current = await drafts.load(session, actor, PaperDraft, PaperStep.REPLACE)
    if (current.poll_id, current.household_id, current.earlier_id) != (
        poll_id,
        household_id,
        earlier_id,
    ):
        raise DomainError(drafts.STALE)
    if not confirmed:
        await drafts.finish(session, actor, PaperDraft)
        return None
    return await _record(session, actor, current, current.choice, now=now, replaces=earlier_id)


async def _record(
    session: AsyncSession,
    actor: Actor,
    current: PaperDraft,
    choice: list[str],
    *,
    now: datetime,
    replaces: int | None = None,
) -> PaperBallot:
    assert current.household_id is not None
    poll = await _office_poll(session, actor, current.poll_id)
    entry = await enter_paper_ballot(
        session, actor, poll.id or 0, current.household_id, choice, now=now, replaces=replaces
    )
    if entry.refused:
        assert entry.earlier is not None
        waiting = drafts.replace(
            current, step=PaperStep.REPLACE, choice=choice, earlier_id=entry.earlier.ballot_id
        )
        await drafts.save(session, actor, waiting, now=now)
        return PaperBallot(poll, current.label, current.household_id, choice, entry)
    await drafts.finish(session, actor, PaperDraft)
    assert entry.ballot is not None
    return PaperBallot(poll, current.label, current.household_id, entry.ballot.choice, entry)
