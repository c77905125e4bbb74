"""Probes of people over time: moving out of a home, removing a member of one's home."""

from __future__ import annotations

import io

import openpyxl
from sqlmodel import col, select

from models import Membership, MembershipKind, Resident
from services.policy import Permission as P
from tests.permissions.cast import HERE, Cast
from tests.permissions.probe import Probe, home_id, preparing, probe, resident_id
from tests.utils.world import Person, World
from views.people import LeaveHome, RemoveMember


async def _membership(world: World, resident: int | None, household: int) -> int | None:
    async with world.session() as session:
        return (
            await session.exec(
                select(col(Membership.id))
                .where(col(Membership.resident_id) == resident)
                .where(col(Membership.household_id) == household)
            )
        ).first()


@probe(P.MEMBERSHIP_END)
async def move_out(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    home = await home_id(world)
    me = await resident_id(world, person)
    held = await _membership(world, me, home)
    await person.press_data(LeaveHome(home, True).pack())
    return held is not None and await _membership(world, me, home) is None


@probe(P.MEMBERSHIP_REMOVE)
async def remove_member(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    home, lodger = await home_id(world), int(str(probe.state["lodger"]))
    membership = await _membership(world, lodger, home)
    if membership is None:  # removed by an earlier persona: registered again for this one
        async with world.session() as session:
            added = Membership(
                resident_id=lodger,
                household_id=home,
                kind=MembershipKind.FAMILY,
                created_at=world.clock.now(),
            )
            session.add(added)
            await session.flush()
            membership = added.id
    assert membership is not None
    await person.press_data(RemoveMember(membership, True).pack())
    return await _membership(world, lodger, home) is None


@preparing(P.MEMBERSHIP_REMOVE)
async def a_family_member(probe: Probe, world: World, cast: Cast) -> None:
    async with world.session() as session:
        lodger = Resident(telegram_id=990_001, display_name="家人", created_at=world.clock.now())
        session.add(lodger)
        await session.flush()
        probe.state["lodger"] = lodger.id


@probe(P.AUDIT_READS)
async def audit_reads(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """The workbook of reads has a sheet for this compound (an administrator elsewhere gets
    only their own compound's)."""
    before = len(person.bot_messages)
    await person.send("/audit")
    for message in person.bot_messages[before:]:
        if message.kind == "document" and message.document is not None:
            data = world.emulator.files[message.document["file_id"]].data
            if HERE in openpyxl.load_workbook(io.BytesIO(data)).sheetnames:
                return True
    return False
