"""The screens a reader checks word by word, in the three languages, with fixed data: the
invitation and the welcome after joining, the vote notice, card, receipt and results, the ticket
card (staff's and the resident's), the bills screen and the officer's KPI summary. Each is
compared in full with its reviewed text in tests/golden/
(`<screen>.<language>.txt`, the plain text and the buttons; `.html`, what the bot sent).

After a change of wording: `UPDATE_GOLDEN=1 pytest tests/test_golden_texts.py` rewrites the
files; read the diff (`git diff tests/golden`) as a reader of each language before committing.
Only what is truly random is replaced: a ballot's receipt code reads `<BALLOT-CODE>`.
"""

from __future__ import annotations

import difflib
import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from core.clock import FakeClock
from core.i18n import LANGUAGE_NAMES, LANGUAGES
from emulator import ChatMessage
from jobs.votes import tick
from models import Compound, Role, SurveyAnswer
from services import billing, payments, vote_lifecycle

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# Telegram's language_code of a user who reads each of our languages.
TELEGRAM_CODES = {"zh_Hans": "zh-hans", "en": "en", "zh_Hant": "zh-hant"}
# A ballot's receipt code (poll id, a dash, a random token): the one random thing shown.
BALLOT_CODE = re.compile(r"\b\d+-[A-Za-z0-9_-]{8,}")
BALLOT_PLACEHOLDER = "<BALLOT-CODE>"
# Four homes of fixed areas (two of 88.50 ㎡, two of 120.00 ㎡) and fixed owners' names.
ROSTER = (
    "city,district,sub_district,community,compound,building,unit,room,floor,registered_area,"
    "surveyed_area,contract_area,grid,owner_name,owner_phone,developer_unit\n"
    "武汉市,江岸区,后湖街道,幸福社区,幸福家园,1栋,1单元,101,1,88.50,,,第一网格,徐丽,13806480894,no\n"
    "武汉市,江岸区,后湖街道,幸福社区,幸福家园,1栋,1单元,102,1,120.00,,,第一网格,高静,13807784483,no\n"
    "武汉市,江岸区,后湖街道,幸福社区,幸福家园,1栋,1单元,201,2,88.50,,,第一网格,黄伟,,no\n"
    "武汉市,江岸区,后湖街道,幸福社区,幸福家园,1栋,1单元,202,2,120.00,,,第一网格,赵敏,13807933677,no\n"
)
# Tuesday 8 December 2026, 12:20 in Wuhan: the vote closes then, the bills and tickets are read.
MOMENT = datetime(2026, 12, 8, 4, 20, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MOMENT)


def normalised(text: str) -> str:
    return BALLOT_CODE.sub(BALLOT_PLACEHOLDER, text)


def rendered(message: ChatMessage) -> tuple[str, str]:
    """The message as its reader sees it (text, then one line per row of buttons) and as sent."""
    rows = [" ".join(f"[{b['text']}]" for b in row) for row in message.inline_keyboard or []]
    text = "\n".join([message.content, *(["", *rows] if rows else [])]) + "\n"
    return normalised(text), normalised(message.html or message.content) + "\n"


class Golden:
    """Collects every screen of a test and compares them all at the end (one run shows every
    difference, in every language)."""

    def __init__(self) -> None:
        self.differences: list[str] = []

    def check(self, name: str, language: str, message: ChatMessage) -> None:
        text, markup = rendered(message)
        for suffix, actual in (("txt", text), ("html", markup)):
            path = GOLDEN / f"{name}.{language}.{suffix}"
            if UPDATE:
                path.parent.mkdir(exist_ok=True)
                path.write_text(actual, encoding="utf-8")
                continue
            expected = path.read_text(encoding="utf-8") if path.exists() else ""
            if actual != expected:
                diff = difflib.unified_diff(
                    expected.splitlines(), actual.splitlines(), str(path), "rendered", lineterm=""
                )
                self.differences.append("\n".join(diff))

    def verify(self) -> None:
        assert not self.differences, (
            "screens differ from tests/golden (after reviewing, UPDATE_GOLDEN=1 rewrites them):\n"
            + "\n\n".join(self.differences)
        )


