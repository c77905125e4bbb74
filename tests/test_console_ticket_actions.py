"""The rest of the staff's actions on a ticket in the office console, as in the bot: "need more
information" (the resident is asked in the bot, answers there, and the answer comes back to the
one who asked), a note from the compound's response templates (completed by what is typed, as
after picking one in the bot), and taking a ticket no one has (抢单). Empty, hostile, forged and
repeated forms, closed tickets and people without the role are refused and change nothing."""

from __future__ import annotations

from sqlmodel import col, select

from models import Role, Ticket, TicketEvent
from tests.test_console import _signed_in
from tests.test_console_tickets import _cast, _reported
from tests.utils.console import Browser, Form, Page


async def _events(world, ticket_id: int, kind: str) -> list[TicketEvent]:
    async with world.session() as session:
        found = await session.exec(
            select(TicketEvent)
            .where(col(TicketEvent.ticket_id) == ticket_id, col(TicketEvent.kind) == kind)
            .order_by(col(TicketEvent.id))
        )
        return list(found.all())


def _token(page: Page) -> str:
    return page.html.split('name="form_token" value="')[1].split('"')[0]


async def test_staff_ask_the_resident_for_more_information_from_the_console(world, console):
    owner, staff, colleague, _liaison, _sup = await _cast(world)
    ticket_id = await _reported(world, owner, photo=False)
    async with Browser() as browser:
        await _signed_in(world, staff, browser)
        page = await browser.open(f"/tickets/{ticket_id}")
        ask = page.form("/question")
        page = await browser.submit(ask, question="   ")
        assert page.status == 400 and "请用文字写下问题" in page.text
        assert "field-error" in page.html and 'id="question-form"' in page.html
        question = "请问是哪一盏灯？<b>靠电梯</b> & 靠楼梯？"
        page = await browser.submit(ask, question=question)
        assert page.status == 200 and "问题已通过机器人发给住户" in page.text, page.text
        assert "&lt;b&gt;靠电梯&lt;/b&gt;" in page.html  # in the history, escaped
        page = await browser.submit(ask, question=question)  # the form sent twice
        assert page.status == 400 and "您已经向住户问过这个问题" in page.text
        assert len(await _events(world, ticket_id, "question")) == 1
        await world.deliver()
        assert f"物业需要您提供更多信息：{question}" in owner.last_text
        heard_by_colleague = len(colleague.bot_messages)
        await owner.press("回复")
        await owner.send("靠楼梯那盏")
        await world.deliver()
        # the answer comes to the one who asked in the console, in the bot
        assert f"住户回答了您关于工单 #{ticket_id} 的问题：靠楼梯那盏" in staff.last_text
        assert len(colleague.bot_messages) == heard_by_colleague
        page = await browser.open(f"/tickets/{ticket_id}")
        assert "靠楼梯那盏" in page.text
        # once answered, the same question may be asked again
        page = await browser.submit(page.form("/question"), question=question)
        assert page.status == 200
        # a closed ticket takes no question
        page = await browser.submit(page.form("/reject"), reason="重复报事")
        assert page.status == 200 and 'id="question-form"' not in page.html
        page = await browser.submit(ask, question="还在吗？")
        assert page.status == 400 and "已经关闭" in page.text
    assert len(await _events(world, ticket_id, "question")) == 2


