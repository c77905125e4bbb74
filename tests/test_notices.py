"""Notices as liaisons and residents use them: compose, target, schedule, acknowledge, follow up."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import col, select

from models import AuditEvent, NoticeAck, OutboxMessage, Role

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _people(world):
    await world.seed_roster()
    owner, tenant, far_owner = world.user("王芳"), world.user("李娜"), world.user("赵三")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(tenant, "2栋 1单元 302", "tenant")
    await world.onboard(far_owner, "3栋 1单元 201", "owner")
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    return owner, tenant, far_owner, liaison


async def _compose(
    liaison,
    *,
    category="服务通知",
    target="全体住户",
    picks=(),
    text="明天 9:00–12:00 停水",
    ack=True,
    when="立即发送",
):
    await liaison.send("/notice")
    await liaison.press(category)
    await liaison.press(target)
    for pick in picks:
        await liaison.press(pick)
    if picks:
        await liaison.press("完成")
    await liaison.send(text)
    await liaison.press("是，请求确认阅读" if ack else "否")
    await liaison.press(when)


async def test_a_notice_reaches_every_resident_who_can_acknowledge_it(world):
    owner, tenant, far_owner, liaison = await _people(world)
    await _compose(liaison)
    preview, summary = liaison.bot_messages[-2:]
    assert "【服务通知】" in preview.content and "停水" in preview.content
    assert "3 人" in summary.content and "60 户" in summary.content
    await liaison.press("确认发送")
    assert "正在发送给 3 人" in liaison.last_text
    await world.deliver()
    for person in (owner, tenant, far_owner):
        assert "停水" in person.last_text and person.last_message.buttons() == ["我已阅读"]
    await owner.press("我已阅读")
    assert "已记录" in owner.last_text
    await owner.press_data(owner.bot_messages[-2].inline_keyboard[0][0]["callback_data"])
    assert "已经确认" in owner.last_text
    async with world.session() as session:
        assert len((await session.exec(select(NoticeAck))).all()) == 1
    await owner.send("/notices")
    assert "停水" in owner.last_text and "✅" in owner.last_text


async def test_targets_reach_only_the_right_people(world):
    owner, tenant, far_owner, liaison = await _people(world)
    staff = world.user("陈师傅")
    await world.join_as(staff, Role.STAFF)
    await _compose(liaison, target="仅业主", text="业主大会通知", ack=False)
    await liaison.press("确认发送")
    await _compose(
        liaison, target="指定楼栋", picks=["1栋", "2栋"], text="1、2栋电梯检修", ack=False
    )
    await liaison.press("确认发送")
    await _compose(liaison, target="指定网格", picks=["第二网格"], text="第二网格消杀", ack=False)
    await liaison.press("确认发送")
    await liaison.send("/notice")
    await liaison.press("政策通知")
    await liaison.press("指定角色")
    await liaison.press("物业服务人员")
    await liaison.send("请各位同事周五开会")
    await liaison.press("是，请求确认阅读")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    await world.deliver()
    assert [t for t in owner.texts() if "通知】" in t] == [
        t for t in owner.texts() if "业主大会通知" in t or "电梯检修" in t
    ] and len([t for t in owner.texts() if "通知】" in t]) == 2
    assert not any("业主大会通知" in t for t in tenant.texts()) and any(
        "电梯" in t for t in tenant.texts()
    )
    assert any("业主大会" in t for t in far_owner.texts()) and any(
        "消杀" in t for t in far_owner.texts()
    )
    assert not any("电梯" in t for t in far_owner.texts())
    assert any("开会" in t for t in staff.texts()) and not any("开会" in t for t in owner.texts())
    await staff.press("我已阅读")  # a notice to a role has no household behind it
    assert "已记录" in staff.last_text


async def test_nobody_outside_the_senders_compound_is_reached(world, tmp_path):
    owner, tenant, far_owner, _liaison = await _people(world)
    await world.seed_other_compound(tmp_path)
    outsider = world.user("孙书记")
    await world.join_as(outsider, Role.LIAISON, "compound:和平里")
    await _compose(outsider, text="和平里通知", ack=False)
    assert "0 人" in outsider.last_text
    await outsider.press("确认发送")
    await world.deliver()
    assert not any("和平里通知" in t for p in (owner, tenant, far_owner) for t in p.texts())


async def test_residents_cannot_send_notices(world):
    owner, *_ = await _people(world)
    await owner.send("/notice")
    assert "只有" in owner.last_text
    assert "notice" not in owner.commands


async def test_schedule_edit_and_send_at_the_time(world, clock):
    owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, text="原来的内容", ack=False, when="定时发送")
    await liaison.send("明天早上")
    assert "YYYY-MM-DD" in liaison.last_text
    await liaison.send("2026-11-01 09:00")
    assert "已经过去" in liaison.last_text
    await liaison.send("2026-11-03 09:00")
    await liaison.press("确认发送")
    assert "已定时" in liaison.last_text
    await world.run_jobs()
    assert not any("内容" in t for t in owner.texts())
    await liaison.send("/notices")
    await liaison.press("修改内容")
    await liaison.send("修改后的内容")
    assert "修改后的内容" in liaison.last_text
    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await world.run_jobs()
    await world.run_jobs()  # a second tick sends nothing twice
    assert [t for t in owner.texts() if "内容" in t] == ["【服务通知】\n修改后的内容"]


async def test_a_scheduled_notice_can_be_cancelled(world, clock):
    owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, text="会被取消", ack=False, when="定时发送")
    await liaison.send("2026-11-03 09:00")
    await liaison.press("确认发送")
    await liaison.send("/notices")
    await liaison.press("取消发送")
    assert "已取消" in liaison.last_text
    clock.set(datetime(2026, 11, 4, 9, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await world.run_jobs()
    assert not any("会被取消" in t for t in owner.texts())


async def test_too_long_text_is_refused_naming_the_limit(world):
    _owner, _tenant, _far, liaison = await _people(world)
    await liaison.send("/notice")
    await liaison.press("政策通知")
    await liaison.press("全体住户")
    await liaison.send("长" * 4090)
    assert "4056" in liaison.last_text and "4090" in liaison.last_text
    await liaison.send("短通知")
    assert "确认已阅读" in liaison.last_text


async def test_wrong_input_at_each_step_is_answered_and_nothing_is_lost(world):
    _owner, _tenant, _far, liaison = await _people(world)
    await liaison.send("/notice")
    await liaison.send("随便打字")
    assert "按钮" in liaison.last_text
    await liaison.press_data("v1:nq:target:compound")  # a button of a later step
    assert "不再有效" in liaison.last_text
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    await liaison.send_location(30.6, 114.3)
    assert "文字" in liaison.last_text
    await liaison.send("/whoami")
    assert "/cancel" in liaison.last_text
    await world.restart()
    await liaison.send("重启后继续的通知")
    assert "确认已阅读" in liaison.last_text
    await liaison.press("否")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    assert "正在发送" in liaison.last_text


async def test_quiet_hours_hold_service_notices_but_not_emergencies(world, clock):
    owner, _tenant, _far, liaison = await _people(world)
    clock.set(datetime(2026, 11, 2, 22, 30, tzinfo=SHANGHAI).astimezone(UTC))
    await _compose(liaison, text="明天停电", ack=False)
    await liaison.press("确认发送")
    await _compose(liaison, category="紧急通知", text="3栋燃气泄漏，请勿用火", ack=False)
    await liaison.press("确认发送")
    await world.deliver()
    assert any("燃气" in t for t in owner.texts()) and not any("停电" in t for t in owner.texts())
    clock.set(datetime(2026, 11, 3, 8, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await world.deliver()
    assert any("停电" in t for t in owner.texts())


async def test_delivery_report_lists_households_not_reached_and_reminds(world, clock):
    owner, tenant, far_owner, liaison = await _people(world)
    world.emulator.block(far_owner.id)
    await _compose(liaison, text="请阅读垃圾分类新规")
    await liaison.press("确认发送")
    await world.deliver()
    await tenant.press("我已阅读")
    await liaison.press("送达报告")
    report = liaison.bot_messages[-2].content
    assert "已发送：2" in report and "无法送达：1" in report and "已确认阅读：1" in report
    assert "1栋 · 第一网格" in report and "1栋 1单元 102 — 无人注册" in report
    assert "未送达的住户：58 / 60 户" in report  # 57 with nobody registered, 1 blocked
    sheet = load_workbook(filename=_download(world, liaison)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert sheet.title == "未送达" and len(rows) == 1 + 58
    assert rows[0] == [
        "通知",
        "楼栋",
        "网格",
        "住户",
        "业主（花名册）",
        "电话（花名册）",
        "原因",
        "走访日期",
        "走访结果",
        "备注",
    ]
    title = "#1 【服务通知】请阅读垃圾分类新规"
    assert [title, "3栋", "第二网格", "3栋 1单元 201", "何杰", None, "已屏蔽机器人"] + [
        None
    ] * 3 in rows
    assert [title, "1栋", "第一网格", "1栋 1单元 102", "高静", "13807784483", "无人注册"] + [
        None
    ] * 3 in rows
    async with world.session() as session:
        read = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    assert [(e.subject_type, e.subject_id) for e in read] == [("notice", "1")]
    clock.advance(days=2)
    await liaison.press("送达报告")
    assert "1栋 1单元 101 — 未确认阅读" in liaison.bot_messages[-2].content
    await liaison.press("提醒未阅读的住户")
    assert "1 人" in liaison.last_text
    await world.deliver()
    assert "请阅读此通知" in owner.last_text
    assert not any("请阅读此通知" in t for t in tenant.texts())
    async with world.session() as session:
        rows = (
            await session.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.purpose).startswith("notice:1:remind")
                )
            )
        ).all()
    assert len(rows) == 1


def _download(world, person):
    import io

    document = person.last_message.document
    assert document["file_name"].endswith(".xlsx")
    return io.BytesIO(world.emulator.file_bytes(document["file_id"]))


async def test_a_notice_with_a_photo_arrives_as_a_photo(world):
    owner, _tenant, _far, liaison = await _people(world)
    await liaison.send("/notice")
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    await liaison.send_photo(b"JPEG-notice-board", caption="小区公告栏已更新")
    await liaison.press("否")
    await liaison.press("立即发送")
    assert liaison.bot_messages[-2].kind == "photo"
    await liaison.press("确认发送")
    await world.deliver()
    received = owner.last_message
    assert received.kind == "photo" and "公告栏" in received.caption
    assert world.emulator.file_bytes(received.photo_file_id) == b"JPEG-notice-board"


async def test_a_resident_cannot_acknowledge_a_notice_not_sent_to_them(world):
    owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, target="指定楼栋", picks=["3栋"], text="只给3栋")
    await liaison.press("确认发送")
    await world.deliver()
    await owner.send("/help")
    await owner.press_data("v1:ack:1")
    assert "不是发给您的" in owner.last_text
    async with world.session() as session:
        assert (await session.exec(select(NoticeAck))).all() == []


# --- the sender's own notice, drafts, rendering, files and hostile text ------------------------
async def _notice(world):
    from models import Notice

    async with world.session() as session:
        return (await session.exec(select(Notice))).all()


async def test_only_the_sender_changes_cancels_or_reminds_about_a_notice(world, clock):
    """Staff of the same compound may read a liaison's delivery report, but a forged "change
    text", "cancel" or "remind" button of the liaison's notice is refused and changes nothing."""
    from views.notices import NoticeManage

    owner, _tenant, _far, liaison = await _people(world)
    staff = world.user("陈师傅")
    await world.join_as(staff, Role.STAFF)
    await _compose(liaison, text="刘书记的通知", ack=False, when="定时发送")
    await liaison.send("2026-11-03 09:00")
    await liaison.press("确认发送")
    (notice,) = await _notice(world)
    await staff.send("/notices")
    await staff.press_data(NoticeManage("edit", notice.id).pack())
    assert "只有发布这条通知的人可以修改" in staff.last_text
    await staff.send("篡改后的内容")
    await staff.press_data(NoticeManage("cancel", notice.id).pack())
    assert "只有发布这条通知的人可以修改" in staff.last_text
    (notice,) = await _notice(world)
    assert notice.text == "刘书记的通知" and notice.status == "scheduled"
    await _compose(liaison, text="请确认阅读")
    await liaison.press("确认发送")
    await world.deliver()
    sent = max(n.id for n in await _notice(world))
    await staff.press_data(NoticeManage("report", sent).pack())  # the compound's senders follow up
    assert "送达报告" in staff.bot_messages[-2].content
    assert "提醒未阅读的住户" not in staff.bot_messages[-2].buttons()
    await staff.press_data(NoticeManage("remind", sent).pack())
    assert "只有发布这条通知的人可以修改" in staff.last_text
    async with world.session() as session:
        reminders = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.purpose).contains("remind"))
            )
        ).all()
    assert reminders == []
    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await world.run_jobs()
    assert any(t.endswith("刘书记的通知") for t in owner.texts())
    assert not any("篡改" in t for t in owner.texts())