@pytest.fixture
def golden() -> Golden:
    return Golden()


async def _compound(world, tmp_path: Path) -> None:
    roster = tmp_path / "golden-roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    await world.seed_roster(roster)


async def _speak(person, language: str) -> None:
    """The person picks a language with /language (each is offered in its own script)."""
    await person.send("/language")
    await person.press(LANGUAGE_NAMES[language])


def _since(person, count: int) -> list[ChatMessage]:
    return [m for m in person.bot_messages[count:] if m.kind == "text"]


# --- joining -------------------------------------------------------------------------------------
async def test_the_invitation_and_the_welcome(world, tmp_path, golden):
    await _compound(world, tmp_path)
    invites = await world.issue_invites()
    homes = ("1栋 1单元 101", "1栋 1单元 102", "1栋 1单元 201")
    for language, name, home in zip(LANGUAGES, ("徐丽", "高静", "黄伟"), homes, strict=True):
        owner = world.user(name, TELEGRAM_CODES[language])
        await owner.send(f"/start {invites[(home, 'owner')].code}")
        invitation = owner.last_message
        golden.check("invitation", language, invitation)
        await owner.press_data(owner.button_data())
        golden.check("welcome", language, invitation)  # the same message, edited in place
    golden.verify()


# --- votes ---------------------------------------------------------------------------------------
async def test_the_vote_notice_card_receipt_and_result(world, clock, tmp_path, golden):
    await _compound(world, tmp_path)
    homes = ("1栋 1单元 101", "1栋 1单元 102", "1栋 1单元 201")
    owners = {}
    for language, name, home in zip(LANGUAGES, ("徐丽", "高静", "黄伟"), homes, strict=True):
        owners[language] = world.user(name, TELEGRAM_CODES[language])
        await world.onboard(owners[language], home, "owner")
    notice = MOMENT - timedelta(days=22)  # the vote closes at MOMENT
    clock.set(notice)
    async with world.session() as session:
        await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="修订小区管理规约",
            body="修订管理规约第三条：电动自行车不得在楼道内停放或充电。",
            notice_at=notice,
            opens_at=notice + timedelta(days=15),
            closes_at=MOMENT,
            now=notice,
        )
    await tick(world.runtime)
    await world.deliver()
    for language, owner in owners.items():
        golden.check("vote-notice", language, owner.last_message)

    clock.advance(days=15)
    await tick(world.runtime)
    await world.deliver()
    for language, owner in owners.items():
        golden.check("vote-opening", language, owner.last_message)
        await owner.send("/vote")
        await owner.press("#1")
        golden.check("vote-card", language, owner.last_message)
    for (language, owner), choice in zip(owners.items(), (0, 0, 1), strict=True):
        await owner.press_data(owner.button_data(0, choice))  # agree, agree, disagree
        golden.check("vote-receipt", language, owner.last_message)

    before = {language: len(owner.bot_messages) for language, owner in owners.items()}
    clock.set(MOMENT)  # the close, to the minute
    await tick(world.runtime)
    await world.deliver()
    for language, owner in owners.items():
        texts = _since(owner, before[language])
        assert texts, f"no result for the {language} reader"
        golden.check("vote-result", language, texts[-1])

    before = {language: len(owner.bot_messages) for language, owner in owners.items()}
    clock.set(MOMENT + timedelta(days=3, minutes=1))  # no objection: the result becomes final
    await tick(world.runtime)
    await world.deliver()
    for language, owner in owners.items():
        texts = _since(owner, before[language])
        assert texts, f"no final result for the {language} reader"
        golden.check("vote-final", language, texts[-1])
    golden.verify()


