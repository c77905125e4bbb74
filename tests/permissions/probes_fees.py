"""Probes of the fee permissions and of one's own account."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
from sqlmodel import col, select

from core.i18n import translator
from models import ClaimStatus, Household, Payment, PaymentClaim
from services import billing, fee_claims
from services.actors import load_actor
from services.policy import Permission as P
from tests.permissions.cast import HERE, HOME, Cast
from tests.permissions.probe import (
    Probe,
    audited,
    compound_id,
    home_id,
    household,
    preparing,
    probe,
    resident_id,
    saw,
)
from tests.utils.world import Person, World
from views.bills import FeeAction
from views.fee_office import ArrearsOf, ClaimDecision, FeeAnswer

_ = translator("zh_Hans")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def _bills(world: World, *, overdue: bool = True) -> None:
    """A fee for 幸福家园 from October, so November's bills are due on the 1st and overdue."""
    now = world.clock.now()
    async with world.session() as session:
        await billing.create_schedule(
            session,
            None,
            compound_id=await compound_id(world),
            price_per_m2=Decimal("1.20"),
            period="monthly",
            due_day=1,
            starts_on=date(2026, 10, 1),
            now=now,
        )
        await billing.generate_bills(session, today=date(2026, 11, 2), now=now)


@probe(P.JOIN)
async def join(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    before = len(person.bot_messages)
    await person.send("/help")
    return saw(person, "/language", before)


@probe(P.OWN_DATA)
async def own_data(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    before = len(person.bot_messages)
    await person.send("/mydata")
    return any(m.kind == "document" for m in person.bot_messages[before:])


@probe(P.FEES_VIEW_BILLS)
async def view_bills(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    before = len(person.bot_messages)
    await person.send("/bills")
    return saw(person, _("Fees for {home}").format(home=HOME), before)


@probe(P.FEES_SHARE_WITH_TENANTS)
async def share(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    async with world.session() as session:
        home = await session.get(Household, await home_id(world))
        assert home is not None
        home.tenants_see_bills = False
    await person.press_data(FeeAction("tenants_on", await home_id(world)).pack(), _message(person))
    return (await household(world)).tenants_see_bills


@probe(P.FEES_RECORD_PAYMENT)
async def record_payment(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    await person.send("/payment")
    await person.send(HOME)
    await person.send("1.00")
    await person.press_data(FeeAnswer("method", "cash").pack(), _message(person))
    await person.send("/cancel")
    me = await resident_id(world, person)
    async with world.session() as session:
        booked = await session.exec(select(col(Payment.id)).where(col(Payment.recorded_by) == me))
        return me is not None and booked.first() is not None


@probe(P.FEES_CONFIRM_CLAIM)
async def confirm_claim(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    claim = await _pending_claim(world, cast)
    await person.press_data(ClaimDecision(claim, False).pack(), _message(person))
    async with world.session() as session:
        row = await session.get(PaymentClaim, claim)
        assert row is not None
        return row.status != ClaimStatus.PENDING and row.decided_by == await resident_id(
            world, person
        )


@preparing(P.FEES_CONFIRM_CLAIM)
async def _claims(probe: Probe, world: World, cast: Cast) -> None:
    await _bills(world)
    async with world.session() as session:
        await fee_claims.set_account(
            session,
            None,
            compound_id=await compound_id(world),
            payee="物业",
            image=PNG,
            now=world.clock.now(),
        )


async def _pending_claim(world: World, cast: Cast) -> int:
    """The home's open "I have paid", made by its owner if there is none."""
    home = await home_id(world)
    async with world.session() as session:
        waiting = await fee_claims.open_claim(session, home)
        if waiting is not None:
            assert waiting.id is not None
            return waiting.id
        owner = await load_actor(session, cast["owner"].id)
        offered = await fee_claims.offer(session, owner, home)
        made = await fee_claims.claim(
            session,
            owner,
            household_id=home,
            method="wechat",
            fen=int(offered.owed * 100),
            now=world.clock.now(),
        )
        assert made.claim.id is not None
        return made.claim.id


@probe(P.FEES_REPORT)
async def report(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    before = len(person.bot_messages)
    await person.press_data(ArrearsOf(await compound_id(world), "2026-11").pack(), _message(person))
    return saw(person, _("Arrears in {compound}").format(compound=HERE), before)


@preparing(P.FEES_REPORT)
async def _overdue(probe: Probe, world: World, cast: Cast) -> None:
    await _bills(world)


@probe(P.PEOPLE_CONTACT, also=(P.FEES_REPORT,))
async def contact(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """The owner's roster name in the arrears list (the way in is the arrears report)."""
    before = len(person.bot_messages)
    await person.press_data(ArrearsOf(await compound_id(world), "2026-11").pack(), _message(person))
    for message in person.bot_messages[before:]:
        if message.kind == "document" and message.document is not None:
            data = world.emulator.files[message.document["file_id"]].data
            for sheet in openpyxl.load_workbook(io.BytesIO(data)).worksheets:
                if any("高静" in str(c.value) for row in sheet.iter_rows() for c in row):
                    return True
    return False


preparing(P.PEOPLE_CONTACT)(_overdue)


@probe(P.FEES_CONFIGURE)
async def configure(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    await person.send("/fees")
    await person.press_data(
        FeeAnswer("compound", str(await compound_id(world))).pack(), _message(person)
    )
    await person.send("1.20")
    for step, value in (
        ("period", "monthly"),
        ("due", "15"),
        ("subsidy", "0"),
        ("late", "0"),
        ("start", "2026-11-01"),
        ("confirm", "1"),
    ):
        await person.press_data(FeeAnswer(step, value).pack(), _message(person))
    await person.send("/fees")  # and the fee ended again
    for step, value in (("price", "end"), ("end", "2026-11-30"), ("confirm", "1")):
        await person.press_data(FeeAnswer(step, value).pack(), _message(person))
    await person.send("/cancel")
    place = await compound_id(world)
    return await audited(world, person, "fee.schedule", place) and await audited(
        world, person, "fee.schedule_end", place
    )


@probe(P.FEES_PAYMENT_CODE)
async def payment_code(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    await person.send("/paycode")
    await person.press_data(
        FeeAnswer("compound", str(await compound_id(world))).pack(), _message(person)
    )
    await person.send_photo(PNG, caption="某某收款")
    await person.send("/cancel")
    return await audited(world, person, "payment_account.set", await compound_id(world))


def _message(person: Person) -> int | None:
    """A message of the person's chat to press a (forged) button on."""
    messages = person.bot_messages
    return messages[-1].message_id if messages else None


preparing(P.FEES_RECORD_PAYMENT)(_overdue)  # money is taken against open bills