async def test_a_sender_whose_role_ended_can_no_longer_change_their_notice(world):
    from models import RoleGrant
    from views.notices import NoticeManage

    _owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, text="换届前的通知", ack=False, when="定时发送")
    await liaison.send("2026-11-03 09:00")
    await liaison.press("确认发送")
    (notice,) = await _notice(world)
    async with world.session() as session:
        for grant in (await session.exec(select(RoleGrant))).all():
            if grant.role == Role.LIAISON:
                await session.delete(grant)
        await session.commit()
    await liaison.press_data(NoticeManage("cancel", notice.id).pack())
    (notice,) = await _notice(world)
    assert notice.status == "scheduled" and "已取消" not in liaison.last_text


async def test_a_notice_is_saved_only_when_the_sender_confirms(world):
    """Composing is a draft of the sender, not a row of `notice`; the preview is the notice as
    residents get it; cancelling leaves nothing behind."""
    from models import Draft

    owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, text="只是草稿")
    async with world.session() as session:
        (draft,) = (await session.exec(select(Draft))).all()
    assert (draft.flow, draft.step, draft.data["text"]) == ("notice", "preview", "只是草稿")
    assert await _notice(world) == []
    await liaison.press("取消")
    assert "没有发送" in liaison.last_text or "未发送" in liaison.last_text
    assert await _notice(world) == []
    async with world.session() as session:
        assert (await session.exec(select(Draft))).all() == []
    await _compose(liaison, text="正式通知")
    preview = liaison.bot_messages[-2]
    await liaison.press("确认发送")
    (notice,) = await _notice(world)
    assert notice.status == "queued"
    await world.deliver()
    received = owner.last_message
    assert received.content == preview.content and received.buttons() == preview.buttons()


