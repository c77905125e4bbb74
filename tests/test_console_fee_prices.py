"""Setting a compound's fee price in the office console (/fees/schedules), as /fees does it in
the bot: the form is answered through /fees's own steps, previewed with what saving does, then
saved once (audited as the bot's save); the bot's /fees then lists the same fee, and the bill run
bills it. A mistyped price, a forged choice, a date out of range, a forged compound, staff, a
form changed after its preview and a second "save" are refused next to the field and change
nothing."""

from __future__ import annotations

from sqlmodel import col, select

from models import AuditEvent, FeeSchedule, Resident, Role
from tests.test_console import _signed_in
from tests.test_console_billrun import _bills, _run
from tests.test_fees import _people
from tests.utils.console import Browser, Form, Page

NEW_PRICE = {
    "price": "1.20",
    "period": "monthly",
    "due_day": "15",
    "subsidy": "30",
    "late_charge": "0",
    "starts_on": "2026-11-01",
}


async def _preview(browser: Browser, **values: str) -> Page:
    page = await browser.open("/fees/schedules")
    assert page.status == 200, page.text
    form = page.form("/fee")
    form.fields.update({**NEW_PRICE, **values, "do": "preview"})
    return await browser.submit(form)


def _save_form(page: Page) -> Form:
    """The preview's own form: the one with the token that saves it."""
    found = [f for f in page.forms if "token" in f.fields]
    assert len(found) == 1, page.text
    return found[0]


async def _schedules(world) -> list[FeeSchedule]:
    async with world.session() as session:
        found = (await session.exec(select(FeeSchedule).order_by(col(FeeSchedule.id)))).all()
    return list(found)


async def test_an_administrator_sets_the_price_in_the_console_as_in_the_bot(world, console):
    admin, _owner, _tenant, _staff = await _people(world)
    async with Browser() as browser:
        page = await _signed_in(world, admin, browser)
        page = await browser.open(page.link("收费标准"))
        assert "尚未设置收费标准" in page.text
        page = await _preview(browser)
        assert page.status == 200, page.text
        # the bot's last question: what saving does, and what a 100 ㎡ home owes
        assert "新单价自2026年11月1日起执行" in page.text
        assert "¥84.00" in page.text and "¥120.00" in page.text
        assert await _schedules(world) == []  # a preview writes no fee
        page = await browser.submit(_save_form(page), do="save")
        assert page.status == 200 and "/fees/schedules" in page.url, page.text
        assert "已保存" in page.text and "¥1.20" in page.text and "按月" in page.text
        saved_form = browser.page
        assert saved_form is not None
    [fee] = await _schedules(world)
    assert str(fee.price_per_m2).startswith("1.2") and fee.period == "monthly"
    assert fee.due_day == 15 and str(fee.subsidy_share).startswith("0.3")
    async with world.session() as session:
        [event] = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "fee.schedule"))
        ).all()
        resident = (
            await session.exec(select(Resident).where(col(Resident.telegram_id) == admin.id))
        ).one()
    assert event.actor_id == resident.id
    # the bot sees the same fee, and the bill run bills it as after the bot's own /fees
    await admin.send("/fees")
    assert "¥1.20" in admin.texts()[-2]
    await admin.send("/cancel")
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        await _run(browser)
    assert (await _bills(world))[0] == 60


async def test_a_new_price_from_next_month_ends_the_current_one_once(world, console):
    admin, _owner, _tenant, _staff = await _people(world)
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await _preview(browser)
        await browser.submit(_save_form(page), do="save")
        page = await _preview(browser, price="1.50", starts_on="2026-12-01")
        assert "现行单价 ¥1.20 执行至2026年11月30日，新单价自2026年12月1日起执行" in page.text
        save = _save_form(page)
        page = await browser.submit(save, do="save")
        assert page.status == 200 and "已保存" in page.text
        page = await browser.submit(save, do="save")  # a double click, or a reload of the post
        assert page.status == 400 and "已经保存" in page.text, page.text
        # a form edited after its preview is not saved
        page = await _preview(browser, price="1.60", starts_on="2027-01-01")
        save = _save_form(page)
        page = await browser.submit(save, do="save", price="9.99")
        assert page.status == 400 and "预览后被修改" in page.text, page.text
    fees = await _schedules(world)
    assert [str(f.price_per_m2)[:4] for f in fees] == ["1.20", "1.50"]
    assert fees[0].ends_on is not None and fees[0].ends_on.isoformat() == "2026-11-30"