# --- tickets -------------------------------------------------------------------------------------
async def test_the_ticket_card_staff_and_resident_see(world, tmp_path, golden):
    await _compound(world, tmp_path)
    resident, staff = world.user("王芳"), world.user("陈师傅")
    await world.onboard(resident, "1栋 1单元 101", "owner")
    await world.join_as(staff, Role.STAFF)
    await resident.send("/report")
    await resident.press("公共部位日常维修")
    await resident.press("不紧急")
    await resident.send("2楼楼道灯不亮")
    await resident.press("不加照片")
    await resident.press("在楼栋里")
    await resident.press("1栋")
    await resident.send("2")
    await resident.press("提交报事")
    await world.deliver()
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press_data(staff.button_data(0, 0))  # acknowledge
    await world.deliver()
    for language in LANGUAGES:
        await _speak(staff, language)
        await staff.send("/tickets")
        await staff.press("#1")
        golden.check("ticket-staff", language, staff.last_message)
        await _speak(resident, language)
        await resident.send("/mytickets")
        await resident.press_data(resident.button_data(0, 0))
        golden.check("ticket-resident", language, resident.last_message)
    golden.verify()


# --- bills ---------------------------------------------------------------------------------------
async def _fee_with_a_paid_and_an_overdue_bill(world) -> None:
    """2.00 a ㎡ a month from October, 30 % subsidy, due on the 15th, a late charge of 0.05 % a
    day: October paid in full, November overdue, December due on the 15th."""
    async with world.session() as session:
        await billing.create_schedule(
            session,
            None,
            compound_id=1,
            price_per_m2=Decimal("2.00"),
            period="monthly",
            due_day=15,
            subsidy_share=Decimal("0.3"),
            late_charge_daily_rate=Decimal("0.0005"),
            starts_on=date(2026, 10, 1),
            now=MOMENT,
        )
        await billing.generate_bills(session, today=MOMENT.date(), now=MOMENT)
        home = await world.household_id("1栋", "1单元", "101")
        await payments.record_payment(
            session,
            None,
            household_id=home,
            amount=Decimal("123.90"),  # 88.50 ㎡ × 2.00 less 30 %: October
            method="cash",
            reference="golden-1",
            paid_on=date(2026, 10, 12),
            now=MOMENT,
        )


async def test_the_bills_screen(world, tmp_path, golden):
    await _compound(world, tmp_path)
    owner = world.user("徐丽")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await _fee_with_a_paid_and_an_overdue_bill(world)
    for language in LANGUAGES:
        await _speak(owner, language)
        count = len(owner.bot_messages)
        await owner.send("/bills")
        shown = _since(owner, count)
        assert len(shown) == 1, [m.content for m in shown]
        golden.check("bills", language, shown[0])
    golden.verify()


# --- the KPI summary -----------------------------------------------------------------------------
async def _a_month_of_figures(world) -> None:
    """November 2026 in 幸福家园: three survey answers, fees billed with one home paid."""
    now = MOMENT
    async with world.session() as session:
        compound = (await session.exec(select(Compound).where(col(Compound.id) == 1))).one()
        compound.service_model = "professional"
        homes = [await world.household_id("1栋", "1单元", room) for room in ("101", "102", "201")]
        for home, overall, cleaning in zip(homes, (5, 4, 2), (4, 5, 3), strict=True):
            session.add(
                SurveyAnswer(
                    household_id=home,
                    compound_id=1,
                    month="2026-11",
                    overall=overall,
                    cleaning=cleaning,
                    answered_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
                )
            )
        session.add(
            SurveyAnswer(
                household_id=homes[0],
                compound_id=1,
                month="2026-10",
                overall=3,
                answered_at=datetime(2026, 10, 20, 2, 0, tzinfo=UTC),
            )
        )
        await billing.create_schedule(
            session,
            None,
            compound_id=1,
            price_per_m2=Decimal("1.00"),
            period="monthly",
            due_day=15,
            starts_on=date(2026, 11, 1),
            now=now,
        )
        await billing.generate_bills(session, today=date(2026, 11, 2), now=now)
        await payments.record_payment(
            session,
            None,
            household_id=homes[0],
            amount=Decimal("88.50"),
            method="cash",
            reference="golden-k1",
            paid_on=date(2026, 11, 10),
            now=now,
        )


async def test_the_officers_kpi_summary(world, tmp_path, golden):
    await _compound(world, tmp_path)
    officer = world.user("周科长")
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    await _a_month_of_figures(world)
    for language in LANGUAGES:
        await _speak(officer, language)
        count = len(officer.bot_messages)
        await officer.send("/kpi 2026-11")
        golden.check("kpi-summary", language, _since(officer, count)[0])
    golden.verify()