async def test_editing_a_scheduled_notice_is_a_draft_naming_it(world):
    from models import Draft

    _owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, text="原文", ack=False, when="定时发送")
    await liaison.send("2026-11-03 09:00")
    await liaison.press("确认发送")
    await liaison.send("/notices")
    await liaison.press("修改内容")
    (notice,) = await _notice(world)
    async with world.session() as session:
        (draft,) = (await session.exec(select(Draft))).all()
    assert (draft.flow, draft.step, draft.data) == ("notice-edit", "text", {"notice_id": notice.id})
    await liaison.send("新文")
    (notice,) = await _notice(world)
    assert notice.text == "新文"
    async with world.session() as session:
        assert (await session.exec(select(Draft))).all() == []


async def test_a_notice_is_rendered_once_per_language_not_per_recipient(world, monkeypatch):
    from models import Resident
    from services import notify
    from services.notices import NOTICE

    owner, tenant, far_owner, liaison = await _people(world)
    async with world.session() as session:
        resident = (
            await session.exec(select(Resident).where(col(Resident.telegram_id) == far_owner.id))
        ).one()
        resident.language = "en"
        await session.commit()
    render, threaded = notify._RENDERERS[NOTICE]
    languages: list[str] = []

    def counting(_, **data):
        languages.append(_.language)
        return render(_, **data)

    monkeypatch.setitem(notify._RENDERERS, NOTICE, (counting, threaded))
    await _compose(liaison, text="三人两种语言")
    await liaison.press("确认发送")
    await world.deliver()
    assert sorted(languages) == ["en", "zh_Hans"]
    assert "【Service notice】" in far_owner.last_text and far_owner.last_message.buttons() == [
        "I have read it"
    ]
    assert "【服务通知】" in owner.last_text and "【服务通知】" in tenant.last_text
    assert "正在发送给 3 人" in liaison.last_text


