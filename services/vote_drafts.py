"""/newvote: a vote being drafted in the bot, a typed draft answered step by step (a restart loses
nothing) until the committee member publishes it; each answer is checked here before the next
question, and publishing applies every rule of vote_lifecycle.draft."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Translator
from models import Building, Compound, Poll, PollKind, PollStatus
from services import drafts
from services.actors import Actor
from services.drafts import Draft
from services.errors import BadInput, DomainError, NotAllowed
from services.inputs import parse_local_time
from services.policy import Permission, authorize, compounds, rule
from services.tally import MatterType
from services.vote_eligibility import building_names, scope_counts
from services.vote_lifecycle import (
    MAX_CANDIDATES,
    MAX_TITLE,
    SPECIAL_ITEMS,
    check_times,
    default_times,
    draft,
)
from services.vote_rules import VotingRules

MAX_BODY = 3000
MAX_NAME = 40
BUILDINGS_SHOWN = 40


class VoteStep(StrEnum):
    COMPOUND = "compound"
    TITLE = "title"
    BODY = "body"
    KIND = "kind"
    MATTER = "matter"
    CANDIDATES = "candidates"
    SEATS = "seats"
    SCOPE = "scope"
    PICK = "pick"
    TIMES = "times"
    TIMES_TEXT = "times_text"
    PREVIEW = "preview"


TYPED = (VoteStep.TITLE, VoteStep.BODY, VoteStep.CANDIDATES, VoteStep.TIMES_TEXT)


class VoteDraft(Draft, flow="newvote"):
    compound_id: int | None = None
    title: str = ""
    body: str = ""
    kind: PollKind = PollKind.RESOLUTION
    matter: MatterType = MatterType.ORDINARY
    special_item: int | None = None
    candidates: list[str] = []
    seats: int = 1
    buildings: list[int] = []
    notice_at: datetime | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None


@dataclass(frozen=True)
class Preview:
    """The notice exactly as owners will read it, and how many it reaches."""

    poll: Poll  # not saved
    buildings: list[str]
    homes: int
    owners: int  # of those homes, who use the bot


@dataclass(frozen=True)
class Question:
    """The draft at its step, with what that step's question shows."""

    draft: VoteDraft
    compounds: list[Compound] = field(default_factory=list)  # COMPOUND
    buildings: list[Building] = field(default_factory=list)  # PICK
    preview: Preview | None = None  # PREVIEW


async def _compound(
    session: AsyncSession, actor: Actor, compound_id: int, *, now: datetime, tz: ZoneInfo
) -> VoteDraft:
    await authorize(session, actor, Permission.VOTE_DRAFT, compound_id)
    compound = await session.get(Compound, compound_id)
    assert compound is not None
    notice, opens, closes = default_times(now, tz, VotingRules.of(compound))
    return VoteDraft(
        step=VoteStep.TITLE,
        compound_id=compound_id,
        notice_at=notice,
        opens_at=opens,
        closes_at=closes,
    )


async def start(session: AsyncSession, actor: Actor, *, now: datetime, tz: ZoneInfo) -> Question:
    """/newvote: which compound (if several), else the title."""
    office = await compounds(session, actor, Permission.VOTE_DRAFT)
    if not office or not actor.registered:
        raise NotAllowed(rule(Permission.VOTE_DRAFT).refusal)
    if len(office) == 1:
        new = await _compound(session, actor, office[0].id or 0, now=now, tz=tz)
    else:
        new = VoteDraft(step=VoteStep.COMPOUND)
    await drafts.begin(session, actor, new, now=now)
    return Question(new, compounds=office[:20])


async def answer_text(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime, tz: ZoneInfo
) -> Question:
    """A typed answer: to the step the draft is at (title, text, candidates or times)."""
    found = await drafts.find(session, actor, VoteDraft)
    if found is None or found.step not in TYPED:
        raise DomainError(drafts.STALE)
    return await answer(session, actor, found.step, text, now=now, tz=tz)


async def answer(
    session: AsyncSession, actor: Actor, step: str, value: str, *, now: datetime, tz: ZoneInfo
) -> Question:
    """One answer; an answer to another step than the one asked is stale."""
    current = await drafts.load(session, actor, VoteDraft, step)
    new = await _next(session, actor, current, VoteStep(step), value, now=now, tz=tz)
    await drafts.save(session, actor, new, now=now)
    return await _question(session, new)


