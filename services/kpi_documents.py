"""The monthly info report (信息月报) as a document to file: the report of a place the person may
read (services.kpi_viewers), the month's tickets by their state now, and the day it was made.

The figures are the report's own (services.kpi); only the count by state is asked here, since
the report counts tickets and their service levels but not where they stand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import rows
from models import Household, ScopeKind, Ticket, TicketStatus
from services import kpi_viewers
from services.actors import Actor
from services.kpi_figures import month_bounds
from services.kpi_viewers import Shown
from services.places import Scope, compound_ids_in_scope


@dataclass(frozen=True)
class MonthlyPaper:
    """What the printed report shows beyond the report itself."""

    shown: Shown
    made_on: date
    # tickets reported in the month, by their state today (every state, zeros included)
    states: dict[str, int] = field(default_factory=dict)


async def open_paper(
    session: AsyncSession,
    actor: Actor | None,
    kind: str,
    scope_id: int,
    month: str,
    tz: ZoneInfo,
    *,
    today: date,
) -> MonthlyPaper:
    """The report of a place the person may read (`actor` None: the command line), for print."""
    shown = await kpi_viewers.open_report(session, actor, kind, scope_id, month, tz)
    states = await ticket_states(session, shown.scope, month, tz)
    return MonthlyPaper(shown, today, states)


async def ticket_states(
    session: AsyncSession, place: Scope, month: str, tz: ZoneInfo
) -> dict[str, int]:
    """Tickets reported in the local month inside the place, by their state now. A grid holds
    its homes' tickets (a common-area ticket has no home, so no grid); a building its own."""
    start, end, _first, _last = month_bounds(month, tz)
    statement = sql_select(col(Ticket.status), func.count()).where(
        col(Ticket.created_at) >= start, col(Ticket.created_at) < end
    )
    if place.kind == ScopeKind.GRID:
        statement = statement.join(Household, col(Household.id) == col(Ticket.household_id)).where(
            col(Household.grid_id) == place.id
        )
    elif place.kind == ScopeKind.BUILDING:
        statement = statement.where(col(Ticket.building_id) == place.id)
    else:
        statement = statement.where(
            col(Ticket.compound_id).in_(compound_ids_in_scope(place.kind, place.id))
        )
    found = dict(await rows(session, statement.group_by(col(Ticket.status))))
    return {status.value: int(found.get(status.value, 0)) for status in TicketStatus}
