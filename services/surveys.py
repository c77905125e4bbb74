"""The monthly satisfaction survey: one answer per household and month, any of its residents may
give or change it until the month closes; invitations on the survey day and one reminder, each
once per compound and month."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import SERVICES, Compound, Household, Membership, Resident, SurveyAnswer, SurveyRound
from services import outbox
from services.actors import Actor
from services.errors import DomainError, NotAllowed
from services.outbox import Outgoing, QuietHours

QUESTIONS = (*SERVICES, "overall")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def household_of(actor: Actor) -> int:
    if not actor.households:
        raise NotAllowed(N_("The survey is for residents registered to a home."))
    return actor.households[0].household_id


async def answer_of(session: AsyncSession, household_id: int, month: str) -> SurveyAnswer | None:
    return (
        await session.exec(
            select(SurveyAnswer).where(
                SurveyAnswer.household_id == household_id, SurveyAnswer.month == month
            )
        )
    ).first()


async def score(
    session: AsyncSession,
    actor: Actor,
    month: str,
    question: str,
    value: int,
    *,
    now: datetime,
    today: date,
) -> SurveyAnswer:
    """Record one score of the household's answer for this month (the current month only)."""
    if month != month_of(today):
        raise DomainError(N_("That survey month has closed. /rate opens this month's survey."))
    if question not in QUESTIONS or not 1 <= value <= 5:
        raise DomainError(N_("Scores go from 1 to 5."))
    household_id = household_of(actor)
    answer = await answer_of(session, household_id, month)
    if answer is None:
        household = await session.get(Household, household_id)
        try:  # two residents of the home tapping their first score at the same moment: one answer
            async with session.begin_nested():
                answer = SurveyAnswer(household_id=household_id, compound_id=household.compound_id, month=month,
                                      answered_at=now)  # fmt: skip
                session.add(answer)
        except IntegrityError:
            answer = await answer_of(session, household_id, month)
    setattr(answer, question, value)
    answer.resident_id, answer.answered_at = actor.resident_id, now
    await session.flush()
    return answer


async def comment(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime, today: date
) -> SurveyAnswer:
    text = (text or "").strip()
    if not text or len(text) > 500:
        raise DomainError(N_("Please keep the comment under 500 characters."))
    answer = await answer_of(session, household_of(actor), month_of(today))
    if answer is None:
        raise DomainError(N_("Please give your scores first, then a comment."))
    answer.comment, answer.resident_id, answer.answered_at = text, actor.resident_id, now
    return answer


# render(language, month) -> payload
Renderer = Callable[[str, str, bool], dict[str, Any]]


async def _residents(
    session: AsyncSession, compound_id: int, month: str, *, unanswered: bool
) -> list[Any]:
    statement = (
        select(Resident.id, Resident.telegram_id, Resident.language, Membership.household_id)
        .join(Membership, Membership.resident_id == Resident.id)
        .join(Household, Household.id == Membership.household_id)
        .where(Household.compound_id == compound_id)
        .where(col(Resident.telegram_id).is_not(None), col(Resident.consent_at).is_not(None))
        .order_by(Resident.id)
    )
    if unanswered:
        answered = select(SurveyAnswer.household_id).where(SurveyAnswer.month == month)
        statement = statement.where(col(Membership.household_id).not_in(answered))
    seen: set[int] = set()
    people = []
    for row in await session.exec(statement):
        if row[0] not in seen:
            seen.add(row[0])
            people.append(row)
    return people


async def invite_and_remind(
    session: AsyncSession, *, today: date, now: datetime, survey_day: int, reminder_after: int,
    quiet: QuietHours | None, render: Renderer,
) -> tuple[int, int]:  # fmt: skip
    """On the survey day every registered resident is invited; `reminder_after` days later those
    of homes that have not answered get one reminder (none when that day falls after the month's
    end, when answers close). Each happens once per compound and month."""
    month = month_of(today)
    survey_day = min(
        survey_day, calendar.monthrange(today.year, today.month)[1]
    )  # 31 → end of a short month
    if today.day < survey_day:
        return 0, 0
    invited = reminded = 0
    for compound_id in (await session.exec(select(Compound.id).order_by(Compound.id))).all():
        round_ = await session.get(SurveyRound, (compound_id, month))
        if round_ is None:
            round_ = SurveyRound(compound_id=compound_id, month=month)
            session.add(round_)
        if round_.invited_at is None:
            round_.invited_at = now
            people = await _residents(session, compound_id, month, unanswered=False)
            invited += await outbox.enqueue(session, f"survey:{compound_id}:{month}", _messages(people, month, render, False),
                                            now=now, quiet=quiet)  # fmt: skip
        elif round_.reminded_at is None and today.day >= survey_day + reminder_after:
            round_.reminded_at = now
            people = await _residents(session, compound_id, month, unanswered=True)
            reminded += await outbox.enqueue(session, f"survey-remind:{compound_id}:{month}",
                                             _messages(people, month, render, True), now=now, quiet=quiet)  # fmt: skip
    return invited, reminded


def _messages(people: list[Any], month: str, render: Renderer, reminder: bool) -> list[Outgoing]:
    cache: dict[str, dict[str, Any]] = {}
    messages = []
    for resident_id, chat_id, language, household_id in people:
        key = language or ""
        if key not in cache:
            cache[key] = render(key, month, reminder)
        messages.append(Outgoing(chat_id=chat_id, payload=cache[key], resident_id=resident_id,
                                 household_id=household_id, recipient_key=str(resident_id)))  # fmt: skip
    return messages
