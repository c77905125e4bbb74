"""Tickets in the office console: a resident reports in the bot, staff work the ticket on the
board and its page (assign, acknowledge, finish with an uploaded photo) and the people concerned
hear it in the bot; liaisons and supervisors read it without actions; other compounds' staff,
forged ids and forged forms are refused."""

from __future__ import annotations

from sqlmodel import col, select

from models import AuditEvent, Building, Role, Ticket, TicketEvent, TicketPhoto
from tests.test_console import _signed_in
from tests.test_tickets import _report
from tests.utils.console import Browser, Form

FIXED = b"\xff\xd8\xff\xe0\x00\x10JFIF-light-fixed"  # a JPEG's first bytes are enough here


async def _cast(world):
    await world.seed_roster()
    owner, staff, colleague, liaison, supervisor = (
        world.user(name) for name in ("王芳", "陈师傅", "李师傅", "刘书记", "赵总监")
    )
    await world.onboard(owner, "1栋 1单元 101", "owner")
    for person, role in ((staff, Role.STAFF), (colleague, Role.STAFF)):
        await world.join_as(person, role)
    await world.join_as(liaison, Role.LIAISON)
    await world.join_as(supervisor, Role.SUPERVISOR)
    return owner, staff, colleague, liaison, supervisor


async def _reported(world, owner, **kwargs) -> int:
    await _report(owner, **kwargs)
    await owner.press("提交报事")
    await world.deliver()
    async with world.session() as session:
        return int((await session.exec(select(Ticket.id).order_by(col(Ticket.id).desc()))).first())


def _finish_form(page):
    """The finish form; its file input is sent as the file part only (as a browser does)."""
    form = page.form("/finish")
    form.fields.pop("photo", None)
    return form


def _filters(**chosen: str) -> dict[str, str]:
    """The filter form's fields as a browser sends them (an unticked box is not sent)."""
    fields = {"compound": "", "building": "", "category": "", "who": ""}
    return {**fields, "urgent": "", "overdue": "", "view": "", **chosen}


