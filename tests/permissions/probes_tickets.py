"""Probes of the ticket permissions."""

from __future__ import annotations

from sqlmodel import col, select

from core.i18n import translator
from models import Ticket, TicketEvent, TicketStatus, pk
from services import ticket_alerts
from services.actors import load_actor
from services.errors import NotAllowed
from services.policy import Permission as P
from tests.permissions.cast import HERE, HOME, Cast
from tests.permissions.probe import Probe, compound_id, home_id, preparing, probe, resident_id, saw
from tests.utils.world import Person, World
from views.ticket_reports import ReportChoice
from views.tickets import TicketButton

_ = translator("zh_Hans")


def _last(person: Person) -> int | None:
    return person.bot_messages[-1].message_id if person.bot_messages else None


async def _report(person: Person, description: str, *, for_home: str | None = None) -> None:
    """/report a cleaning problem at home (a liaison first says whose report it is)."""
    await person.send("/report")
    if for_home is not None:
        await person.press_data(ReportChoice("who", "other").pack(), _last(person))
        await person.send(for_home)
    for step, value in (("category", "cleaning"), ("urgent", "0")):
        await person.press_data(ReportChoice(step, value).pack(), _last(person))
    await person.send(description)
    for step, value in (("photos", "done"), ("where", "household"), ("summary", "send")):
        await person.press_data(ReportChoice(step, value).pack(), _last(person))
    await person.send("/cancel")


async def _ticket(world: World, marker: str) -> Ticket | None:
    async with world.session() as session:
        return (
            await session.exec(select(Ticket).where(col(Ticket.description).contains(marker)))
        ).first()


@probe(P.TICKET_REPORT)
async def report(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    marker = f"楼道垃圾 {person.id}"
    await _report(person, marker)
    found = await _ticket(world, marker)
    return found is not None and found.compound_id == await compound_id(world)


@probe(P.TICKET_FILE_FOR)
async def file_for(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    marker = f"代办报修 {person.id}"
    await _report(person, marker, for_home=HOME)
    found = await _ticket(world, marker)
    me = await resident_id(world, person)
    return (
        found is not None and found.filed_by_id == me and found.household_id == await home_id(world)
    )


async def _owners_ticket(world: World, cast: Cast) -> int:
    await _report(cast["owner"], "电梯异响")
    found = await _ticket(world, "电梯异响")
    assert found is not None
    return pk(found)


async def _at(world: World, ticket_id: int, status: TicketStatus) -> None:
    async with world.session() as session:
        row = await session.get(Ticket, ticket_id)
        assert row is not None
        row.status = status


@probe(P.TICKET_VIEW, parties=("owner", "tenant"))
async def view(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    ticket_id = int(str(probe.state["ticket"]))
    before = len(person.bot_messages)
    await person.press_data(TicketButton("view", ticket_id).pack(), _last(person))
    return saw(person, "电梯异响", before)


@probe(P.TICKET_WORK)
async def work(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    ticket_id = int(str(probe.state["ticket"]))
    await _at(world, ticket_id, TicketStatus.NEW)
    await person.press_data(TicketButton("acknowledge", ticket_id).pack(), _last(person))
    me = await resident_id(world, person)
    async with world.session() as session:
        done = await session.exec(
            select(col(TicketEvent.id))
            .where(col(TicketEvent.ticket_id) == ticket_id, col(TicketEvent.actor_id) == me)
            .where(col(TicketEvent.kind) == "acknowledge")
        )
        return me is not None and done.first() is not None


@probe(P.TICKET_CONFIRM, author="owner")
async def confirm(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    ticket_id = int(str(probe.state["ticket"]))
    await _at(world, ticket_id, TicketStatus.DONE)
    await person.press_data(TicketButton("confirm", ticket_id).pack(), _last(person))
    async with world.session() as session:
        row = await session.get(Ticket, ticket_id)
        assert row is not None
        return row.status == TicketStatus.CONFIRMED


async def _prepare_ticket(probe: Probe, world: World, cast: Cast) -> None:
    probe.state["ticket"] = await _owners_ticket(world, cast)


for _permission in (P.TICKET_VIEW, P.TICKET_WORK, P.TICKET_CONFIRM):
    preparing(_permission)(_prepare_ticket)


@probe(P.TICKET_SERVICE_LEVELS)
async def service_levels(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """Only on the command line (run by the administrator); the service still checks an actor."""
    async with world.session() as session:
        actor = await load_actor(session, person.id)
        try:
            await ticket_alerts.configure_service_levels(
                session,
                actor,
                await compound_id(world, HERE),
                now=world.clock.now(),
                response_minutes=20,
            )
        except NotAllowed:
            return False
    return True
