"""Where a compound is (小区坐标): its latitude and longitude in WGS-84 degrees, set by an
administrator (`admin compound-location`, or the console's roster pages: who may import the
compound's roster), for the console's KPI map; none: not on the map."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Compound
from services import audit
from services.actors import Actor
from services.errors import BadInput, DomainError, NotAllowed, NotFound
from services.policy import Permission, authorize, compounds, rule

PLACES = 6  # decimals kept: about 0.1 m, more than a compound needs
BAD_LOCATION = N_(
    "Give the location as latitude and longitude in degrees, for example 30.6355 114.3005 "
    "(latitude from -90 to 90, longitude from -180 to 180)."
)
NO_COMPOUND = N_("That compound does not exist.")
SEPARATORS = re.compile(r"[\s,，、;；]+")


def parse_location(text: str) -> tuple[float, float]:
    """`30.6355 114.3005`, `30.6355,114.3005` or `30.6355，114.3005` (as a map app copies it)
    into (latitude, longitude), rounded to PLACES decimals."""
    parts = [p for p in SEPARATORS.split((text or "").strip()[:80]) if p]
    if len(parts) != 2:
        raise DomainError(BAD_LOCATION)
    try:
        latitude, longitude = (Decimal(p) for p in parts)
    except InvalidOperation:
        raise DomainError(BAD_LOCATION) from None
    if not (latitude.is_finite() and longitude.is_finite()):
        raise DomainError(BAD_LOCATION)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise DomainError(BAD_LOCATION)
    step = Decimal(1).scaleb(-PLACES)
    return float(latitude.quantize(step)), float(longitude.quantize(step))


async def set_location(
    session: AsyncSession,
    compound_id: int,
    location: tuple[float, float] | None,
    *,
    now: datetime,
    actor_id: int | None = None,
) -> Compound:
    """The compound's coordinates (None: taken off the map), recorded in the audit trail."""
    compound = await session.get(Compound, compound_id)
    if compound is None:
        raise DomainError(NO_COMPOUND)
    compound.latitude, compound.longitude = location if location is not None else (None, None)
    audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action="compound.location",
        subject_type="compound",
        subject_id=compound_id,
        latitude=compound.latitude,
        longitude=compound.longitude,
    )
    await session.flush()
    return compound


async def office_compounds(session: AsyncSession, actor: Actor) -> list[Compound]:
    """The compounds whose places the person keeps (administrators: `roster.import`)."""
    found = await compounds(session, actor, Permission.ROSTER_IMPORT)
    if not found:
        raise NotAllowed(rule(Permission.ROSTER_IMPORT).refusal)
    return found


async def locate(
    session: AsyncSession,
    actor: Actor,
    compound_id: int,
    text: str,
    *,
    clear: bool = False,
    now: datetime,
) -> Compound:
    """The console's form: the compound's coordinates as typed (or, `clear`, none), by whoever
    keeps its roster; a location that does not read is refused next to its field."""
    if await session.get(Compound, compound_id) is None:
        raise NotFound(NO_COMPOUND)
    await authorize(session, actor, Permission.ROSTER_IMPORT, compound_id)
    try:
        location = None if clear else parse_location(text)
    except DomainError as error:
        raise BadInput("location", error.msgid, **error.params) from None
    return await set_location(session, compound_id, location, now=now, actor_id=actor.resident_id)