async def test_staff_work_a_ticket_from_the_board_to_done_with_a_photo(world, console):
    owner, staff, colleague, _liaison, _sup = await _cast(world)
    ticket_id = await _reported(world, owner)
    async with world.session() as session:
        building = (await session.exec(select(Building).where(Building.name == "1栋"))).one()
    async with Browser() as browser:
        page = await _signed_in(world, staff, browser)
        page = await browser.open(page.link("工单"))
        assert page.status == 200 and f"#{ticket_id}" in page.text and "3楼楼道灯不亮" in page.text
        assert "1 个工单" in page.text
        board = page.form("/tickets")
        assert [label for _v, label in board.selects["building"]][1:] == ["1栋", "2栋", "3栋"]
        for chosen, shown in (
            ({"category": "repair"}, True),
            ({"category": "greening"}, False),
            ({"building": str(building.id)}, True),
            ({"who": "mine"}, False),
            ({"who": "unassigned"}, True),
            ({"urgent": "1"}, False),
            ({"view": "closed"}, False),
            ({"category": "repair", "who": "unassigned", "building": str(building.id)}, True),
        ):
            page = await browser.submit(board, **_filters(**chosen))
            assert page.status == 200, (chosen, page.text)
            assert (f"#{ticket_id}" in page.text) == shown, chosen
        page = await browser.open("/tickets?category=<script>&who=a99999")
        assert page.status == 400 and "<script>" not in page.html
        assert (await browser.open("/tickets?page=99")).status == 400

        page = await browser.open(f"/tickets/{ticket_id}")
        assert page.status == 200 and "王芳" in page.text and "3楼楼道灯不亮" in page.text
        assert "幸福家园 1栋 1单元，3层" in page.text and "处理时限" in page.text
        photo_url = f"/tickets/{ticket_id}/photo/1"
        assert f'src="{photo_url}"' in page.html
        async with browser.http.get(page.url.replace(f"/tickets/{ticket_id}", photo_url)) as r:
            assert r.status == 200 and r.content_type == "image/jpeg"
            assert await r.read() == b"JPEG-broken-light"  # the resident's photo, via getFile
            assert world.runtime.settings.telegram_token not in str(r.url)

        assign = page.form("/assign")
        chosen = next(v for v, label in assign.selects["assignee"] if label == "李师傅")
        page = await browser.submit(assign, assignee=chosen)
        assert page.status == 200 and "已指派" in page.text and "负责人：李师傅" in page.text
        await world.deliver()
        assert f"工单 #{ticket_id} 已指派给您" in colleague.last_text
        assert colleague.last_message.buttons() == ["查看工单"]

        page = await browser.submit(page.form("/move"))  # acknowledge
        assert page.status == 200 and "已受理" in page.text
        await world.deliver()
        assert "已被物业受理" in owner.last_text

        page = await browser.submit(
            _finish_form(page), files={"photo": ("evil.html", b"<script>alert(1)</script>")}
        )
        assert page.status == 400 and "上传照片" in page.text
        finish = _finish_form(page)
        page = await browser.submit(
            finish, files={"photo": ("fixed.jpg", FIXED)}, caption="换了新灯管 <b>"
        )
        assert page.status == 200 and "已标记完成" in page.text, page.text
        own_copy = staff.last_message
        assert own_copy.kind == "photo" and f"#{ticket_id}" in own_copy.content
        await world.deliver()
        told = owner.last_message
        assert "已处理完毕" in told.content and told.kind == "photo"
        assert told.photo_file_id == own_copy.photo_file_id
        assert world.emulator.file_bytes(told.photo_file_id) == FIXED
        assert told.buttons() == ["已修好，确认", "没修好，重新处理"]

        page = await browser.submit(finish, files={"photo": ("fixed.jpg", FIXED)}, caption="")
        assert page.status == 400 and "不能执行“标记完成”" in page.text  # a second submit
        page = await browser.open(f"/tickets/{ticket_id}")
        assert "换了新灯管 <b>" in page.text and "/photo/2" in page.html
        assert "/finish" not in page.html
        await owner.press("已修好，确认")
        page = await browser.submit(board, **_filters(view="closed"))
        assert f"#{ticket_id}" in page.text and "已确认完成" in page.text
    async with world.session() as session:
        photos = (await session.exec(select(TicketPhoto).order_by(col(TicketPhoto.id)))).all()
        kinds = [e.kind for e in (await session.exec(select(TicketEvent))).all()]
        reads = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    assert [p.after for p in photos] == [False, True]
    assert kinds == ["report", "assign", "acknowledge", "photo", "done", "confirm"]
    assert reads and {r.details["what"] for r in reads} == {"reporter"}


async def test_notes_and_rejecting_with_a_reason(world, console):
    owner, staff, *_ = await _cast(world)
    ticket_id = await _reported(world, owner, photo=False)
    async with Browser() as browser:
        await _signed_in(world, staff, browser)
        page = await browser.open(f"/tickets/{ticket_id}")
        notes = [f for f in page.forms if f.action.endswith("/note")]
        page = await browser.submit(notes[1], note="需要买新灯管")
        assert page.status == 200 and "需要买新灯管" in page.text and "（内部）" in page.text
        page = await browser.submit(notes[0], note="   ")
        assert page.status == 400 and "请用文字写备注" in page.text
        page = await browser.submit(page.form("/note"), note="灯管已订购 & <i>明天</i>")
        assert page.status == 200
        await world.deliver()
        assert "灯管已订购 & <i>明天</i>" in owner.last_text
        assert not any("买新灯管" in t for t in owner.texts())
        reject = page.form("/reject")
        page = await browser.submit(reject, reason="")
        assert page.status == 400 and "不予受理的原因" in page.text and "field-error" in page.html
        page = await browser.submit(reject, reason="不属于物业范围")
        assert page.status == 200 and "已不予受理" in page.text
        await world.deliver()
        assert "不属于物业范围" in owner.last_text
        page = await browser.submit(reject, reason="again")
        assert page.status == 400 and "不能执行" in page.text


