"""A probe tries one permission through the bot as one persona and says whether it took effect.

Each permission of services.policy.POLICY has one probe. The test runs it for every persona of
the cast and compares what happened (in the database, or what the person was shown when the
permission is to see something) with what the policy table says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlmodel import col, select

from models import AuditEvent, Household, Resident
from services.policy import Permission
from tests.permissions.cast import HERE, HOME, Cast, Part, expected
from tests.utils.world import Person, World

Attempt = Callable[["Probe", World, Cast, Person], Awaitable[bool]]
Prepare = Callable[["Probe", World, Cast], Awaitable[None]]


async def _nothing(_probe: Probe, _world: World, _cast: Cast) -> None:
    return None


@dataclass
class Probe:
    permission: Permission
    attempt: Attempt
    prepare: Prepare = _nothing
    author: str | None = None  # the persona who made the record (for `own` permissions)
    parties: tuple[str, ...] = ()  # the personas the record is about
    shared: bool = False  # the owners let tenants see the bills
    also: tuple[Permission, ...] = ()  # the way in needs these too
    state: dict[str, object] = field(default_factory=dict)

    def expects(self, part: Part) -> bool:
        found = expected(
            self.permission, part, author=self.author, parties=self.parties, shared=self.shared
        )
        return found and all(expected(p, part, shared=self.shared) for p in self.also)


PROBES: dict[Permission, Probe] = {}


def probe(permission: Permission, **options: object) -> Callable[[Attempt], Attempt]:
    def register(attempt: Attempt) -> Attempt:
        PROBES[permission] = Probe(permission, attempt, **options)  # type: ignore[arg-type]
        return attempt

    return register


def preparing(permission: Permission) -> Callable[[Prepare], Prepare]:
    def register(prepare: Prepare) -> Prepare:
        PROBES[permission].prepare = prepare
        return prepare

    return register


# --- small helpers for probes ------------------------------------------------------------------
async def resident_id(world: World, person: Person) -> int | None:
    async with world.session() as session:
        return (
            await session.exec(
                select(col(Resident.id)).where(col(Resident.telegram_id) == person.id)
            )
        ).first()


async def home_id(world: World) -> int:
    building, unit, room = HOME.split()
    return await world.household_id(building, unit, room)


async def compound_id(world: World, name: str = HERE) -> int:
    from services.places import resolve_scope

    async with world.session() as session:
        return (await resolve_scope(session, f"compound:{name}")).id


async def audited(world: World, person: Person, action: str, subject_id: int | None = None) -> bool:
    """Whether an audit event of this action by this person exists."""
    me = await resident_id(world, person)
    if me is None:
        return False
    async with world.session() as session:
        statement = select(col(AuditEvent.id)).where(
            col(AuditEvent.action) == action, col(AuditEvent.actor_id) == me
        )
        if subject_id is not None:
            statement = statement.where(col(AuditEvent.subject_id) == str(subject_id))
        return (await session.exec(statement)).first() is not None


async def household(world: World) -> Household:
    async with world.session() as session:
        found = await session.get(Household, await home_id(world))
        assert found is not None
        return found


def saw(person: Person, text: str, since: int) -> bool:
    return any(text in m.content for m in person.bot_messages[since:])