async def test_the_question_form_refuses_people_and_tickets_not_theirs(world, console, tmp_path):
    owner, staff, _colleague, liaison, _sup = await _cast(world)
    await world.seed_other_compound(tmp_path)
    other = world.user("钱师傅")
    await world.join_as(other, Role.STAFF, "compound:和平里")
    ticket_id = await _reported(world, owner, photo=False)
    async with Browser() as browser:
        await _signed_in(world, staff, browser)
        page = await browser.open(f"/tickets/{ticket_id}")
        ask = page.form("/question")
        ask_forged = Form(ask.action.replace(f"/{ticket_id}/", "/99999/"), "post", dict(ask.fields))
        assert (await browser.submit(ask_forged, question="x")).status == 404
        ask_forged.action = ask.action.replace(f"/{ticket_id}/", "/abc/")
        assert (await browser.submit(ask_forged, question="x")).status == 404
    for person in (liaison, other):  # reads the ticket only / another compound's staff
        async with Browser() as browser:
            page = await _signed_in(world, person, browser)
            if person is liaison:
                page = await browser.open(f"/tickets/{ticket_id}")
                assert page.status == 200 and 'id="question-form"' not in page.html
            ask.fields["form_token"] = _token(page)
            page = await browser.submit(ask, question="伪造的问题")
            assert page.status == 403, page.text
    assert await _events(world, ticket_id, "question") == []
    await world.deliver()
    assert not any("伪造的问题" in t for t in owner.texts())


async def test_a_note_from_the_compounds_response_templates(world, console):
    owner, staff, *_ = await _cast(world)
    ticket_id = await _reported(world, owner, photo=False)
    async with Browser() as browser:
        await _signed_in(world, staff, browser)
        page = await browser.open(f"/tickets/{ticket_id}")
        note = page.form("/note")
        offered = [v for v, _label in note.selects["template"]]
        assert offered == [
            "",
            "已联系维保单位，预计…到场处理。",
            "需要您提供更多信息：",
            "已安排人员处理，请保持电话畅通。",
        ]
        # a template sent as it is
        page = await browser.submit(note, template=offered[3], note="")
        assert page.status == 200 and "说明已通过机器人发送给住户" in page.text
        await world.deliver()
        assert "已安排人员处理，请保持电话畅通。" in owner.last_text
        # one completed by what is typed, in place of …
        page = await browser.submit(note, template=offered[1], note="明天上午")
        assert page.status == 200
        await world.deliver()
        assert "已联系维保单位，预计明天上午到场处理。" in owner.last_text
        # one completed after its colon
        page = await browser.submit(note, template=offered[2], note="门牌照片")
        await world.deliver()
        assert "需要您提供更多信息：门牌照片" in owner.last_text
        heard = len(owner.bot_messages)
        page = await browser.submit(note, template=offered[1], note="  ")
        assert page.status == 400 and "请在框中写下其余部分" in page.text
        assert "selected>已联系维保单位" in page.html  # the template picked is kept
        page = await browser.submit(note, template=offered[3], note="还有别的话")
        assert page.status == 400 and "此常用回复按原样发送" in page.text
        assert "还有别的话" in page.html  # what was typed is kept
        for forged in ("<script>alert(1)</script>", "已安排人员处理", "x" * 400):
            page = await browser.submit(note, template=forged, note="")
            assert page.status == 400 and "请重新选择" in page.text, forged
            assert "<script>alert" not in page.html
    await world.deliver()
    assert len(owner.bot_messages) == heard
    notes = await _events(world, ticket_id, "note")
    assert [e.note for e in notes] == [
        "已安排人员处理，请保持电话畅通。",
        "已联系维保单位，预计明天上午到场处理。",
        "需要您提供更多信息：门牌照片",
    ]


async def test_taking_a_ticket_no_one_has(world, console):
    owner, staff, colleague, _liaison, _sup = await _cast(world)
    ticket_id = await _reported(world, owner, photo=False)
    async with Browser() as browser, Browser() as other:
        await _signed_in(world, staff, browser)
        await _signed_in(world, colleague, other)
        page = await browser.open(f"/tickets/{ticket_id}")
        late = await other.open(f"/tickets/{ticket_id}")
        page = await browser.submit(page.form("/take"))
        assert (
            page.status == 200
            and "您已接单，此工单已指派给您" in page.text
            and "负责人：陈师傅" in page.text
        )
        assert 'id="take-form"' not in page.html
        page = await other.submit(late.form("/take"))  # the colleague, a moment later
        assert page.status == 400 and "已被陈师傅接单" in page.text
    async with world.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.assignee_id is not None
    assert len(await _events(world, ticket_id, "assign")) == 1
