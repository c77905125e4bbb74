"""The office console's households: find a home by its number (`1-1-101`, `1栋1单元101`), the
owner's or a resident's name or phone, within the compounds where the viewer sees contacts; and
one home's page (members, bills, tickets, votes taken part in). Opening a home's page shows
names and phones, so it is an audited read (DOMAIN §8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Ballot,
    Bill,
    Building,
    Compound,
    EligibleHome,
    Household,
    Membership,
    Poll,
    Resident,
    Ticket,
    pk,
)
from services import audit
from services.actors import Actor
from services.errors import NotFound
from services.places import home_words, household_label, match_households
from services.policy import Permission, authorize, compound_ids

MAX_FOUND = 50
NO_HOME = N_("That home does not exist.")


@dataclass(frozen=True)
class FoundHome:
    id: int
    compound: str
    label: str
    owner_name: str | None
    area: Decimal | None
    members: int


@dataclass(frozen=True)
class MemberRow:
    resident_id: int
    name: str
    phone: str | None
    kind: str
    since: datetime


@dataclass(frozen=True)
class BillRow:
    period_start: date
    period_end: date
    amount: Decimal
    paid: Decimal
    due_date: date
    paid_off: bool


@dataclass(frozen=True)
class TicketRow:
    id: int
    category: str
    status: str
    created_at: datetime
    description: str


@dataclass(frozen=True)
class VoteRow:
    poll_id: int
    title: str
    voted: bool


@dataclass(frozen=True)
class HomePage:
    household: Household
    compound: str
    label: str
    members: list[MemberRow]
    bills: list[BillRow]
    owed: Decimal
    tickets: list[TicketRow]
    votes: list[VoteRow]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(session: AsyncSession, actor: Actor, text: str) -> list[FoundHome]:
    """Homes whose number, owner or resident matches, in the viewer's compounds (at most 50)."""
    text = (text or "").strip()[:60]
    allowed = sorted(await compound_ids(session, actor, Permission.PEOPLE_CONTACT))
    if not text or not allowed:
        return []
    ids: list[int] = []
    if home_words(text):
        ids += [pk(h) for h in await match_households(session, allowed, text)]
    pattern = _like(text)
    by_owner = await session.exec(
        select(Household.id)
        .where(col(Household.compound_id).in_(allowed))
        .where(
            or_(
                col(Household.owner_name).like(pattern, escape="\\"),
                col(Household.owner_phone).like(pattern, escape="\\"),
            )
        )
        .limit(MAX_FOUND)
    )
    ids += [i for i in by_owner.all() if i is not None]
    by_resident = await session.exec(
        select(Membership.household_id)
        .join(Resident, col(Resident.id) == col(Membership.resident_id))
        .join(Household, col(Household.id) == col(Membership.household_id))
        .where(col(Household.compound_id).in_(allowed))
        .where(
            or_(
                col(Resident.display_name).like(pattern, escape="\\"),
                col(Resident.phone).like(pattern, escape="\\"),
            )
        )
        .limit(MAX_FOUND)
    )
    ids += list(by_resident.all())
    unique = list(dict.fromkeys(ids))[:MAX_FOUND]
    if not unique:
        return []
    counts = dict(
        (
            await session.exec(
                select(Membership.household_id, func.count())
                .where(col(Membership.household_id).in_(unique))
                .group_by(col(Membership.household_id))
            )
        ).all()
    )
    rows = await session.exec(
        select(Household, col(Building.name), col(Compound.name))
        .join(Building, col(Building.id) == col(Household.building_id))
        .join(Compound, col(Compound.id) == col(Household.compound_id))
        .where(col(Household.id).in_(unique))
        .order_by(col(Compound.name), col(Building.name), col(Household.unit), col(Household.room))
    )
    return [
        FoundHome(
            id=pk(home),
            compound=compound,
            label=household_label(building, home.unit, home.room),
            owner_name=home.owner_name,
            area=home.area,
            members=int(counts.get(pk(home), 0)),
        )
        for home, building, compound in rows
    ]


async def home_page(
    session: AsyncSession, actor: Actor, household_id: int, *, now: datetime
) -> HomePage:
    """One home as the office sees it; an audited read of the names and phones it shows."""
    home = await session.get(Household, household_id)
    if home is None:
        raise NotFound(NO_HOME)
    await authorize(session, actor, Permission.PEOPLE_CONTACT, home.compound_id)
    building = await session.get(Building, home.building_id)
    compound = await session.get(Compound, home.compound_id)
    assert building is not None and compound is not None
    members = [
        MemberRow(pk(r), r.display_name, r.phone, m.kind, m.created_at)
        for m, r in await session.exec(
            select(Membership, Resident)
            .join(Resident, col(Resident.id) == col(Membership.resident_id))
            .where(col(Membership.household_id) == household_id)
            .order_by(col(Membership.created_at))
        )
    ]
    bills = [
        BillRow(b.period_start, b.period_end, b.amount, b.paid, b.due_date, b.paid_off)
        for b in await session.exec(
            select(Bill)
            .where(col(Bill.household_id) == household_id)
            .order_by(col(Bill.period_start).desc())
            .limit(24)
        )
    ]
    owed = sum((b.amount - b.paid for b in bills if not b.paid_off), Decimal(0))
    tickets = [
        TicketRow(pk(t), t.category, t.status, t.created_at, t.description[:120])
        for t in await session.exec(
            select(Ticket)
            .where(col(Ticket.household_id) == household_id)
            .order_by(col(Ticket.created_at).desc())
            .limit(20)
        )
    ]
    voted_polls = set(
        (
            await session.exec(
                select(EligibleHome.poll_id)
                .join(
                    Ballot,
                    (col(Ballot.poll_id) == col(EligibleHome.poll_id))
                    & (col(Ballot.voter_key) == col(EligibleHome.voter_key)),
                )
                .where(col(EligibleHome.household_id) == household_id)
            )
        ).all()
    )
    votes = [
        VoteRow(pk(poll), poll.title, pk(poll) in voted_polls)
        for poll in await session.exec(
            select(Poll)
            .join(EligibleHome, col(EligibleHome.poll_id) == col(Poll.id))
            .where(col(EligibleHome.household_id) == household_id)
            .order_by(col(Poll.id).desc())
        )
    ]
    await audit.record_read(
        session,
        at=now,
        actor_id=actor.resident_id,
        what="console_home",
        subject_type="household",
        subject_id=household_id,
        compound_id=home.compound_id,
        residents=[m.resident_id for m in members],
        households=[household_id],
    )
    return HomePage(
        household=home,
        compound=compound.name,
        label=household_label(building.name, home.unit, home.room),
        members=members,
        bills=bills,
        owed=owed,
        tickets=tickets,
        votes=votes,
    )
