"""The monthly satisfaction survey (满意度测评): one answer per household and month, which any of
its residents may give or change until the month closes, with an optional comment; invitations
on the survey day and one reminder, each once per compound and month."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import SERVICES, Compound, Household, Membership, Resident, SurveyAnswer, SurveyRound
from services import drafts, notify
from services.actors import Actor, HouseholdTie
from services.drafts import Draft
from services.errors import DomainError, NotAllowed
from services.notify import Recipient
from services.policy import Permission, authorize, rule

QUESTIONS = (*SERVICES, "overall")
INVITATION = "survey.invitation"
REMINDER = "survey.reminder"
MONTH_CLOSED = N_("That survey month has closed. /rate opens this month's survey.")
MAX_COMMENT = 500


class CommentStep(StrEnum):
    TEXT = "comment"


class CommentDraft(Draft, flow="survey-comment"):
    """A comment on the home's answer of `month`, asked for and not sent yet."""

    month: str


@dataclass(frozen=True)
class Card:
    """The home's survey of a month: the answer so far (None: nobody has scored yet)."""

    month: str
    answer: SurveyAnswer | None

    @property
    def complete(self) -> bool:
        return self.answer is not None and all(getattr(self.answer, q) for q in QUESTIONS)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


async def _home(session: AsyncSession, actor: Actor) -> HouseholdTie:
    """The home the person answers for (their first), if they may answer its survey."""
    if not actor.households:
        raise NotAllowed(rule(Permission.SURVEY_ANSWER).refusal)
    tie = actor.households[0]
    await authorize(session, actor, Permission.SURVEY_ANSWER, tie.compound_id)
    return tie


async def answer_of(session: AsyncSession, household_id: int, month: str) -> SurveyAnswer | None:
    return (
        await session.exec(
            select(SurveyAnswer).where(
                col(SurveyAnswer.household_id) == household_id, col(SurveyAnswer.month) == month
            )
        )
    ).first()


async def card(session: AsyncSession, actor: Actor, *, today: date) -> Card:
    """/rate: this month's survey of the person's home."""
    home = await _home(session, actor)
    month = month_of(today)
    return Card(month, await answer_of(session, home.household_id, month))


async def score(
    session: AsyncSession,
    actor: Actor,
    month: str,
    question: int,
    value: int,
    *,
    now: datetime,
    today: date,
) -> Card:
    """Record one score (question by its index in QUESTIONS) of the home's answer for this month
    (the current month only)."""
    if not 0 <= question < len(QUESTIONS) or not 1 <= value <= 5:
        raise DomainError(N_("Scores go from 1 to 5."))
    home = await _home(session, actor)
    if month != month_of(today):
        raise DomainError(MONTH_CLOSED)
    answer = await answer_of(session, home.household_id, month)
    if answer is None:
        try:  # two residents of the home tapping their first score at the same moment: one answer
            async with session.begin_nested():
                answer = SurveyAnswer(
                    household_id=home.household_id,
                    compound_id=home.compound_id,
                    month=month,
                    answered_at=now,
                )
                session.add(answer)
        except IntegrityError:
            answer = await answer_of(session, home.household_id, month)
    assert answer is not None
    setattr(answer, QUESTIONS[question], value)
    answer.resident_id, answer.answered_at = actor.resident_id, now
    await session.flush()
    return Card(month, answer)


async def begin_comment(
    session: AsyncSession, actor: Actor, month: str, *, now: datetime, today: date
) -> CommentDraft:
    """The card's comment button: the person's next message is the comment."""
    await _home(session, actor)
    if month != month_of(today):
        raise DomainError(MONTH_CLOSED)
    draft = CommentDraft(step=CommentStep.TEXT, month=month)
    await drafts.begin(session, actor, draft, now=now)
    return draft


async def comment(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime, today: date
) -> Card:
    """The comment (at most 500 characters) on the home's answer; the scores come first."""
    draft = await drafts.load(session, actor, CommentDraft, CommentStep.TEXT)
    home = await _home(session, actor)
    text = (text or "").strip()
    if not text or len(text) > MAX_COMMENT:
        raise DomainError(N_("Please keep the comment under 500 characters."))
    if draft.month != month_of(today):  # asked on the last evening, answered after midnight
        raise DomainError(MONTH_CLOSED)
    answer = await answer_of(session, home.household_id, draft.month)
    if answer is None:
        raise DomainError(N_("Please give your scores first, then a comment."))
    answer.comment, answer.resident_id, answer.answered_at = text, actor.resident_id, now
    await drafts.finish(session, actor, CommentDraft)
    return Card(draft.month, answer)


# --- invitations and the reminder -------------------------------------------------------------
async def _residents(
    session: AsyncSession, compound_id: int, month: str, *, unanswered: bool
) -> list[Recipient]:
    """Reachable residents of the compound's homes (of homes without an answer), each once."""
    statement = (
        select(
            col(Resident.id),
            col(Resident.telegram_id),
            col(Resident.language),
            col(Membership.household_id),
        )
        .join(Membership, col(Membership.resident_id) == col(Resident.id))
        .join(Household, col(Household.id) == col(Membership.household_id))
        .where(col(Household.compound_id) == compound_id)
        .where(col(Resident.telegram_id).is_not(None), col(Resident.consent_at).is_not(None))
        .order_by(col(Resident.id))
    )
    if unanswered:
        answered = select(col(SurveyAnswer.household_id)).where(col(SurveyAnswer.month) == month)
        statement = statement.where(col(Membership.household_id).not_in(answered))
    seen: set[int] = set()
    people = []
    for resident_id, chat_id, language, household_id in await session.exec(statement):
        if resident_id not in seen and resident_id is not None and chat_id is not None:
            seen.add(resident_id)
            people.append(Recipient(resident_id, chat_id, language, household_id))
    return people


async def invite_and_remind(
    session: AsyncSession, *, today: date, now: datetime, survey_day: int, reminder_after: int
) -> tuple[int, int]:
    """On the survey day every registered resident is invited; `reminder_after` days later those
    of homes that have not answered get one reminder (none when that day falls after the month's
    end, when answers close). Each happens once per compound and month. Returns the number of
    invitations and reminders queued."""
    month = month_of(today)
    last_day = calendar.monthrange(today.year, today.month)[1]
    survey_day = min(survey_day, last_day)  # 31 → the end of a short month
    if today.day < survey_day:
        return 0, 0
    invited = reminded = 0
    for compound_id in (
        await session.exec(select(col(Compound.id)).order_by(col(Compound.id)))
    ).all():
        assert compound_id is not None
        round_ = await session.get(SurveyRound, (compound_id, month))
        if round_ is None:
            round_ = SurveyRound(compound_id=compound_id, month=month)
            session.add(round_)
        if round_.invited_at is None:
            round_.invited_at = now
            people = await _residents(session, compound_id, month, unanswered=False)
            notify.tell(
                session, f"survey:{compound_id}:{month}", INVITATION, people, now=now, month=month
            )
            invited += await notify.flush(session)  # compound by compound: memory stays flat
        elif round_.reminded_at is None and today.day >= survey_day + reminder_after:
            round_.reminded_at = now
            people = await _residents(session, compound_id, month, unanswered=True)
            notify.tell(
                session,
                f"survey-remind:{compound_id}:{month}",
                REMINDER,
                people,
                now=now,
                month=month,
            )
            reminded += await notify.flush(session)
    return invited, reminded
