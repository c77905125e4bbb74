"""The monthly survey and the KPI report through the bot, with their scheduled jobs."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from handlers.kpi import KpiScope
from jobs.kpi import deliver_monthly
from jobs.surveys import tick as survey_tick
from models import City, Compound, District, KpiDelivery, KpiSubscription, Role, SurveyAnswer
from views.kpi import KPIS
from views.surveys import SurveyComment, SurveyScore

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_one_answer_per_home_changed_by_any_resident_until_the_month_closes(world, clock):
    await world.seed_roster()
    owner, tenant = world.user("徐丽"), world.user("租客")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(tenant, "1栋 1单元 101", "tenant")
    await owner.send("/rate")
    assert "2026年11月满意度测评" in owner.last_text
    # Both residents tap a first score at the same moment (and the owner double-taps): one answer.
    await asyncio.gather(
        owner.press_data(SurveyScore("2026-11", 1, 2).pack()),
        owner.press_data(SurveyScore("2026-11", 1, 2).pack()),
        tenant.press_data(SurveyScore("2026-11", 2, 2).pack()),
    )
    async with world.session() as session:
        answers = (await session.exec(select(SurveyAnswer))).all()
    assert len(answers) == 1 and (answers[0].greening, answers[0].order) == (2, 2)
    for question, score in enumerate((5, 4, 3, 4, 5, 4)):
        await owner.press_data(SurveyScore("2026-11", question, score).pack())
    assert "您家的评价已记录" in owner.last_text
    await tenant.send("/rate")
    assert "总体服务：★★★★" in tenant.last_text  # the home's answer, given by the owner
    await tenant.press_data(SurveyScore("2026-11", 5, 2).pack())
    await tenant.press_data(SurveyComment("2026-11").pack())
    await tenant.send("电梯经常停运")
    await tenant.press_data(SurveyScore("2026-11", 9, 2).pack())  # a question that does not exist
    assert "评分为 1 到 5" in tenant.last_text
    async with world.session() as session:
        answers = (await session.exec(select(SurveyAnswer))).all()
    assert len(answers) == 1 and (answers[0].overall, answers[0].cleaning, answers[0].comment) == (
        2,
        5,
        "电梯经常停运",
    )
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    await owner.press_data(SurveyScore("2026-11", 5, 5).pack())
    assert "测评月份已结束" in owner.last_text


async def test_invitations_once_then_one_reminder_to_homes_without_an_answer(world, clock):
    await world.seed_roster()
    answered, silent = world.user("徐丽"), world.user("高静")
    await world.onboard(answered, "1栋 1单元 101", "owner")
    await world.onboard(silent, "1栋 1单元 102", "owner")
    assert await survey_tick(world.runtime) == (0, 0)  # the 2nd: before the survey day
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI))
    assert (await survey_tick(world.runtime))[0] == 2
    assert await survey_tick(world.runtime) == (0, 0)
    await world.restart()
    assert await survey_tick(world.runtime) == (0, 0)
    await world.deliver()
    assert "满意度测评已开始" in silent.last_text
    await answered.press("为服务打分")
    await answered.press_data(SurveyScore("2026-11", 5, 5).pack())
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI))
    assert await survey_tick(world.runtime) == (0, 1)
    assert await survey_tick(world.runtime) == (0, 0)
    await world.deliver()
    assert "提醒" in silent.last_text and not any(
        "提醒" in t and "测评" in t for t in answered.texts()
    )


async def test_kpi_report_scopes_and_the_monthly_delivery_once(world, clock, tmp_path):
    await world.seed_roster()
    officer, liaison, resident, stranger = (
        world.user("周科长"),
        world.user("刘书记"),
        world.user("徐丽"),
        world.user("吴科长"),
    )
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    await world.join_as(liaison, Role.LIAISON)
    await world.onboard(resident, "1栋 1单元 101", "owner")
    async with world.session() as session:
        other = District(city_id=1, name="武昌区")
        session.add(other)
        await session.flush()
        other_id = other.id
    await world.join_as(stranger, Role.OFFICER, "district:武昌区")
    await resident.press_data(SurveyScore("2026-11", 5, 5).pack())

    await officer.send("/kpi 2026-11")
    summary = officer.texts()[-3]
    assert "2026年11月月报：江岸区" in summary and "满意率：100.00%（1 / 1）" in summary
    assert "覆盖率：0.00%（0 / 1）" in summary and "参与率：1.67%（1 / 60）" in summary
    assert [m.kind for m in officer.user.bot_messages[-2:]] == ["photo", "document"]
    await resident.send("/kpi")
    assert "月报仅供" in resident.last_text
    await stranger.send("/kpi 2026-11")
    assert "武昌区" in stranger.texts()[-3] and "暂无数据" in stranger.texts()[-3]
    await stranger.press_data(KpiScope("show", "district", 1, "2026-11").pack())  # not theirs
    assert "只能查看本辖区" in stranger.last_text
    await stranger.press_data(KpiScope("show", "district", other_id, "2026-13").pack())
    assert "此按钮已不再有效" in stranger.last_text

    await officer.send("/kpi 2026-11")
    await officer.press("每月发送给我", officer.user.chat.bot_messages[-3].message_id)
    assert "每月1日 08:00" in officer.last_text
    clock.set(datetime(2026, 12, 1, 7, 59, tzinfo=SHANGHAI))
    assert await deliver_monthly(world.runtime) == 0
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI))
    assert await deliver_monthly(world.runtime) == 1
    assert await deliver_monthly(world.runtime) == 0
    await world.restart()
    assert await deliver_monthly(world.runtime) == 0
    await world.deliver()
    assert [m.kind for m in officer.user.bot_messages[-3:]] == ["text", "photo", "document"]
    assert "2026年11月月报：江岸区" in officer.user.bot_messages[-3].content
    async with world.session() as session:
        assert len((await session.exec(select(KpiDelivery))).all()) == 1
    # Subscribing on 10 December (after seeing the report) does not resend November's at a restart.
    clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI))
    await stranger.send("/kpi 2026-11")
    await stranger.press("每月发送给我", stranger.user.chat.bot_messages[-3].message_id)
    assert await deliver_monthly(world.runtime) == 0
    # On 1 January both are served December's report, once.
    clock.set(datetime(2027, 1, 1, 8, 5, tzinfo=SHANGHAI))
    assert await deliver_monthly(world.runtime) == 2
    assert await deliver_monthly(world.runtime) == 0
    assert len(KPIS) == 5  # the four KPIs and homes fully paid beside fee collection


async def test_a_comment_with_markup_characters_is_shown_as_typed(world):
    """A comment is data: "<" and "&" in it once broke /rate for the whole home for the month."""
    await world.seed_roster()
    owner, tenant = world.user("徐丽"), world.user("租客")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(tenant, "1栋 1单元 101", "tenant")
    await owner.send("/rate")
    await owner.press("5", owner.last_message.message_id)
    await owner.press("补充意见")
    comment = "<3 & <b>{0}%s"
    await owner.send(comment)
    assert "您的意见已记录" in owner.texts()[-2]
    assert f"意见：{comment}" in owner.last_text
    await tenant.send("/rate")
    assert f"意见：{comment}" in tenant.last_text  # the home's card still opens for everyone
    await tenant.press("4", tenant.last_message.message_id)
    assert f"意见：{comment}" in tenant.last_text
    async with world.session() as session:
        assert (await session.exec(select(SurveyAnswer))).one().comment == comment


async def test_only_residents_of_a_home_answer_the_survey(world):
    """Answering is Permission.SURVEY_ANSWER: staff have no /rate and are refused politely."""
    await world.seed_roster()
    staff, owner = world.user("物业小陈"), world.user("徐丽")
    await world.join_as(staff, Role.STAFF)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    assert "rate" in owner.commands and "rate" not in staff.commands
    await staff.send("/rate")
    assert "满意度测评面向已登记房屋的住户" in staff.last_text
    await staff.press_data(SurveyScore("2026-11", 5, 5).pack())
    assert "满意度测评面向已登记房屋的住户" in staff.last_text
    async with world.session() as session:
        assert (await session.exec(select(SurveyAnswer))).all() == []


async def test_kpi_places_follow_the_roles_that_may_read_them(world, tmp_path):
    """KPI_VIEW over a place covers every place inside it, and nothing beside or above it."""
    await world.seed_roster()
    await world.seed_other_compound(tmp_path)
    supervisor, officer, committee, staff = (
        world.user("赵总监"),
        world.user("周科长"),
        world.user("张委员"),
        world.user("物业小陈"),
    )
    await world.join_as(supervisor, Role.SUPERVISOR)
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    await world.join_as(committee, Role.COMMITTEE)
    await world.join_as(staff, Role.STAFF)
    assert "kpi" in supervisor.commands and "kpi" in committee.commands
    assert "kpi" not in staff.commands
    await supervisor.send("/kpi 2026-11")
    assert "2026年11月月报：幸福家园" in supervisor.texts()[-3]
    async with world.session() as session:
        other = (await session.exec(select(Compound).where(col(Compound.name) == "和平里"))).one()
        city = (await session.exec(select(City))).one()
    # The officer of the district may open a compound inside it; the supervisor of one compound
    # may not open another, nor the city.
    await officer.send("/kpi 2026-11")
    await officer.press_data(KpiScope("show", "compound", other.id, "2026-11").pack())
    assert "2026年11月月报：和平里" in officer.texts()[-3]
    await supervisor.press_data(KpiScope("show", "compound", other.id, "2026-11").pack())
    assert "只能查看本辖区" in supervisor.last_text
    await supervisor.press_data(KpiScope("subscribe", "city", city.id, "2026-11").pack())
    assert "只能查看本辖区" in supervisor.last_text
    await staff.send("/kpi")
    assert "月报仅供" in staff.last_text
    async with world.session() as session:
        assert (await session.exec(select(KpiSubscription))).all() == []


async def test_the_kpi_workbook_keeps_names_as_text_and_shares_as_numbers(world, clock):
    from io import BytesIO

    from openpyxl import load_workbook

    await world.seed_roster()
    officer, resident = world.user("周科长"), world.user("徐丽")
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    await world.onboard(resident, "1栋 1单元 101", "owner")
    async with world.session() as session:
        happy = (await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))).one()
        happy.name = '=HYPERLINK("http://evil.example","幸福家园")'
        happy.service_model = "professional"
    await resident.press_data(SurveyScore("2026-11", 5, 5).pack())
    await officer.send("/kpi 2026-11")
    sheet = officer.last_message
    assert sheet.kind == "document"
    book = load_workbook(BytesIO(world.emulator.file_bytes(sheet.document["file_id"])))
    compounds = book.worksheets[-1]
    name = compounds["A2"]
    assert name.data_type == "s" and name.value.startswith("=HYPERLINK")
    headers = [c.value for c in compounds[1]]
    coverage = compounds.cell(2, headers.index("覆盖率") + 1)
    assert coverage.value == 1 and coverage.number_format == "0.00%"
    billed = compounds.cell(2, headers.index("收费率分母") + 1)
    assert billed.number_format == "¥#,##0.00"


def test_the_monthly_report_is_told_not_enqueued():
    """Deliveries go through notify.tell (rendered at commit), never straight to the outbox."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in (
        "jobs/kpi.py",
        "jobs/surveys.py",
        "services/kpi_viewers.py",
        "services/surveys.py",
    ):
        assert "outbox.enqueue" not in (root / path).read_text(encoding="utf-8"), path
