"""Follow-ups on tickets, as residents and staff live them: photos people see, albums and
captions, a reopening with its reason, a confirmed cancellation, comments and 催单 that reach
the assignee, response templates, need more information, and the second rating offer."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from jobs.tickets import auto_confirm, offer_rating_again
from models import Role, Ticket, TicketEvent, TicketPhoto
from tests.test_cli import _cli
from tests.test_tickets import _cast, _report, _ticket
from tests.utils.paths import SAMPLE_ROSTER

DID_NOT_UNDERSTAND = "没有理解"


async def _open_card(person, ticket: int = 1) -> None:
    if person.commands and "tickets" in person.commands:
        await person.send("/tickets")
    else:
        await person.send("/mytickets")
    await person.press(f"#{ticket}")


async def _assigned_to_colleague(world, staff):
    colleague = world.user("李师傅")
    await world.join_as(colleague, Role.STAFF)
    await _open_card(staff)
    await staff.press("指派")
    await staff.press("李师傅")
    return colleague


async def _done(staff, *, photo: bytes | None = None, caption: str | None = None) -> None:
    await _open_card(staff)
    await staff.press("开始处理")
    await staff.press("完成")
    if photo is None:
        await staff.press("跳过")
    else:
        await staff.send_photo(photo, caption=caption)


async def _events(world) -> list[TicketEvent]:
    async with world.session() as session:
        return list((await session.exec(select(TicketEvent).order_by(col(TicketEvent.id)))).all())


async def test_an_album_gets_one_answer_and_the_photos_are_seen(world):
    owner, _n, staff, *_ = await _cast(world)
    await owner.send("/report")
    await owner.press("公共部位日常维修")
    await owner.press("不紧急")
    await owner.send("3楼楼道灯不亮")
    answers = await owner.send_album([b"JPEG-1", b"JPEG-2", b"JPEG-3"], caption="晚上完全看不见")
    assert len(answers) == 1 and "照片已添加" in answers[0].content
    await owner.press("完成")
    await owner.press("在楼栋里")
    await owner.press("1栋")
    await owner.press("1单元")
    await owner.send("3")
    assert "照片：3 张" in owner.last_text and "晚上完全看不见" in owner.last_text
    await owner.press("提交报事")
    ticket = await _ticket(world)
    assert ticket.description == "3楼楼道灯不亮\n晚上完全看不见"
    async with world.session() as session:
        assert len((await session.exec(select(TicketPhoto))).all()) == 3

    for person in (staff, owner):
        await _open_card(person)
        before = len(person.bot_messages)
        await person.press("查看照片")
        album = person.bot_messages[before:]
        assert [m.kind for m in album] == ["photo"] * 3
        assert len({m.raw.get("media_group_id") for m in album}) == 1
        assert album[0].raw["media_group_id"] is not None
        assert "工单 #1：3 张照片" in album[0].content


async def test_the_after_photo_reaches_the_resident_with_please_check(world):
    owner, _n, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await _done(staff, photo=b"JPEG-fixed", caption="换了新灯管")
    await world.deliver()
    message = owner.last_message
    assert message.kind == "photo" and "已处理完毕" in message.content
    assert message.buttons() == ["已修好，确认", "没修好，重新处理"]
    await _open_card(owner)
    await owner.press("处理记录")
    assert "换了新灯管" in owner.last_text  # the after-photo's caption is a note
    await _open_card(owner)
    await owner.press("查看照片")
    assert owner.last_message.kind == "photo"  # one photo: a photo, not a media group


async def test_reopening_asks_why_and_the_assignee_hears_it(world):
    owner, _n, staff, *_ = await _cast(world)
    await _report(owner, photo=False, category="清扫保洁", text="门口有垃圾", where="home")
    await owner.press("提交报事")
    colleague = await _assigned_to_colleague(world, staff)
    await _done(staff)
    await world.deliver()
    heard_by_staff = len(staff.bot_messages)
    await owner.press("没修好，重新处理")
    assert "哪里还没修好" in owner.last_text
    assert (await _ticket(world)).status == "done"  # nothing happens before the reason
    await owner.send("垃圾还在门口。")
    assert not any(DID_NOT_UNDERSTAND in t for t in owner.texts())
    assert (await _ticket(world)).status == "reopened"
    await world.deliver()
    assert "工单 #1 被住户重新打开：垃圾还在门口。" in colleague.last_text
    assert len(staff.bot_messages) == heard_by_staff  # the assignee handles it, not everyone
    await colleague.press("查看工单")
    await colleague.press("处理记录")
    assert "垃圾还在门口。" in colleague.last_text

    # a second time, with a photo and its caption
    await _done(colleague)
    await world.deliver()
    await owner.press("没修好，重新处理")
    await owner.send_location(30.6, 114.3)
    assert "文字或照片" in owner.last_text
    await owner.send_photo(b"JPEG-still-dirty", caption="还是很脏")
    await world.deliver()
    assert colleague.last_message.kind == "photo" and "还是很脏" in colleague.last_text


async def test_cancel_asks_first_and_tells_staff(world):
    owner, _n, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await world.deliver()
    await _open_card(owner)
    await owner.press("撤销我的报事")
    assert "确定撤销工单 #1" in owner.last_text
    assert owner.last_message.buttons() == ["是的，撤销", "不，保留"]
    await owner.press("不，保留")
    assert (await _ticket(world)).status == "new" and "工单 #1" in owner.last_text
    await owner.press("撤销我的报事")
    await owner.press("是的，撤销")
    assert (await _ticket(world)).status == "cancelled"
    await world.deliver()
    assert "工单 #1 已被住户撤销" in staff.last_text
    await owner.press_data("v1:tk:cancel_yes:1")
    assert "不能执行" in owner.last_text
    await owner.press_data("v1:tk:cancel:1")
    assert "不能执行" in owner.last_text


async def test_a_comment_or_photo_on_an_open_ticket_reaches_staff(world):
    owner, neighbour, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await world.deliver()
    await _open_card(owner)
    await owner.press("补充意见")
    await owner.send("晚上八点以后更暗")
    await world.deliver()
    assert "住户对工单 #1 的补充：晚上八点以后更暗" in staff.last_text
    await _open_card(owner)
    await owner.press("补充意见")
    await owner.send_photo(b"JPEG-dark", caption="这是现在的样子")
    await world.deliver()
    assert staff.last_message.kind == "photo" and "这是现在的样子" in staff.last_text
    await _open_card(staff)
    await staff.press("处理记录")
    assert "晚上八点以后更暗" in staff.last_text and "这是现在的样子" in staff.last_text
    # not theirs: the neighbour cannot comment
    await neighbour.send("/help")
    await neighbour.press_data("v1:tk:remark:1")
    assert "不存在" in neighbour.last_text


async def test_urging_an_overdue_ticket_reaches_the_assignee_once_a_day(world, clock):
    owner, _n, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    colleague = await _assigned_to_colleague(world, staff)
    await _open_card(owner)
    assert "催单" not in owner.last_message.buttons()  # not overdue yet
    await owner.press_data("v1:tk:urge:1")
    assert "还在处理时限内" in owner.last_text
    clock.advance(hours=25)
    await _open_card(owner)
    await owner.press("催单")
    assert "已催单" in owner.last_text
    await world.deliver()
    assert "住户催单：工单 #1 已超过处理时限" in colleague.last_text
    heard = len(colleague.bot_messages)
    await _open_card(owner)
    await owner.press("催单")
    assert "今天已催过，明天可再催" in owner.last_text
    await world.deliver()
    assert len(colleague.bot_messages) == heard
    clock.advance(days=1)
    await _open_card(owner)
    await owner.press("催单")
    await world.deliver()
    assert len(colleague.bot_messages) == heard + 1 and "催单" in colleague.last_text
    kinds = [e.kind for e in await _events(world)]
    assert kinds.count("urge") == 2


async def test_response_templates_in_the_note_step(world):
    owner, _n, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await _open_card(staff)
    card = staff.last_message.message_id
    await staff.press("给住户的说明", card)
    assert "或选择一条常用回复" in staff.last_text
    assert staff.last_message.buttons() == [
        "已联系维保单位，预计…到场处理。",
        "需要您提供更多信息：",
        "已安排人员处理，请保持电话畅通。",
    ]
    await staff.press("已安排人员处理，请保持电话畅通。")
    await world.deliver()
    assert "已安排人员处理，请保持电话畅通。" in owner.last_text
    await staff.press("给住户的说明", card)
    await staff.press("已联系维保单位")
    assert "请补全工单 #1 的说明" in staff.last_text
    await staff.send("明天上午")
    await world.deliver()
    assert "已联系维保单位，预计明天上午到场处理。" in owner.last_text
    # a template button of a note no longer asked for is stale
    await staff.press_data("v1:tm:1:0")
    assert any("不再有效" in a for a in staff.alerts)
    await staff.press("给住户的说明", card)
    await staff.press_data("v1:tt:1:9")
    assert "不再有效" in staff.last_text


async def test_templates_are_managed_per_compound_on_the_command_line(
    database_url, monkeypatch, capsys
):
    def run() -> list[int]:
        return [
            _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER)),
            _cli(monkeypatch, database_url, "admin", "ticket-templates", "list", "幸福家园"),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "ticket-templates",
                "add",
                "幸福家园",
                "电梯维保单位已到场。",
            ),
            _cli(monkeypatch, database_url, "admin", "ticket-templates", "remove", "幸福家园", "2"),
            _cli(monkeypatch, database_url, "admin", "ticket-templates", "remove", "幸福家园", "9"),
        ]

    assert await asyncio.to_thread(run) == [0, 0, 0, 0, 1]
    out, err = capsys.readouterr()
    assert "1. Contacted the maintenance contractor" in out
    last = out.split("Response templates of 幸福家园:")[-1]
    assert "3. 电梯维保单位已到场。" in last and "need more information" not in last
    assert "There is no template number 9." in err


async def test_need_more_information_goes_to_the_resident_and_back(world):
    owner, _n, staff, *_ = await _cast(world)
    colleague = world.user("李师傅")
    await world.join_as(colleague, Role.STAFF)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await _open_card(staff)
    await staff.press("需要更多信息")
    assert "需要了解什么" in staff.last_text
    await staff.send("请问是哪一盏灯？靠电梯还是靠楼梯？")
    await world.deliver()
    assert "物业需要您提供更多信息：请问是哪一盏灯" in owner.last_text
    await owner.press("回复")
    await owner.send("靠楼梯那盏")
    assert not any(DID_NOT_UNDERSTAND in t for t in owner.texts())
    heard_by_colleague = len(colleague.bot_messages)
    await world.deliver()
    assert "住户回答了您关于工单 #1 的问题：靠楼梯那盏" in staff.last_text
    assert len(colleague.bot_messages) == heard_by_colleague  # only the one who asked
    await _open_card(owner)
    await owner.press("处理记录")
    assert "提问" in owner.last_text and "靠楼梯那盏" in owner.last_text
    # Reply on a ticket nobody asked about is stale
    await _report(owner, photo=False, category="绿化养护", text="草坪需要修剪", where="home")
    await owner.press("提交报事")
    await owner.press_data("v1:tk:answer:2")
    assert "不再有效" in owner.last_text


async def test_the_rating_is_offered_again_a_day_after_auto_confirm(world, clock):
    owner, _n, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await _done(staff)
    clock.advance(days=3, seconds=1)
    assert await auto_confirm(world.runtime) == 1
    await world.deliver()
    assert "自动确认" in owner.last_text
    await offer_rating_again(world.runtime)
    await world.deliver()
    assert "您对处理结果满意吗" not in owner.last_text  # not before a day has passed
    clock.advance(days=1)
    await offer_rating_again(world.runtime)
    await world.deliver()
    assert "已自动确认完成。您对处理结果满意吗" in owner.last_text
    offers = len(owner.bot_messages)
    await world.restart()
    clock.advance(hours=1)
    await offer_rating_again(world.runtime)
    await world.deliver()
    assert len(owner.bot_messages) == offers  # once
    await owner.press("4★")
    await owner.send("还可以，就是慢了点")
    assert "感谢您的意见" in owner.last_text
    await _open_card(owner)
    await owner.press("处理记录")
    assert "评价" in owner.last_text and "★★★★☆ 还可以，就是慢了点" in owner.last_text
    await _open_card(staff)
    await staff.press("处理记录")
    assert "★★★★☆ 还可以，就是慢了点" in staff.last_text
    seen = len(owner.bot_messages)
    clock.advance(days=1)
    await offer_rating_again(world.runtime)
    await world.deliver()
    assert len(owner.bot_messages) == seen  # rated: no further offer


async def test_forged_follow_up_buttons_get_the_stale_answer(world):
    owner, neighbour, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    for data in ("v1:tk:photos:x", "v1:tt:x:1", "v1:tk:urge:1:2"):
        await owner.press_data(data)
    await owner.press_data("v1:tk:photos:99")
    assert "不存在" in owner.last_text
    await neighbour.send("/help")
    await neighbour.press_data("v1:tk:urge:1")
    assert "不存在" in neighbour.last_text
    await staff.send("/tickets")
    await staff.press_data("v1:tk:question:99")
    assert "不存在" in staff.last_text
    await owner.press_data("v1:tk:question:1")
    assert "只有本小区的物业服务人员" in owner.last_text
    assert not any("出错" in t for t in owner.texts() + staff.texts() + neighbour.texts())
    async with world.session() as session:
        assert (await session.get(Ticket, 1)).status == "new"


async def test_the_outbox_sends_an_album_with_its_buttons_after_it(world):
    """A queued screen with several photos goes out as one media group; buttons, which a group
    cannot carry, follow in a text message."""
    from markupsafe import Markup

    from core.screen import Screen, button, keyboard
    from services import outbox

    owner, *_ = await _cast(world)
    photos = []
    for data in (b"JPEG-a", b"JPEG-b"):
        await owner.send_photo(data)
        sent_by_owner = next(m for m in reversed(owner.user.messages) if not m.from_bot)
        photos.append(sent_by_owner.photo_file_id)
    screen = Screen(
        Markup("两张照片"), keyboard([button("好", "v1:tk:view:1")]), album=tuple(photos)
    )
    async with world.session() as session:
        message = outbox.Outgoing(chat_id=owner.id, payload=screen.payload())
        await outbox.enqueue(session, "test:album", [message], now=world.clock.now(), quiet=None)
    before = len(owner.bot_messages)
    stats = await world.deliver()
    sent = owner.bot_messages[before:]
    assert stats.sent == 1 and [m.kind for m in sent] == ["photo", "photo", "text"]
    assert sent[-1].content == "两张照片" and sent[-1].buttons() == ["好"]
