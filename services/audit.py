"""Writing audit events: every change and every staff access to personal data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Msg
from models import AuditEvent, AuditSubject

PEOPLE_READ = "people.read"
# What a read of personal data showed, by the `what` of its event (the office's `admin audit`
# file; /mydata says "your contact" for the reporter's).
WHAT_SHOWN: dict[str, Msg] = {
    "reporter": N_("the reporter's contact on a ticket card"),
    "not_voted": N_("the list of homes that have not voted"),
    "arrears": N_("the arrears list"),
    "not_reached": N_("a notice's delivery report"),
    "door_list": N_("a door-knocking list"),
    "claims": N_("the reported payments waiting"),
    "statement_rows": N_("bank statement lines to review"),
    "vote_record": N_("a vote's record"),
    "history": N_("the history of homes and roles"),
    "console_home": N_("a home's page in the office console"),
}


def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: object = None,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        at=at,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=details,
    )
    session.add(event)
    return event


async def record_read(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    what: str,
    subject_type: str,
    subject_id: object = None,
    compound_id: int | None = None,
    residents: Iterable[int | None] = (),
    households: Iterable[int | None] = (),
    **details: Any,
) -> AuditEvent:
    """One read of other people's personal data (PIPL): what was shown (`what`, the record it
    belongs to), by whom and when — never the data itself — and whose: the residents (their
    name or phone the bot holds) and the homes (the roster's owner name and phone) shown, one
    `AuditSubject` row each. `actor_id` None is the command line or a scheduled job."""
    people = sorted({r for r in residents if r is not None})
    homes = sorted({h for h in households if h is not None})
    event = record(
        session,
        at=at,
        actor_id=actor_id,
        action=PEOPLE_READ,
        subject_type=subject_type,
        subject_id=subject_id,
        what=what,
        **details,
        **({"people": len(people)} if people else {}),
        **({"homes": len(homes)} if homes else {}),
    )
    if not people and not homes:
        return event
    await session.flush()
    rows = [{"resident_id": r, "household_id": None} for r in people]
    rows += [{"resident_id": None, "household_id": h} for h in homes]
    for row in rows:
        row.update(event_id=event.id, compound_id=compound_id)
    await session.exec(insert(AuditSubject), params=rows)
    return event
