"""The seeded demo compound and its personas (one per role), registered the way real people are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import unit_of_work
from core.runtime import Runtime
from models import MembershipKind, Resident, Role
from services.invites import issue_household_invites, issue_role_invite, redeem_invite
from services.places import resolve_scope
from services.roster import import_roster

SAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "examples" / "roster-sample.csv"
COMPOUND = "幸福家园"


@dataclass(frozen=True)
class Persona:
    """A demo person: their name, what they are, and how they were registered."""

    name: str
    description: str  # shown in the demo's persona list
    household: str | None = None
    membership: str | None = None
    role: str | None = None
    scope: str | None = None


PERSONAS = (
    Persona("王芳", "owner", household="1栋 1单元 101", membership=MembershipKind.OWNER),
    Persona("李娜", "tenant", household="2栋 1单元 302", membership=MembershipKind.TENANT),
    Persona(
        "张建国",
        "owner, owners' committee",
        household="1栋 1单元 102",
        membership=MembershipKind.OWNER,
        role=Role.COMMITTEE,
        scope=f"compound:{COMPOUND}",
    ),
    Persona("陈师傅", "property staff", role=Role.STAFF, scope=f"compound:{COMPOUND}"),
    Persona("刘书记", "Party-member liaison", role=Role.LIAISON, scope=f"compound:{COMPOUND}"),
    Persona("赵总监", "quality supervisor", role=Role.SUPERVISOR, scope=f"compound:{COMPOUND}"),
    Persona("周科长", "district officer", role=Role.OFFICER, scope="district:江岸区"),
    Persona("孙管理", "administrator", role=Role.ADMIN, scope=f"compound:{COMPOUND}"),
)


async def is_seeded(session: AsyncSession) -> bool:
    return (await session.exec(select(Resident.id).limit(1))).first() is not None


async def seed(runtime: Runtime, telegram_ids: dict[str, int]) -> None:
    """Import the sample roster and register every persona through real invites."""
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        result = await import_roster(session, SAMPLE_ROSTER, now=now)
        assert result.ok, result.problems
        compound = await resolve_scope(session, f"compound:{COMPOUND}")
        invites = await issue_household_invites(
            session, compound.id, now=now, ttl=timedelta(days=30)
        )
        by_place = {(i.label, i.kind): i.code for i in invites}
        for persona in PERSONAS:
            telegram_id = telegram_ids[persona.name]
            if persona.household:
                await redeem_invite(
                    session,
                    by_place[(persona.household, persona.membership)],
                    telegram_id=telegram_id,
                    display_name=persona.name,
                    language="zh_Hans",
                    now=now,
                )
            if persona.role:
                scope = await resolve_scope(session, persona.scope)
                issued = await issue_role_invite(
                    session, Role(persona.role), scope, now=now, ttl=timedelta(days=1)
                )
                await redeem_invite(
                    session,
                    issued.code,
                    telegram_id=telegram_id,
                    display_name=persona.name,
                    language="zh_Hans",
                    now=now,
                )