async def test_ending_the_fee_in_the_console(world, console):
    admin, _owner, _tenant, _staff = await _people(world)
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await _preview(browser)
        page = await browser.submit(_save_form(page), do="save")
        end = page.form("/fee")
        for form in page.forms:
            if "ends_on" in form.fields:
                end = form
        page = await browser.submit(end, do="end", ends_on="2026-12-31")
        assert page.status == 200 and "此后不再收取" in page.text, page.text
        page = await browser.submit(_save_form(page), do="save_end")
        assert page.status == 200 and "已保存" in page.text
        assert "2026年12月31日" in page.text
    [fee] = await _schedules(world)
    assert fee.ends_on is not None and fee.ends_on.isoformat() == "2026-12-31"


async def test_bad_prices_choices_dates_and_people_are_refused(world, console, tmp_path):
    admin, _owner, _tenant, staff = await _people(world)
    hostile = '<script>alert("x")</script>'
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await _preview(browser, price="一块二")
        assert page.status == 400 and "单价须在每月每平方米0至100元之间" in page.text
        assert 'id="error-price-' in page.html and 'value="一块二"' in page.html
        page = await _preview(browser, price=hostile)
        assert page.status == 400 and "<script>" not in page.html
        assert "&lt;script&gt;" in page.html
        for field, value in (
            ("price", "0"),
            ("price", "100.5"),
            ("price", "1.23456"),
        ):
            page = await _preview(browser, **{field: value})
            assert page.status == 400 and "单价须在" in page.text, (field, value)
        for field in ("period", "due_day", "subsidy", "late_charge"):
            page = await _preview(browser, **{field: "weekly"})
            assert page.status == 400 and "请从给出的选项中选择" in page.text, field
            assert f'id="error-{field}-' in page.html
        page = await _preview(browser, due_day="31")  # a day the bot offers no button for
        assert page.status == 400 and 'id="error-due_day-' in page.html
        page = await _preview(browser, starts_on="2020-01-01")
        assert page.status == 400 and "请按 YYYY-MM-DD 格式输入日期" in page.text
        page = await _preview(browser, starts_on="next monday")
        assert page.status == 400 and 'id="error-starts_on-' in page.html
        # ending a fee that is not charged (no end form is offered): said on the page
        page = await browser.open("/fees/schedules")
        assert 'id="end-form-1"' not in page.html
        page = await browser.submit(page.form("/fee"), do="end", ends_on="2026-12-31")
        assert page.status == 400 and "无需停止" in page.text, page.text
        # a forged compound in the address, or one that is not a number
        page = await browser.open("/fees/schedules")
        form = page.form("/fee")
        form.action = form.action.replace("/1/fee", "/99999/fee")
        assert (await browser.submit(form, do="preview", **NEW_PRICE)).status == 404
        form.action = form.action.replace("/99999/fee", "/x1/fee")
        assert (await browser.submit(form, do="preview", **NEW_PRICE)).status == 404
        # a save without a preview, or with a forged token
        page = await browser.open("/fees/schedules")
        page = await browser.submit(page.form("/fee"), do="save", token="forged", **NEW_PRICE)
        assert page.status == 400 and "已经保存" in page.text
        # another site's form
        page = await browser.open("/fees/schedules")
        form = page.form("/fee")
        browser.origin = "https://evil.example.com"
        page = await browser.submit(form, do="preview", **NEW_PRICE)
        assert page.status == 403 and "不是从办公后台" in page.text
    async with Browser() as browser:  # staff record payments but do not set fees
        await _signed_in(world, staff, browser)
        assert (await browser.open("/fees/schedules")).status == 403
        token = (await browser.open("/fees/payments")).html
        form.fields["form_token"] = token.split('name="form_token" value="')[1].split('"')[0]
        page = await browser.submit(form, do="preview", **NEW_PRICE)
        assert page.status == 403 and "管理员" in page.text
    await world.seed_other_compound(tmp_path)
    other = world.user("另一小区管理员")
    await world.join_as(other, Role.ADMIN, "compound:和平里")
    async with Browser() as browser:  # an administrator of another compound
        await _signed_in(world, other, browser)
        page = await browser.open("/fees/schedules")
        token = page.html.split('name="form_token" value="')[1].split('"')[0]
        form.fields["form_token"] = token
        page = await browser.submit(form, do="preview", **NEW_PRICE)
        assert page.status == 403
    assert await _schedules(world) == []
