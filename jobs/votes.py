"""The scheduled life of a vote, one tick every 30 seconds: the owners' notice at the notice time,
the opening (eligibility snapshot), reminders before the close, the close with its tally, and the
result to every eligible owner and the committee.

Each step marks itself done in the same transaction that queues its messages, and every message
has a dedupe key, so a tick that runs twice, or again after a restart, sends nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import unit_of_work
from core.i18n import translator
from core.runtime import Runtime
from models import Building, EligibleVoter, Poll, Role
from services import media, outbox, votes
from services.charts import vote_chart
from services.outbox import Outgoing, quiet_hours
from services.spreadsheets import xlsx
from views.votes import (
    chart_labels,
    not_voted_payload,
    notice_payload,
    reminder_payload,
    result_payload,
)

log = logging.getLogger(__name__)
RESULT_ROLES = {Role.COMMITTEE}
FOLLOW_UP_ROLES = {Role.LIAISON}


async def building_names(session: AsyncSession, poll: Poll) -> list[str]:
    if not poll.building_ids:
        return []
    return list(
        (
            await session.exec(
                select(Building.name).where(col(Building.id).in_(poll.building_ids)).order_by(Building.name)
            )
        ).all()
    )  # fmt: skip


def _outgoing(recipients: list[votes.Recipient], render) -> list[Outgoing]:  # type: ignore[no-untyped-def]
    rendered: dict[str, dict] = {}
    messages = []
    for person in recipients:
        language = person.language or ""
        if language not in rendered:
            rendered[language] = render(language)
        messages.append(
            Outgoing(chat_id=person.chat_id, payload=rendered[language], resident_id=person.resident_id,
                     household_id=person.household_id, recipient_key=str(person.resident_id))
        )  # fmt: skip
    return messages


async def send_notice(session: AsyncSession, runtime: Runtime, poll: Poll, now: datetime) -> int:
    tz, names = runtime.settings.tz, await building_names(session, poll)
    recipients = await votes.owner_recipients(session, poll)
    messages = _outgoing(
        recipients, lambda lang: notice_payload(poll, lang, tz=tz, building_names=names)
    )
    return await outbox.enqueue(
        session, f"poll:{poll.id}:notice", messages, now=now, quiet=quiet_hours(runtime.settings)
    )


async def send_reminders(
    session: AsyncSession, runtime: Runtime, poll: Poll, hours: int, now: datetime
) -> int:
    """Owners of homes that have not voted, then the list to the liaisons. A reminder that quiet
    hours would hold until after the close is not queued at all."""
    quiet = quiet_hours(runtime.settings)
    if quiet is not None and quiet.release_time(now) >= poll.closes_at:
        return 0
    tz = runtime.settings.tz
    homes = await votes.not_voted_household_ids(session, poll)
    owners = await votes.owner_recipients(session, poll, household_ids=homes)
    sent = await outbox.enqueue(
        session, f"poll:{poll.id}:remind:{hours}",
        _outgoing(owners, lambda lang: reminder_payload(poll, lang, tz=tz)), now=now, quiet=quiet,
    )  # fmt: skip
    missing = await votes.not_voted(session, poll)
    liaisons = await votes.role_recipients(session, poll, FOLLOW_UP_ROLES)
    if missing and liaisons:
        await outbox.enqueue(
            session, f"poll:{poll.id}:follow-up:{hours}",
            _outgoing(liaisons, lambda lang: not_voted_payload(poll, lang, count=len(missing), tz=tz)),
            now=now, quiet=quiet,
        )  # fmt: skip
        for language in {p.language or "" for p in liaisons}:
            sheet = await not_voted_sheet(session, poll, language, now=now)
            group = [p for p in liaisons if (p.language or "") == language]
            await outbox.enqueue(
                session, f"poll:{poll.id}:follow-up-list:{hours}",
                _outgoing(group, lambda _lang, sheet=sheet: {"document_media": sheet}), now=now, quiet=quiet,
            )  # fmt: skip
    return sent


async def not_voted_sheet(
    session: AsyncSession, poll: Poll, language: str, *, now: datetime
) -> int:
    """The homes not yet voted as a spreadsheet (stored once, sent by file id)."""
    _ = translator(language or "zh_Hans")
    rows = [
        [home.grid, home.label, home.owner_name, home.owner_phone]
        for home in await votes.not_voted(session, poll)
    ]
    headers = [_("Grid"), _("Home"), _("Owner (roster)"), _("Phone (roster)")]
    content = xlsx({_("Not yet voted"): (headers, rows)})
    return await media.store(
        session, content, f"vote-{poll.id}-not-voted-{now:%Y%m%d%H%M}.xlsx", now=now
    )


async def send_result(session: AsyncSession, runtime: Runtime, poll: Poll, now: datetime) -> int:
    """Text with every figure, then the chart in the reader's language, to the owners who were
    eligible and to the committee; results go out in quiet hours' morning like other news."""
    tz, quiet = runtime.settings.tz, quiet_hours(runtime.settings)
    voters = await session.exec(
        select(EligibleVoter.household_ids).where(EligibleVoter.poll_id == poll.id)
    )
    homes = {h for ids in voters for h in ids}
    people = await votes.owner_recipients(session, poll, household_ids=homes)
    seen = {p.resident_id for p in people}
    people += [
        p
        for p in await votes.role_recipients(session, poll, RESULT_ROLES)
        if p.resident_id not in seen
    ]
    created = await outbox.enqueue(
        session, f"poll:{poll.id}:result",
        _outgoing(people, lambda lang: result_payload(poll, lang, tz=tz)), now=now, quiet=quiet,
    )  # fmt: skip
    charts: dict[str, int] = {}
    for language in {p.language or "" for p in people}:
        _ = translator(language or "zh_Hans")
        png = await asyncio.to_thread(vote_chart, poll.result, chart_labels(_), poll.title)
        charts[language] = await media.store(
            session, png, f"vote-{poll.id}-{_.language}.png", now=now
        )
    await outbox.enqueue(
        session, f"poll:{poll.id}:result-chart",
        _outgoing(people, lambda lang: {"photo_media": charts[lang]}), now=now, quiet=quiet,
    )  # fmt: skip
    return created


async def tick(runtime: Runtime) -> dict[str, int]:
    """Everything due now, in order; each in its own transaction so one failure stops only itself."""
    now = runtime.clock.now()
    done = {"notices": 0, "opened": 0, "reminders": 0, "closed": 0, "results": 0}
    async with unit_of_work(runtime.sessions) as session:
        for poll in await votes.notices_due(session, now=now):
            await send_notice(session, runtime, poll, now)
            done["notices"] += 1
    async with unit_of_work(runtime.sessions) as session:
        done["opened"] = len(await votes.open_due(session, now=now))
    async with unit_of_work(runtime.sessions) as session:
        for poll, hours in await votes.reminders_due(
            session, now=now, hours=runtime.settings.vote_reminders
        ):
            await send_reminders(session, runtime, poll, hours, now)
            done["reminders"] += 1
    async with unit_of_work(runtime.sessions) as session:
        done["closed"] = len(await votes.close_due(session, now=now))
    async with unit_of_work(runtime.sessions) as session:
        for poll in await votes.results_due(session):
            await send_result(session, runtime, poll, now)
            done["results"] += 1
    if any(done.values()):
        log.info("votes: %s", done)
        runtime.wake_outbox()
    return done


async def open_and_close(runtime: Runtime) -> tuple[int, int]:
    """The opening and closing part of a tick (kept for callers that only need those)."""
    done = await tick(runtime)
    return done["opened"], done["closed"]
