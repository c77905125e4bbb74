"""The seeded demo compound and its personas (one per role), registered the way real people are;
and a second district (武昌区, its compound 丁香园) served by a second bot, as a city runs one bot
per district (services/bots.py), with two personas of its own."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import segno
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import unit_of_work
from core.i18n import N_
from core.runtime import Runtime
from models import (
    BotAccount,
    Building,
    Household,
    Membership,
    MembershipKind,
    Resident,
    Role,
    SurveyAnswer,
)
from services import (
    billing,
    bots,
    fee_claims,
    payments,
    surveys,
    ticket_dispatch,
    ticket_report_places,
    ticket_reports,
    tickets,
    vote_lifecycle,
)
from services.actors import load_actor
from services.invites import issue_household_invites, issue_role_invite, redeem_invite
from services.places import configure_compound, resolve_scope
from services.roster import import_roster

SAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "examples" / "roster-sample.csv"
COMPOUND = "幸福家园"
# The second district: its own roster and bot (the token is the demo's, never Telegram's).
SECOND_ROSTER = Path(__file__).resolve().parent / "roster-wuchang.csv"
SECOND_DISTRICT = "武昌区"
SECOND_COMPOUND = "丁香园"
SECOND_TOKEN = "100200301:DEMO-wuchang-token-not-for-telegram"
SECOND_TOKEN_ENV = "DEMO_WUCHANG_TOKEN"  # the bot row names a variable; the demo sets no env
SECOND_USERNAME = "RedPropertyWuchangBot"


@dataclass(frozen=True)
class Persona:
    """A demo person: their name, what they are, and how they were registered."""

    name: str
    description: str  # shown in the demo's persona list
    household: str | None = None
    membership: str | None = None
    role: str | None = None
    scope: str | None = None
    compound: str = COMPOUND  # the compound of `household`
    second: bool = False  # of the second district: talks to the second bot


PERSONAS = (
    Persona("王芳", N_("owner"), household="1栋 1单元 101", membership=MembershipKind.OWNER),
    Persona("李娜", N_("tenant"), household="2栋 1单元 302", membership=MembershipKind.TENANT),
    Persona(
        "张建国",
        N_("owner, owners' committee member"),
        household="1栋 1单元 102",
        membership=MembershipKind.OWNER,
        role=Role.COMMITTEE,
        scope=f"compound:{COMPOUND}",
    ),
    Persona("陈师傅", N_("property staff"), role=Role.STAFF, scope=f"compound:{COMPOUND}"),
    Persona("刘书记", N_("Party-member liaison"), role=Role.LIAISON, scope=f"compound:{COMPOUND}"),
    Persona("赵总监", N_("quality supervisor"), role=Role.SUPERVISOR, scope=f"compound:{COMPOUND}"),
    Persona("周科长", N_("district officer"), role=Role.OFFICER, scope="district:江岸区"),
    Persona("孙管理", N_("administrator"), role=Role.ADMIN, scope=f"compound:{COMPOUND}"),
)
SECOND_PERSONAS = (
    Persona(
        "钱七",
        N_("owner"),
        household="1栋 1单元 101",
        membership=MembershipKind.OWNER,
        compound=SECOND_COMPOUND,
        second=True,
    ),
    Persona(
        "吴科长",
        N_("district officer"),
        role=Role.OFFICER,
        scope=f"district:{SECOND_DISTRICT}",
        second=True,
    ),
)
# Not registered: joins with an invite from the demo page, as a new resident would.
NEWCOMER = Persona(
    "新住户",
    N_("new resident, not registered yet"),
    household="3栋 2单元 501",
    membership=MembershipKind.OWNER,
)


async def is_seeded(session: AsyncSession) -> bool:
    return (await session.exec(select(col(Resident.id)).limit(1))).first() is not None


async def seed(runtime: Runtime, telegram_ids: dict[str, int]) -> None:
    """Import the sample roster and register every persona through real invites; then the
    second district with its bot."""
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        result = await import_roster(session, SAMPLE_ROSTER, now=now)
        assert result.ok, result.problems
        await _register(session, PERSONAS, telegram_ids, now)
    await seed_activity(runtime, telegram_ids)
    await seed_second_district(runtime, telegram_ids)


async def has_second_district(session: AsyncSession) -> bool:
    """Whether the second bot is recorded (a demo database seeded before it was added is not)."""
    return await session.get(BotAccount, bots.bot_id_of(SECOND_TOKEN)) is not None


async def seed_second_district(runtime: Runtime, telegram_ids: dict[str, int]) -> None:
    """The second district's roster and personas, and its bot serving the district (what
    `admin bot add` and `admin bot serve` record)."""
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        result = await import_roster(session, SECOND_ROSTER, now=now)
        assert result.ok, result.problems
        await _register(session, SECOND_PERSONAS, telegram_ids, now)
        bot = await bots.add_bot(session, SECOND_TOKEN_ENV, SECOND_TOKEN, SECOND_DISTRICT, now=now)
        await bots.serve_place(
            session, bot, await resolve_scope(session, f"district:{SECOND_DISTRICT}")
        )


async def _register(
    session: AsyncSession,
    personas: tuple[Persona, ...],
    telegram_ids: dict[str, int],
    now: datetime,
) -> None:
    invites: dict[tuple[str, str, str], str] = {}
    for compound_name in sorted({p.compound for p in personas if p.household}):
        compound = await resolve_scope(session, f"compound:{compound_name}")
        issued = await issue_household_invites(
            session, compound.id, now=now, ttl=timedelta(days=30)
        )
        invites.update({(compound_name, i.label, i.kind): i.code for i in issued})
    for persona in personas:
        telegram_id = telegram_ids[persona.name]
        if persona.household:
            await redeem_invite(
                session,
                invites[(persona.compound, persona.household, persona.membership or "owner")],
                telegram_id=telegram_id,
                display_name=persona.name,
                language="zh_Hans",
                now=now,
            )
        if persona.role:
            scope = await resolve_scope(session, persona.scope or "")
            role_invite = await issue_role_invite(
                session, Role(persona.role), scope, now=now, ttl=timedelta(days=1)
            )
            await redeem_invite(
                session,
                role_invite.code,
                telegram_id=telegram_id,
                display_name=persona.name,
                language="zh_Hans",
                now=now,
            )


async def seed_activity(runtime: Runtime, telegram_ids: dict[str, int]) -> None:
    """Something for every feature to show: a fee with last month's bills mostly paid, two
    tickets (one being handled), an owners' vote open since yesterday and last month's survey."""
    now = runtime.clock.now()
    tz = runtime.settings.tz
    today = now.astimezone(tz).date()
    async with unit_of_work(runtime.sessions) as session:
        compound = await resolve_scope(session, f"compound:{COMPOUND}")
        await billing.create_schedule(
            session,
            None,
            compound_id=compound.id,
            price_per_m2=Decimal("1.20"),
            period="monthly",
            due_day=15,
            subsidy_share=Decimal("0.2"),
            starts_on=billing.add_months(today.replace(day=1), -1),
            now=now,
        )
        await billing.generate_bills(session, today=today, now=now)
        home = (
            await session.exec(
                select(col(Membership.household_id))
                .join(Resident)
                .where(col(Resident.telegram_id) == telegram_ids["王芳"])
            )
        ).one()
        last_month = (await billing.open_bills(session, home, today))[0].remaining
        await payments.record_payment(
            session,
            None,
            household_id=home,
            amount=last_month,
            method="wechat",
            reference="demo-wechat-1",
            paid_on=today - timedelta(days=20),
            now=now,
        )
        # Most other homes paid last month by bank transfer (fixed seed): the officer's collection
        # rate looks like a real compound's, and staff still have this month's arrears to chase.
        chance = random.Random(944)
        homes = (
            await session.exec(
                select(col(Household.id))
                .where(col(Household.compound_id) == compound.id, col(Household.id) != home)
                .order_by(col(Household.id))
            )
        ).all()
        for other in (h for h in homes if h is not None):
            bills = await billing.open_bills(session, other, today)
            if bills and chance.random() < 0.8:
                await payments.record_payment(
                    session,
                    None,
                    household_id=other,
                    amount=bills[0].remaining,
                    method="bank",
                    reference=f"demo-bank-{other}",
                    paid_on=today - timedelta(days=18),
                    now=now,
                )
    async with unit_of_work(runtime.sessions) as session:
        reports = (
            ("王芳", "facility", "1栋电梯运行时有异响，请检修。"),
            ("李娜", "greening", "2栋门前的绿篱很久没修剪了。"),
        )
        for name, category, text in reports:
            actor = await load_actor(session, telegram_ids[name])
            await ticket_reports.start(session, actor, now=now)
            await ticket_reports.set_category(session, actor, category, now=now)
            await ticket_reports.set_urgent(session, actor, ticket_reports.NOT_URGENT, now=now)
            await ticket_reports.describe(session, actor, text, now=now)
            await ticket_report_places.photos_done(session, actor, now=now)
            await ticket_report_places.at_home(session, actor, now=now)
            await ticket_reports.submit(session, actor, now=now)
        staff = await load_actor(session, telegram_ids["陈师傅"])
        await tickets.act(session, staff, 2, "acknowledge", now=now)
    async with unit_of_work(runtime.sessions) as session:
        start = now - timedelta(days=16)
        building = (
            await session.exec(
                select(col(Building.id))
                .where(col(Building.compound_id) == compound.id)
                .where(col(Building.name) == "1栋")
            )
        ).one()
        await vote_lifecycle.draft(
            session,
            None,
            compound_id=compound.id,
            title="1栋加装电梯",
            body="1栋拟加装一部电梯（改建建筑物的附属设施），预算约60万元，由1栋业主按专有部分面积分摊。",
            notice_at=start,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=6),
            now=start,
            matter="special",
            special_item=7,
            building_ids=[building or 0],
        )
        await vote_lifecycle.open_due(session, now=now)
    async with unit_of_work(runtime.sessions) as session:
        await configure_compound(
            session,
            compound.id,
            now=now,
            service_model="professional",
            company="江岸红色物业服务有限公司",
        )
        # The 24-hour duty phone urgent reporters are given at once (a demo number).
        await ticket_dispatch.configure(
            session, None, compound.id, now=now, duty_phone="027-8288 0110"
        )
        await _past_survey(
            session, compound.id, surveys.previous_month(surveys.month_of(today)), now
        )
        await fee_claims.set_account(
            session,
            None,
            compound_id=compound.id,
            payee="幸福家园物业服务中心（演示）",
            image=_demo_payment_code(),
            now=now,
        )


def _demo_payment_code() -> bytes:
    """A QR code that pays nobody: scanning it shows that this is the demo."""
    out = io.BytesIO()
    segno.make(
        "红色物业演示：这不是真实的收款码 / Red Property demo: not a real payment code"
    ).save(out, kind="png", scale=6, border=2)
    return out.getvalue()


async def _past_survey(session: AsyncSession, compound_id: int, month: str, now: datetime) -> None:
    """Last month's satisfaction survey, answered by about two homes in three (fixed seed), so the
    officer's /kpi has a month with data and this month has a trend to show."""
    chance = random.Random(278)
    homes = (
        await session.exec(
            select(col(Household.id))
            .where(col(Household.compound_id) == compound_id)
            .order_by(col(Household.id))
        )
    ).all()
    for home in (h for h in homes if h is not None):
        if chance.random() < 0.35:
            continue
        scores: dict[str, Any] = {
            q: chance.choices((2, 3, 4, 5), weights=(1, 2, 5, 4))[0] for q in surveys.QUESTIONS
        }
        session.add(
            SurveyAnswer(
                household_id=home, compound_id=compound_id, month=month, answered_at=now, **scores
            )
        )
