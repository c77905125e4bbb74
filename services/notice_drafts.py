"""Composing a notice (/notice) as a typed draft: compound, category, who receives it (and which
buildings, grids or role), the text or a photo or file with a caption, whether to ask for an
acknowledgement, and when. Each answer is checked here; nothing is saved as a notice until the
sender confirms the preview (services.notices.confirm).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Compound, Notice, NoticeCategory, NoticeStatus, Role, TargetKind
from services import drafts, paid_broadcast
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed
from services.inputs import parse_local_time
from services.notice_targets import PICKED, Choice, choices, household_count, recipients
from services.policy import Permission, authorize, compounds, rule

MAX_TEXT = 4096
MAX_CAPTION = 1024
HEADER_RESERVE = 40  # the category line the bot puts above the sender's text
DONE = "done"  # the last tap when picking buildings or grids


class NoticeStep(StrEnum):
    COMPOUND = "compound"
    CATEGORY = "category"
    TARGET = "target"
    PICK = "pick"
    ROLE = "role"
    CONTENT = "content"
    ACK = "ack"
    WHEN = "when"
    TIME = "time"
    PREVIEW = "preview"


class NoticeDraft(Draft, flow="notice", steps=NoticeStep):
    """The answers so far; `text` is Telegram HTML as the sender formatted it."""

    compound_id: int | None = None
    category: NoticeCategory = NoticeCategory.SERVICE
    target_kind: TargetKind = TargetKind.COMPOUND
    target_ids: list[int] = []
    target_role: Role | None = None
    text: str = ""
    photo: str | None = None
    document: str | None = None
    ask_ack: bool = False
    send_at: datetime | None = None
    retarget: bool = False  # the target reached nobody: after a new one, straight to the preview


@dataclass(frozen=True)
class Preview:
    """The notice as it would go out (not saved), and how many it would reach."""

    notice: Notice
    people: int
    households: int
    paid: paid_broadcast.PaidCost | None = None  # an emergency going out by paid broadcast


@dataclass(frozen=True)
class Question:
    """The draft at its next step, with what that step's question shows."""

    draft: NoticeDraft
    compounds: list[Compound] = field(default_factory=list)  # COMPOUND: where to send
    choices: list[Choice] = field(default_factory=list)  # PICK: buildings or grids
    preview: Preview | None = None  # PREVIEW


def notice_of(draft: NoticeDraft, actor: Actor, *, now: datetime) -> Notice:
    """The Notice the draft describes (not added to the session)."""
    assert draft.compound_id is not None and actor.resident_id is not None
    return Notice(
        compound_id=draft.compound_id,
        sender_id=actor.resident_id,
        category=draft.category,
        status=NoticeStatus.SCHEDULED,
        text=draft.text,
        photo_file_id=draft.photo,
        document_file_id=draft.document,
        target_kind=draft.target_kind,
        target_ids=draft.target_ids,
        target_role=draft.target_role,
        ask_ack=draft.ask_ack,
        send_at=draft.send_at,
        created_at=now,
    )


async def start(session: AsyncSession, actor: Actor, *, now: datetime) -> Question:
    """/notice: the compounds the person sends to; with one, the first question is the category."""
    where = await compounds(session, actor, Permission.NOTICE_SEND)
    if not where:
        raise NotAllowed(rule(Permission.NOTICE_SEND).refusal)
    draft = NoticeDraft(step=NoticeStep.COMPOUND)
    if len(where) == 1:
        draft = NoticeDraft(step=NoticeStep.CATEGORY, compound_id=where[0].id)
    await drafts.begin(session, actor, draft, now=now)
    return Question(draft, compounds=where if draft.step == NoticeStep.COMPOUND else [])


async def answer(
    session: AsyncSession, actor: Actor, step: str, value: str, *, now: datetime
) -> Question:
    """A button's answer to the question at `step` (another step's button is stale)."""
    draft = await drafts.load(session, actor, NoticeDraft, step)
    try:
        changes = await _changes(session, actor, draft, step, value)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    draft = drafts.replace(draft, **changes)
    await drafts.save(session, actor, draft, now=now)
    return await _question(session, actor, draft, now=now)