async def _next(
    session: AsyncSession,
    actor: Actor,
    current: VoteDraft,
    step: VoteStep,
    value: str,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> VoteDraft:
    """The draft with this step's answer, at its next step."""
    S = VoteStep
    text = (value or "").strip()
    if step == S.COMPOUND:
        return await _compound(session, actor, _int(value), now=now, tz=tz)
    if step == S.TITLE:
        if not text or len(text) > MAX_TITLE:
            raise DomainError(N_("Please send a title of at most 200 characters."))
        return drafts.replace(current, title=text, step=S.BODY)
    if step == S.BODY:
        if len(text) > MAX_BODY:
            raise DomainError(N_("Please keep the text under 3,000 characters."))
        return drafts.replace(current, body=text, step=S.KIND)
    if step == S.KIND:
        kind = _one_of(value, [k.value for k in PollKind])
        following = S.CANDIDATES if kind == PollKind.ELECTION else S.MATTER
        return drafts.replace(current, kind=kind, step=following)
    if step == S.MATTER:
        if value == MatterType.ORDINARY:
            return drafts.replace(current, matter=value, special_item=None, step=S.SCOPE)
        item = _one_of(_int(value), list(SPECIAL_ITEMS))
        return drafts.replace(current, matter=MatterType.SPECIAL, special_item=item, step=S.SCOPE)
    if step == S.CANDIDATES:
        names = [line.strip() for line in text.splitlines() if line.strip()]
        if (
            not names
            or len(names) > MAX_CANDIDATES
            or len(set(names)) != len(names)
            or any(len(n) > MAX_NAME for n in names)
        ):
            raise DomainError(
                N_("Please send 1 to 20 different names, one per line, each at most 40 characters.")
            )
        return drafts.replace(
            current, candidates=names, matter=MatterType.ORDINARY, special_item=None, step=S.SEATS
        )
    if step == S.SEATS:
        seats = _one_of(_int(value), list(range(1, len(current.candidates) + 1)))
        return drafts.replace(current, seats=seats, step=S.SCOPE)
    if step == S.SCOPE:
        if value == "all":
            return drafts.replace(current, buildings=[], step=S.TIMES)
        _one_of(value, ["pick"])
        return drafts.replace(current, step=S.PICK)
    if step == S.PICK:
        if value == "done":
            if not current.buildings:
                raise DomainError(N_("Choose at least one building, or go back with /cancel."))
            return drafts.replace(current, step=S.TIMES)
        building = await session.get(Building, _int(value))
        if building is None or building.compound_id != current.compound_id:
            raise DomainError(N_("Choose buildings of this compound."))
        chosen = set(current.buildings) ^ {building.id}
        return drafts.replace(current, buildings=sorted(chosen))
    if step == S.TIMES:
        if value == "keep":
            return drafts.replace(current, step=S.PREVIEW)
        _one_of(value, ["change"])
        return drafts.replace(current, step=S.TIMES_TEXT)
    if step == S.TIMES_TEXT:
        notice, opens, closes = await _times(session, current, text, now=now, tz=tz)
        return drafts.replace(
            current, notice_at=notice, opens_at=opens, closes_at=closes, step=S.PREVIEW
        )
    raise DomainError(drafts.STALE)  # the preview is answered by publish()


async def _times(
    session: AsyncSession, current: VoteDraft, text: str, *, now: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime, datetime]:
    """Two lines (opening, closing) or three (notice first), checked at once so the drafter can
    correct them before the preview."""
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [parse_local_time(line, tz) for line in lines]
    times = [t for t in parsed if t is not None]
    if len(lines) not in (2, 3) or len(times) != len(lines):
        raise DomainError(
            N_(
                "I could not read those times. Please send two lines, e.g.\n2026-12-20 09:00\n2026-12-27 18:00"
            )
        )
    if len(times) == 2:
        times.insert(0, now)
    compound = await session.get(Compound, current.compound_id)
    assert compound is not None
    notice, opens, closes = times
    check_times(notice, opens, closes, now=now, rules=VotingRules.of(compound))
    return notice, opens, closes


def _int(value: str) -> int:
    return drafts.number(value)


def _one_of(value: object, allowed: list[object]) -> object:
    if value not in allowed:
        raise DomainError(drafts.STALE)
    return value


async def _question(session: AsyncSession, current: VoteDraft) -> Question:
    if current.step == VoteStep.PICK:
        found = await session.exec(
            select(Building)
            .where(col(Building.compound_id) == current.compound_id)
            .order_by(col(Building.name))
        )
        return Question(current, buildings=list(found.all())[:BUILDINGS_SHOWN])
    if current.step == VoteStep.PREVIEW:
        homes, owners = await scope_counts(session, current.compound_id or 0, current.buildings)
        poll = preview_poll(current)
        names = await building_names(session, current.buildings)
        return Question(current, preview=Preview(poll, names, homes, owners))
    return Question(current)


def preview_poll(current: VoteDraft) -> Poll:
    """An unsaved Poll, so the preview is rendered by the very code owners will see."""
    assert current.notice_at and current.opens_at and current.closes_at
    return Poll(
        id=0,
        compound_id=current.compound_id or 0,
        title=current.title,
        body=current.body,
        kind=current.kind,
        matter=current.matter,
        special_item=current.special_item,
        seats=current.seats,
        candidates=current.candidates if current.kind == PollKind.ELECTION else [],
        building_ids=current.buildings,
        notice_at=current.notice_at,
        opens_at=current.opens_at,
        closes_at=current.closes_at,
        status=PollStatus.PUBLISHED,
        created_at=current.notice_at,
    )


async def publish(
    session: AsyncSession, actor: Actor, publish: bool, *, now: datetime
) -> Poll | None:
    """The preview's answer: the vote published (None: cancelled, nothing published)."""
    current = await drafts.load(session, actor, VoteDraft, VoteStep.PREVIEW)
    await drafts.finish(session, actor, VoteDraft)
    if not publish:
        return None
    return await _published(session, actor, current, now=now)


async def _published(
    session: AsyncSession, actor: Actor, current: VoteDraft, *, now: datetime
) -> Poll:
    assert current.compound_id and current.notice_at and current.opens_at and current.closes_at
    election = current.kind == PollKind.ELECTION
    return await draft(
        session,
        actor,
        compound_id=current.compound_id,
        title=current.title,
        body=current.body,
        notice_at=current.notice_at,
        opens_at=current.opens_at,
        closes_at=current.closes_at,
        now=now,
        matter=current.matter,
        special_item=current.special_item,
        candidates=current.candidates if election else None,
        seats=current.seats,
        building_ids=current.buildings,
    )


# --- the same answers from one form (the office console) -----------------------------------
# The form's field that each step reads, so a refusal is shown next to it.
FIELDS = {
    VoteStep.COMPOUND: "compound",
    VoteStep.TITLE: "title",
    VoteStep.BODY: "body",
    VoteStep.KIND: "kind",
    VoteStep.MATTER: "matter",
    VoteStep.CANDIDATES: "candidates",
    VoteStep.SEATS: "seats",
    VoteStep.SCOPE: "buildings",
    VoteStep.PICK: "buildings",
    VoteStep.TIMES: "times",
    VoteStep.TIMES_TEXT: "times",
}


class StepRefused(BadInput):
    """A step's refusal, shown next to its field of the form (rendered as the step renders it)."""

    def __init__(self, field: str, error: DomainError) -> None:
        super().__init__(field, error.msgid, **error.params)
        self.error = error

    def render(self, _: Translator) -> Markup:
        return self.error.render(_)


@dataclass(frozen=True)
class VoteForm:
    """A whole draft as typed into one form; empty times: the earliest the rules allow."""

    compound_id: str
    title: str
    body: str
    kind: str
    matter: str  # ordinary, or the special item 6, 7 or 8
    candidates: str  # one per line
    seats: str
    buildings: list[str]  # none: the whole compound
    notice_at: str = ""  # YYYY-MM-DD HH:MM local; empty: now
    opens_at: str = ""
    closes_at: str = ""


async def check_form(
    session: AsyncSession, actor: Actor, form: VoteForm, *, now: datetime, tz: ZoneInfo
) -> Question:
    """The form answered step by step with the very checks of /newvote, up to the preview (not
    saved: the bot's own /newvote draft is left alone). A refusal names its field."""
    S = VoteStep
    current = VoteDraft(step=S.COMPOUND)

    async def answer(step: VoteStep, value: str) -> None:
        nonlocal current
        try:
            current = await _next(session, actor, current, step, value, now=now, tz=tz)
        except (NotAllowed, StepRefused):
            raise
        except DomainError as error:
            raise StepRefused(FIELDS[step], error) from None

    await answer(S.COMPOUND, form.compound_id)
    await answer(S.TITLE, form.title)
    await answer(S.BODY, form.body)
    await answer(S.KIND, form.kind)
    if current.kind == PollKind.ELECTION:
        await answer(S.CANDIDATES, form.candidates)
        await answer(S.SEATS, form.seats)
    else:
        await answer(S.MATTER, form.matter)
    chosen = list(dict.fromkeys(form.buildings))
    await answer(S.SCOPE, "pick" if chosen else "all")
    if chosen:
        for building in chosen:
            await answer(S.PICK, building)
        await answer(S.PICK, "done")
    # notice now unless given; a time left out of a pair is unreadable, not another time
    notice = [form.notice_at] if form.notice_at.strip() else []
    times = [*notice, form.opens_at.strip() or "?", form.closes_at.strip() or "?"]
    if notice or form.opens_at.strip() or form.closes_at.strip():
        await answer(S.TIMES, "change")
        await answer(S.TIMES_TEXT, "\n".join(t.replace("T", " ") for t in times))
    else:
        await answer(S.TIMES, "keep")
    return await _question(session, current)


async def publish_form(
    session: AsyncSession, actor: Actor, form: VoteForm, *, now: datetime, tz: ZoneInfo
) -> Poll:
    """The form checked again, then published with every rule of vote_lifecycle.draft."""
    checked = await check_form(session, actor, form, now=now, tz=tz)
    return await _published(session, actor, checked.draft, now=now)