async def test_names_in_the_report_and_its_spreadsheet_are_text(world):
    """A building or grid named like a formula or like HTML stays text, in the message and in
    the spreadsheet."""
    from models import Building, Grid

    _owner, _tenant, _far, liaison = await _people(world)
    async with world.session() as session:
        building = (await session.exec(select(Building).where(col(Building.name) == "1栋"))).one()
        building.name = '=HYPERLINK("http://x.example","1栋")'
        grid = (await session.exec(select(Grid).where(col(Grid.name) == "第一网格"))).one()
        grid.name = "<b>一</b>&网格"
        await session.commit()
    await _compose(liaison, text="请阅读")
    await liaison.press("确认发送")
    await world.deliver()
    await liaison.press("送达报告")
    report = liaison.bot_messages[-2].content
    assert "2栋 · <b>一</b>&网格" in report  # sorted by building: "=…" comes after "3栋"
    workbook = load_workbook(filename=_download(world, liaison))
    cells = [cell for row in workbook.active.iter_rows(min_row=2) for cell in row]
    hostile = [c for c in cells if str(c.value).startswith("=")]
    assert hostile and all(c.data_type == "s" for c in hostile)
    assert '=HYPERLINK("http://x.example","1栋") 1单元 102' in [c.value for c in hostile]
    assert "<b>一</b>&网格" in [c.value for c in cells]