async def test_liaison_and_supervisor_read_a_ticket_without_actions(world, console):
    owner, staff, _colleague, liaison, supervisor = await _cast(world)
    ticket_id = await _reported(world, owner)
    async with Browser() as browser:
        await _signed_in(world, staff, browser)
        page = await browser.open(f"/tickets/{ticket_id}")
        page = await browser.submit(
            [f for f in page.forms if f.action.endswith("/note")][1], note="内部：备件缺货"
        )
        assert page.status == 200
    for reader in (liaison, supervisor):
        async with Browser() as browser:
            page = await _signed_in(world, reader, browser)
            assert "/tickets" not in page.html  # the board is the staff's
            assert (await browser.open("/tickets")).status == 403
            if reader is liaison:  # from the home's page, where a liaison finds its tickets
                page = await browser.open("/households?q=1-1-101")
                page = await browser.open(page.link("1栋 1单元 101"))
                page = await browser.open(page.link(f"#{ticket_id}"))
            else:
                page = await browser.open(f"/tickets/{ticket_id}")
            assert page.status == 200 and "3楼楼道灯不亮" in page.text
            assert [f.action for f in page.forms] == ["/signout"]  # no action forms
            assert "备件缺货" not in page.text and "王芳" not in page.text
            assert "/photo/1" in page.html
            assert (await browser.open(f"/tickets/{ticket_id}/photo/1")).status == 200
            # a form posted anyway is refused by the service
            forged = Form(
                f"/tickets/{ticket_id}/move",
                "post",
                {"form_token": page.forms[0].fields["form_token"], "action": "acknowledge"},
            )
            assert (await browser.submit(forged)).status == 403
    async with world.session() as session:
        assert (await session.get(Ticket, ticket_id)).status == "new"


async def test_other_compounds_forged_ids_and_forms_are_refused(world, console, tmp_path):
    owner, staff, *_ = await _cast(world)
    await world.seed_other_compound(tmp_path)
    other = world.user("钱师傅")
    await world.join_as(other, Role.STAFF, "compound:和平里")
    ticket_id = await _reported(world, owner)
    async with Browser() as browser:
        await _signed_in(world, other, browser)
        page = await browser.open("/tickets")
        assert page.status == 200 and f"#{ticket_id}" not in page.text and "0 个工单" in page.text
        page = await browser.open(f"/tickets/{ticket_id}")
        assert page.status == 403 and "3楼楼道灯不亮" not in page.text
        assert (await browser.open(f"/tickets/{ticket_id}/photo/1")).status == 403
        async with world.session() as session:
            building = (await session.get(Ticket, ticket_id)).building_id
        page = await browser.open(f"/tickets?building={building}")  # not one of theirs
        assert page.status == 400 and "筛选条件不在可选范围内" in page.text
        for forged in ("abc", "99999999999", "-1", "0", "1%27%20OR%201=1"):
            assert (await browser.open(f"/tickets/{forged}")).status == 404, forged
        assert (await browser.open("/tickets/99999")).status == 404
    async with Browser() as browser:
        await _signed_in(world, staff, browser)
        page = await browser.open(f"/tickets/{ticket_id}")
        assert (await browser.open(f"/tickets/{ticket_id}/photo/9")).status == 404
        assert (await browser.open(f"/tickets/{ticket_id}/photo/x")).status == 404
        move = page.form("/move")
        browser.origin = "https://evil.example.com"
        page = await browser.submit(move)
        assert page.status == 403 and "不是从办公后台" in page.text
        browser.origin = None
        page = await browser.open(f"/tickets/{ticket_id}")
        move = page.form("/move")
        move.fields["form_token"] = "forged"
        assert (await browser.submit(move)).status == 403
        page = await browser.open(f"/tickets/{ticket_id}")
        assign = page.form("/assign")
        assert (await browser.submit(assign, assignee="99999")).status == 400
    async with world.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert (ticket.status, ticket.assignee_id) == ("new", None)
