"""The scheduled life of a vote, one tick every 30 seconds: the owners' notice at the notice time,
the opening (eligibility snapshot) told to its owners with the denominators, reminders before the
close, the close with its tally, the preliminary result to every eligible owner and the
committee, and the final result after the objection period.

Each step marks itself done in the same transaction that records its messages (queued at
commit, each with a dedupe key), so a tick that runs twice, or again after a restart, sends
nothing twice.
"""

from __future__ import annotations

import logging

from core.db import unit_of_work
from core.runtime import Runtime
from services import vote_lifecycle, vote_publication

log = logging.getLogger(__name__)


async def tick(runtime: Runtime) -> dict[str, int]:
    """Everything due now, in order; each in its own transaction so one failure stops only itself."""
    now = runtime.clock.now()
    done = dict.fromkeys(
        ("notices", "opened", "announced", "reminders", "closed", "preliminary", "final"), 0
    )
    async with unit_of_work(runtime.sessions) as session:
        done["notices"] = await vote_lifecycle.give_notices(session, now=now)
    async with unit_of_work(runtime.sessions) as session:
        done["opened"] = len(await vote_lifecycle.open_due(session, now=now))
    async with unit_of_work(runtime.sessions) as session:
        done["announced"] = await vote_publication.announce_openings(session, now=now)
    async with unit_of_work(runtime.sessions) as session:
        done["reminders"] = await vote_lifecycle.remind(
            session, now=now, hours=runtime.settings.vote_reminders
        )
    async with unit_of_work(runtime.sessions) as session:
        done["closed"] = len(await vote_lifecycle.close_due(session, now=now))
    async with unit_of_work(runtime.sessions) as session:
        done["preliminary"] = await vote_publication.publish_preliminary(session, now=now)
    async with unit_of_work(runtime.sessions) as session:
        done["final"] = await vote_publication.publish_final(session, now=now)
    if any(done.values()):
        log.info("votes: %s", done)
        runtime.wake_outbox()
    return done


async def open_and_close(runtime: Runtime) -> tuple[int, int]:
    """The opening and closing part of a tick (kept for callers that only need those)."""
    done = await tick(runtime)
    return done["opened"], done["closed"]