async def test_the_notices_list_survives_what_a_sender_types(world):
    """The first line of a notice in /notices is plain text cut from the sender's HTML: a cut
    through an entity (&amp;) or a tag cannot break the message."""
    owner, _tenant, _far, liaison = await _people(world)
    first = "停水通知（" + "a" * 52 + "&" + "b" * 10
    text = first + "\n<i>不是斜体</i> 重要"
    await liaison.send("/notice")
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    bold = {"type": "bold", "offset": len(first) + 1 + len("<i>不是斜体</i> "), "length": 2}
    await liaison._act(
        liaison.user.emulator.user_message(liaison.id, text=text, entities=[bold])[0]
    )
    await liaison.press("否")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    await world.deliver()
    assert owner.last_text.endswith("<i>不是斜体</i> 重要")
    assert owner.last_message.entities[-1]["type"] == "bold"
    await owner.send("/notices")
    assert "【服务通知】停水通知（" + "a" * 52 + "&bb" in owner.last_text
    assert "&amp;" not in owner.last_text and "不是斜体" not in owner.last_text
    await liaison.send("/notices")
    assert "<i>不是斜体</i>" in liaison.last_text


def test_every_notice_screen_is_valid_telegram_html_whatever_the_text():
    """Sender text, names and a tampered stored text are escaped or reduced to Telegram's tags,
    so every screen parses (as the emulator checks it, like Telegram) and no foreign tag passes."""
    from core.i18n import translator
    from emulator.formatting import parse_html
    from models import Compound, Notice
    from services.notice_drafts import NoticeDraft, Preview, Question
    from services.notice_reports import DeliveryReport, Missed, MissedHousehold
    from services.notice_targets import Choice
    from services.notices import Listing, Received
    from views import notice_office, notices

    hostile = '<script>x</script> & <b onclick="y">z</i> &amp <a href="javascript:">'
    _ = translator("zh_Hans")
    when = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    notice = Notice(
        id=7,
        compound_id=1,
        sender_id=1,
        category=hostile,
        status=hostile,
        text=hostile + "\n" + "长" * 600,
        target_kind=hostile,
        ask_ack=True,
        created_at=when,
        send_at=when,
    )
    missed = [MissedHousehold(hostile, hostile, hostile, Missed.FAILED)] * 40
    report = DeliveryReport(notice, households=60, missed=missed, may_remind=True)
    screens = [
        notices.notice_message(_, tz=SHANGHAI, notice=notice, reminder=True),
        *notices.listing(Listing([Received(notice, True)], [notice]), _, SHANGHAI),
        *notices.edited(notice, _, SHANGHAI),
        *notice_office.report(report, _),
        notice_office.confirmed(notice, _, SHANGHAI),
    ]
    for step in ("compound", "pick", "preview", hostile):
        draft = NoticeDraft.model_construct(step=step, target_ids=[1])
        asked = Question(
            draft, [Compound(id=1, name=hostile)], [Choice(1, hostile)], Preview(notice, 3, 60)
        )
        screens += notice_office.question(asked, _, SHANGHAI)
    for screen in screens:
        parsed = parse_html(str(screen.text))
        assert "<script" not in str(screen.text) and "<b onclick" not in str(screen.text)
        assert len(parsed.text) <= 4096
    assert notices.first_line(hostile) == "x & z &"  # the text a reader sees, not its tags
