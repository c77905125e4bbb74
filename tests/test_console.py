"""The office console in a browser, signed in through the bot: /console's single-use link,
sessions, cross-site forms, the households and roles pages, each within the viewer's scope."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from models import AuditEvent, ConsoleSession, Role, RoleGrant, RoleGrantHistory
from tests.utils.console import Browser, link_in


async def _admin(world):
    await world.seed_roster()
    admin = world.user("孙管理")
    await world.join_as(admin, Role.ADMIN)
    return admin


async def _signed_in(world, person, browser: Browser):
    await person.send("/console")
    page = await browser.open(link_in(person.last_text))
    assert page.status == 200 and "继续" in page.text
    page = await browser.submit(page.form("/signin"))
    assert page.status == 200, page.text
    return page


async def test_an_administrator_signs_in_through_the_bot_and_finds_a_home(world, console):
    admin = await _admin(world)
    owner = world.user("王芳")
    await world.onboard(owner)
    await admin.send("/console")
    text = admin.last_text
    assert "办公后台" in text and link_in(text).startswith(world.runtime.settings.console_base)
    # 127.0.0.1 is not an address Telegram takes on a URL button: the link is in the text only
    buttons = [b for row in admin.last_message.inline_keyboard for b in row]
    assert [b.get("url") for b in buttons] == [None] and buttons[0]["text"] == "在所有浏览器退出"
    async with Browser() as browser:
        page = await _signed_in(world, admin, browser)
        assert "孙管理" in page.text and "管理员" in page.text
        cookie = next(c for c in browser.http.cookie_jar if c.key == "rp_console")
        assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]
        for typed in ("1-1-101", "1栋1单元101", "徐丽", "13806480894", "王芳"):
            page = await browser.open(f"/households?q={typed}")
            assert page.status == 200 and "1栋 1单元 101" in page.text, typed
        page = await browser.open(page.link("1栋 1单元 101"))
        assert page.status == 200
        assert "徐丽" in page.text and "13806480894" in page.text and "王芳" in page.text
    async with world.session() as session:
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
        read = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    assert {"console.link", "console.sign_in"} <= set(actions)
    assert [r.details["what"] for r in read] == ["console_home"]


async def test_a_link_works_once_and_for_a_few_minutes(world, console, clock):
    admin = await _admin(world)
    await admin.send("/console")
    link = link_in(admin.last_text)
    async with Browser() as first, Browser() as second:
        page = await first.open(link)
        page = await first.submit(page.form("/signin"))
        assert page.status == 200
        page = await second.open(link)
        assert page.status == 401 and "已被使用" in page.text
    await admin.send("/console")
    late = link_in(admin.last_text)
    clock.advance(timedelta(minutes=6))
    async with Browser() as browser:
        page = await browser.open(late)
        assert page.status == 401 and "过期" in page.text
        page = await browser.open(late.replace("t=", "t=x"))
        assert page.status == 401 and "无效" in page.text
        assert browser.cookie("rp_console") is None


async def test_a_session_ends_when_it_expires_and_everywhere_from_the_bot(world, console, clock):
    admin = await _admin(world)
    async with Browser() as laptop, Browser() as phone:
        await _signed_in(world, admin, laptop)
        await _signed_in(world, admin, phone)
        await admin.send("/console")
        assert "2 个浏览器" in admin.last_text
        await admin.press("在所有浏览器退出")
        assert "2 个浏览器" in admin.last_text
        for browser in (laptop, phone):
            page = await browser.open("/households")
            assert page.status == 401 and "/console" in page.text
        await _signed_in(world, admin, laptop)  # a new link still works
        clock.advance(timedelta(hours=9))
        page = await laptop.open("/households")
        assert page.status == 401


async def test_a_resident_without_an_office_role_gets_no_link(world, console):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/console")
    assert "signin" not in owner.last_text and "办公后台" in owner.last_text
    assert "/console" not in owner.commands
    async with world.session() as session:
        assert not (await session.exec(select(ConsoleSession))).all()


async def test_a_liaison_of_one_compound_cannot_open_a_home_of_another(world, console, tmp_path):
    await world.seed_roster()
    await world.seed_other_compound(tmp_path)
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    async with world.session() as session:
        from models import Compound, Household

        home = (await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))).one()
        other = (
            await session.exec(select(Household.id).where(col(Household.compound_id) == home.id))
        ).first()
        peace = (await session.exec(select(Compound).where(col(Compound.name) == "和平里"))).one()
        theirs = (
            await session.exec(select(Household).where(col(Household.compound_id) == peace.id))
        ).one()
    async with Browser() as browser:
        await _signed_in(world, liaison, browser)
        assert (await browser.open(f"/households/{other}")).status == 200
        page = await browser.open(f"/households/{theirs.id}")
        assert page.status == 403 and "钱七" not in page.text
        page = await browser.open("/households?q=钱七")
        assert "<table" not in page.html and "没有与“钱七”相符" in page.text
        for forged in ("abc", "99999999999", "-1", "1%27%20OR%201=1"):
            assert (await browser.open(f"/households/{forged}")).status == 404
        assert (await browser.open("/roles")).status == 403  # a liaison does not manage roles


async def test_a_form_from_another_site_or_an_old_sign_in_does_nothing(world, console):
    admin = await _admin(world)
    staff = world.user("陈师傅")
    await world.onboard(staff, "1栋 1单元 102")
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await browser.open("/roles")
        form = page.form("/roles/grant")
        browser.origin = "https://evil.example.com"
        page = await browser.submit(form, person="陈师傅", role="staff")
        assert page.status == 403 and "不是从办公后台" in page.text
        browser.origin = None
        page = await browser.open("/roles")
        form = page.form("/roles/grant")
        form.fields["form_token"] = "forged"
        page = await browser.submit(form, person="陈师傅", role="staff")
        assert page.status == 403
    async with world.session() as session:
        assert not (
            await session.exec(select(RoleGrant).where(col(RoleGrant.role) == Role.STAFF))
        ).all()


async def test_an_administrator_grants_and_ends_a_role_and_the_person_is_told(world, console):
    admin = await _admin(world)
    staff = world.user("陈师傅")
    await world.onboard(staff, "1栋 1单元 102")
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await browser.open("/roles")
        form = page.form("/roles/grant")
        assert [label for _v, label in form.selects["place"]] == ["小区 幸福家园"]
        page = await browser.submit(form, person="无此人", role="staff")
        assert page.status == 400 and "无此人" in page.text
        assert 'value="无此人"' in page.html  # what was typed stays in the field
        page = await browser.submit(page.form("/roles/grant"), person="陈师傅", role="staff")
        assert page.status == 200 and "已授予" in page.text
        page = await browser.submit(page.form("/roles/grant"), person="陈师傅", role="staff")
        assert page.status == 400 and "已经" in page.text
        await world.deliver()
        assert "物业服务人员" in staff.last_text
        page = await browser.open("/roles")
        ends = [f for f in page.forms if f.action.endswith("/end")]
        assert len(ends) == 1  # the new one: an administrator does not end their own here
        staff_end = ends[0]
        page = await browser.submit(staff_end)
        assert page.status == 200 and "已结束" in page.text
        assert "已结束" in page.text and "物业服务中心结束" in page.text
        page = await browser.submit(staff_end)  # a double tap: already ended
        assert page.status == 404
        async with world.session() as session:
            mine = (
                await session.exec(select(RoleGrant).where(col(RoleGrant.role) == Role.ADMIN))
            ).one()
        staff_end.action = f"/roles/{mine.id}/end"  # a forged form: one's own grant
        page = await browser.submit(staff_end)
        assert page.status == 400 and "另一位管理员" in page.text
        page = await browser.open("/roles")
        invite = await browser.submit(page.form("/roles/invite"), role="liaison")
        assert "t.me/RedPropertyBot?start=" in invite.text
    await world.deliver()
    async with world.session() as session:
        assert len((await session.exec(select(RoleGrantHistory))).all()) == 1


async def test_a_session_ends_at_once_when_the_last_role_ends(world, console):
    admin = await _admin(world)
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    async with world.session() as session:
        grant = (
            await session.exec(select(RoleGrant).where(col(RoleGrant.role) == Role.LIAISON))
        ).one()
    async with Browser() as theirs, Browser() as mine:
        await _signed_in(world, liaison, theirs)
        await _signed_in(world, admin, mine)
        assert (await theirs.open("/households")).status == 200
        page = await mine.open("/roles")
        page = await mine.submit(page.form(f"/roles/{grant.id}/end"))
        assert page.status == 200
        page = await theirs.open("/households")
        assert page.status == 401
    await world.deliver()
    assert "已结束" in liaison.last_text


async def test_pages_speak_the_viewers_language_and_send_safe_headers(world, console):
    admin = await _admin(world)
    await admin.send("/language")
    await admin.press("English")
    async with Browser() as browser:
        await admin.send("/console")
        assert "office console" in admin.last_text
        page = await browser.open(link_in(admin.last_text))
        assert "Continue" in page.text
        page = await browser.submit(page.form("/signin"))
        assert "Households" in page.text and "administrator" in page.text
        async with browser.http.get(page.url) as response:
            headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"
        page = await browser.open("/households?q=<script>alert(1)</script>")
        assert "<script>alert" not in page.html and "&lt;script&gt;" in page.html


async def test_forgetme_ends_the_console_sessions_with_the_data(world, console):
    await world.seed_roster()
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    async with Browser() as browser:
        await _signed_in(world, liaison, browser)
        await liaison.send("/forgetme")
        await liaison.press("是的，删除")
        assert "已删除" in liaison.last_text
        page = await browser.open("/households")
        assert page.status == 401
    async with world.session() as session:
        assert not (await session.exec(select(ConsoleSession))).all()
