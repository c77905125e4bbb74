"""The people of a permission test: every role and kind of resident of 幸福家园, the same roles in
the neighbouring compound 和平里, and someone who never joined — each registered the way people
join (an invite and consent), so the test goes through the bot as they would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import MembershipKind, Role
from services.policy import POLICY, Permission
from tests.utils.world import Person, World

HOME = "1栋 1单元 102"  # the primary home (和平里 has no 102, so its label is unique)
HERE, THERE = "幸福家园", "和平里"


@dataclass(frozen=True)
class Part:
    """Who a persona is: a role over a compound, or a membership of a home in one."""

    name: str
    compound: str | None  # None: never joined
    role: Role | None = None
    membership: MembershipKind | None = None
    scope: str | None = None  # the role's scope, if not the compound


PARTS = [
    Part("owner", HERE, membership=MembershipKind.OWNER),
    Part("tenant", HERE, membership=MembershipKind.TENANT),
    Part("staff", HERE, Role.STAFF),
    Part("liaison", HERE, Role.LIAISON),
    Part("supervisor", HERE, Role.SUPERVISOR),
    Part("committee", HERE, Role.COMMITTEE),
    Part("officer", HERE, Role.OFFICER, scope="district:江岸区"),
    Part("admin", HERE, Role.ADMIN),
    Part("unregistered", None),
    Part("owner elsewhere", THERE, membership=MembershipKind.OWNER),
    Part("tenant elsewhere", THERE, membership=MembershipKind.TENANT),
    Part("staff elsewhere", THERE, Role.STAFF),
    Part("liaison elsewhere", THERE, Role.LIAISON),
    Part("supervisor elsewhere", THERE, Role.SUPERVISOR),
    Part("committee elsewhere", THERE, Role.COMMITTEE),
    Part("officer elsewhere", THERE, Role.OFFICER, scope=f"compound:{THERE}"),
    Part("admin elsewhere", THERE, Role.ADMIN),
]


class Cast(dict[str, Person]):
    """Persona name → the Person, with the part each plays."""

    parts: dict[str, Part]


async def assemble(world: World, folder: Path) -> Cast:
    await world.seed_roster()
    await world.seed_other_compound(folder)
    cast = Cast()
    cast.parts = {p.name: p for p in PARTS}
    invites = {HERE: await world.issue_invites(HERE), THERE: await world.issue_invites(THERE)}
    for part in PARTS:
        person = world.user(part.name.replace(" ", "_"))
        cast[part.name] = person
        if part.compound is None:
            await person.send("/start")  # someone who opened the bot without an invite
            continue
        if part.membership is not None:
            label = HOME if part.compound == HERE else "1栋 1单元 101"
            kind = "owner" if part.membership == MembershipKind.OWNER else "tenant"
            await person.send(f"/start {invites[part.compound][(label, kind)].code}")
            await person.press_data(person.button_data())
        else:
            assert part.role is not None
            await world.join_as(person, part.role, part.scope or f"compound:{part.compound}")
    return cast


def expected(
    permission: Permission,
    part: Part,
    *,
    author: str | None = None,
    parties: tuple[str, ...] = (),
    shared: bool = False,
) -> bool:
    """What the policy table says this persona may do to a record of 幸福家园."""
    rule = POLICY[permission]
    if rule.everyone:
        return True
    if part.compound is None:
        return False
    if rule.registered:
        return True
    if rule.parties and part.name in parties:
        return True
    if rule.own and part.name != author:
        return False
    covered = part.compound == HERE or (part.scope or "").startswith("district:")
    if part.role is not None:
        return covered and part.role in rule.roles
    kinds = rule.members | (rule.shared if shared else frozenset())
    return part.compound == HERE and part.membership in kinds
