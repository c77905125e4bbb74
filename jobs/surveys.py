"""The survey on the scheduler: invitations on SURVEY_DAY, one reminder SURVEY_REMINDER_DAYS
later, each once per compound and month (recorded in survey_round with the queued messages)."""

from __future__ import annotations

from core.db import unit_of_work
from core.runtime import Runtime
from services import surveys


async def tick(runtime: Runtime) -> tuple[int, int]:
    now = runtime.clock.now()
    settings = runtime.settings
    async with unit_of_work(runtime.sessions) as session:
        done = await surveys.invite_and_remind(
            session,
            today=now.astimezone(settings.tz).date(),
            now=now,
            survey_day=settings.survey_day,
            reminder_after=settings.survey_reminder_days,
        )
    if any(done):
        runtime.wake_outbox()
    return done