async def _changes(
    session: AsyncSession, actor: Actor, draft: NoticeDraft, step: str, value: str
) -> dict[str, object]:
    if step == NoticeStep.COMPOUND:
        compound_id = drafts.number(value)
        await authorize(session, actor, Permission.NOTICE_SEND, compound_id)
        return {"compound_id": compound_id, "step": NoticeStep.CATEGORY}
    if step == NoticeStep.CATEGORY:
        return {"category": NoticeCategory(value), "step": NoticeStep.TARGET}
    if step == NoticeStep.TARGET:
        kind = TargetKind(value)
        following = {TargetKind.ROLE: NoticeStep.ROLE, **dict.fromkeys(PICKED, NoticeStep.PICK)}
        return {
            "target_kind": kind,
            "target_ids": [],
            "target_role": None,
            "step": following.get(kind, _after_target(draft)),
        }
    if step == NoticeStep.PICK:
        return await _picked(session, draft, value)
    if step == NoticeStep.ROLE:
        return {"target_role": Role(value), "step": _after_target(draft)}
    if step == NoticeStep.ACK:
        return {"ask_ack": _yes(value), "step": NoticeStep.WHEN}
    if step == NoticeStep.WHEN:
        if value not in ("now", "later"):
            raise ValueError(value)
        later = value == "later"
        return {"send_at": None, "step": NoticeStep.TIME if later else NoticeStep.PREVIEW}
    raise ValueError(step)


def _after_target(draft: NoticeDraft) -> NoticeStep:
    """The content comes after the target, unless it is being chosen anew for a written notice."""
    return NoticeStep.PREVIEW if draft.retarget else NoticeStep.CONTENT


def _yes(value: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(value)
    return value == "1"


async def _picked(session: AsyncSession, draft: NoticeDraft, value: str) -> dict[str, object]:
    """A building or grid switched on or off; Done needs at least one."""
    if value == DONE:
        if not draft.target_ids:
            raise DomainError(N_("Choose at least one building or grid of this compound."))
        return {"step": _after_target(draft)}
    assert draft.compound_id is not None
    allowed = {c.id for c in await choices(session, draft.compound_id, draft.target_kind)}
    picked = drafts.number(value)
    if picked not in allowed:
        raise DomainError(N_("Choose at least one building or grid of this compound."))
    return {"target_ids": sorted(set(draft.target_ids) ^ {picked})}


def check_length(plain_length: int, *, has_media: bool) -> None:
    """Telegram's limits (4096 for a message, 1024 for a caption), less the category line."""
    limit = (MAX_CAPTION if has_media else MAX_TEXT) - HEADER_RESERVE
    if plain_length > limit:
        raise DomainError(
            N_(
                "This text has {length} characters; the limit is {limit} ({what}). Please shorten it."
            ),
            length=plain_length,
            limit=limit,
            what=N_("a caption under a photo or file") if has_media else N_("a text message"),
        )


async def content(
    session: AsyncSession,
    actor: Actor,
    *,
    html: str,
    plain_length: int,
    photo: str | None = None,
    document: str | None = None,
    now: datetime,
) -> Question:
    """The text as the sender formatted it; refused over Telegram's limits, naming the limit."""
    draft = await drafts.load(session, actor, NoticeDraft, NoticeStep.CONTENT)
    check_length(plain_length, has_media=bool(photo or document))
    if not html.strip() and not (photo or document):
        raise DomainError(N_("Please send the text of the notice."))
    draft = drafts.replace(draft, text=html, photo=photo, document=document, step=NoticeStep.ACK)
    await drafts.save(session, actor, draft, now=now)
    return Question(draft)


async def send_time(
    session: AsyncSession, actor: Actor, text: str, *, tz: ZoneInfo, now: datetime
) -> Question:
    """The time to send it, typed as YYYY-MM-DD HH:MM in local time; it must be in the future."""
    draft = await drafts.load(session, actor, NoticeDraft, NoticeStep.TIME)
    when = parse_local_time(text, tz)
    if when is None:
        raise DomainError(
            N_(
                "I could not read that time. Please use YYYY-MM-DD HH:MM, for example 2026-12-01 09:00."
            )
        )
    if when <= now:
        raise DomainError(N_("That time has already passed. Please give a time in the future."))
    draft = drafts.replace(draft, send_at=when, step=NoticeStep.PREVIEW)
    await drafts.save(session, actor, draft, now=now)
    return await _question(session, actor, draft, now=now)


async def _question(
    session: AsyncSession, actor: Actor, draft: NoticeDraft, *, now: datetime
) -> Question:
    if draft.step == NoticeStep.PICK:
        assert draft.compound_id is not None
        return Question(draft, choices=await choices(session, draft.compound_id, draft.target_kind))
    if draft.step == NoticeStep.PREVIEW:
        notice = notice_of(draft, actor, now=now)
        people = await recipients(session, notice)
        paid = None
        if notice.category == NoticeCategory.EMERGENCY:
            paid = await paid_broadcast.cost(
                session, [(p.resident_id, p.household_id) for p in people]
            )
        homes = await household_count(session, notice)
        return Question(draft, preview=Preview(notice, len(people), homes, paid))
    return Question(draft)
