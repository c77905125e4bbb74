"""Fees in the office console, signed in through the bot: a clerk uploads the bank statement as
the bank exported it (title lines, a total line, GBK), sees what was matched and booked and what
was not, and books the unmatched and ambiguous rows on the right homes in the review (the bot's
/statement, in the browser); the homes' bills are paid and their owners told in the bot. Another
compound's clerk, another site's form and a second "book" change nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from console.pages import fees as fee_pages
from jobs.fees import tick
from models import AuditEvent, Bill, Compound, Payment, Role, StatementRow
from services import fee_claims
from tests.test_bank_statements import XINGFU_ACCOUNT, _csv
from tests.test_console import _signed_in
from tests.test_fees import _people, _set_fee
from tests.utils.console import Browser, Page


def bank_export() -> bytes:
    """工行 as it exports: title lines, 借方/贷方, 附言, 流水号, then 合计 and 打印时间; GBK."""
    return _csv(
        [
            ["中国工商银行账户历史明细"],
            ["户名：幸福家园物业服务中心"],
            [f"账号：{XINGFU_ACCOUNT}"],
            ["起止日期：2026-11-01 至 2026-11-30"],
            [
                "交易日期",
                "摘要",
                "对方户名",
                "借方发生额",
                "贷方发生额",
                "余额",
                "附言",
                "交易流水号",
            ],
            [
                "2026/11/05",
                "网银转入",
                "徐丽",
                "",
                "75.18",
                "1,075.18",
                "1栋1单元101物业费",
                "T001",
            ],
            ["2026/11/05", "转账支出", "武汉水务", "80.00", "", "995.18", "水费", "T002"],
            ["2026/11/06", "网银转入", "李四", "", "99.42", "1,094.60", "转账", "T003"],
            ["2026/11/07", "网银转入", "张三", "", "75.18", "1,169.78", "201物业费", "T004"],
            [
                "2026/11/08",
                "网银转入",
                "<img src=x onerror=alert(1)>",
                "",
                "10.00",
                "1,179.78",
                "<script>alert(1)</script>退押金",
                "T005",
            ],
            ["合计", "", "", "80.00", "259.78", "", "", ""],
            ["打印时间：2026-12-01 09:00:00"],
        ],
        "gbk",
    )


async def _fees_billed(world, clock):
    admin, owner, _tenant, staff = await _people(world)
    neighbour = world.user("高静")
    await world.onboard(neighbour, "1栋 1单元 102", "owner")
    await _set_fee(admin)
    await tick(world.runtime)
    async with world.session() as session:
        await fee_claims.set_account(
            session,
            None,
            compound_id=1,
            payee="幸福家园物业",
            image=None,
            bank_account=XINGFU_ACCOUNT,
            now=clock.now(),
        )
    return admin, owner, neighbour, staff


async def _upload(browser: Browser, content: bytes, name: str = "工行明细.csv") -> Page:
    page = await browser.open("/fees/statements")
    assert page.status == 200, page.text
    form = page.form("/fees/statements")
    form.fields.pop("file", None)  # the file goes as the upload, not as a text field
    page = await browser.submit(form, files={"file": (name, content)})
    for _ in range(400):  # the job's page refreshes itself until the statement is booked
        if 'http-equiv="refresh"' not in page.html:
            return page
        await asyncio.sleep(0.05)
        page = await browser.open(page.url)
    raise AssertionError("the statement was never booked")


async def _follow(browser: Browser, page: Page) -> Page:
    """A job's page (a bill run), reloaded as it asks until the job is done."""
    for _ in range(400):
        if 'http-equiv="refresh"' not in page.html:
            return page
        await asyncio.sleep(0.05)
        page = await browser.open(page.url)
    raise AssertionError("the job never ended")


async def _paid(world, household_id: int) -> list[bool]:
    async with world.session() as session:
        bills = (
            await session.exec(select(Bill).where(col(Bill.household_id) == household_id))
        ).all()
    return [b.paid_off for b in bills]


async def test_a_clerk_uploads_a_statement_and_books_the_rows_left_over(
    world, clock, console, monkeypatch
):
    monkeypatch.setattr(fee_pages, "PART", 2)  # booked two transfers per unit of work
    _admin, owner, neighbour, staff = await _fees_billed(world, clock)
    first = await world.household_id("1栋", "1单元", "101")
    second = await world.household_id("1栋", "1单元", "102")
    upstairs = await world.household_id("1栋", "1单元", "201")
    async with Browser() as browser:
        page = await _signed_in(world, staff, browser)
        assert "银行流水" in page.text  # in the menu of someone who records payments
        page = await _upload(browser, bank_export())
        assert page.status == 200, page.text
        assert "幸福家园" in page.text and "已入账" in page.text
        cells = {
            k: page.html.split(f'id="{k}">')[1].split("<")[0]
            for k in ("booked", "unmatched", "ambiguous", "already")
        }
        assert cells == {"booked": "1", "unmatched": "2", "ambiguous": "1", "already": "0"}
        assert "<script>" not in page.html and "&lt;script&gt;" in page.html
        assert "¥75.18" in page.text and "转账" in page.text and "201物业费" in page.text
        assert await _paid(world, first) == [True]

        page = await browser.open(page.link("待认领"))
        assert page.status == 200
        assert "李四" in page.text and "¥99.42" in page.text and "T003" in page.text
        assert "张三" in page.text and "T004" in page.text
        async with world.session() as session:
            rows = (await session.exec(select(StatementRow).order_by(col(StatementRow.id)))).all()
        unmatched, ambiguous, hostile = rows
        assert [r.reference for r in rows] == ["T003", "T004", "T005"]
        assert "<img" not in page.html and "&lt;img src=x" in page.html
        pick = page.form(f"/fees/statements/rows/{ambiguous.id}/book")
        labels = [label for _v, label in pick.selects["home"]]
        assert "1栋 1单元 201" in labels and "1栋 2单元 201" in labels

        # the unmatched row: a home that does not exist, then the right one typed
        typed = page.form(f"/fees/statements/rows/{unmatched.id}/book")
        page = await browser.submit(typed, typed="9栋9单元901")
        assert page.status == 400 and "9栋9单元901" in page.text
        assert 'value="9栋9单元901"' in page.html
        page = await browser.submit(page.form(f"/rows/{unmatched.id}/book"), typed="1-1-102")
        assert page.status == 200, page.text
        assert "已入账" in page.text and "1栋 1单元 102" in page.text and "收据" in page.text
        # the double click: refused clearly, nothing more booked
        again = await browser.submit(typed, typed="1-1-102")
        assert again.status == 409 and "已处理" in again.text and "1栋 1单元 102" in again.text

        page = await browser.open("/fees/statements/review")
        choose = page.form(f"/rows/{ambiguous.id}/book")
        value = next(v for v, label in choose.selects["home"] if label == "1栋 1单元 201")
        page = await browser.submit(choose, home=value)
        assert page.status == 200 and "1栋 1单元 201" in page.text
        page = await browser.submit(page.form(f"/rows/{hostile.id}/dismiss"))
        assert page.status == 200 and "不是物业费" in page.text and "¥10.00" in page.text
        assert "没有待认领的银行来账" in page.text

        # the homes' bills are paid, on the household page too
        page = await browser.open(f"/households/{second}")
        assert page.status == 200 and "当前欠费：¥0.00" in page.text and "未付清" not in page.text
    for home in (first, second, upstairs):
        assert await _paid(world, home) == [True], home
    async with world.session() as session:
        booked = (await session.exec(select(Payment).order_by(col(Payment.id)))).all()
        rows = (await session.exec(select(StatementRow).order_by(col(StatementRow.id)))).all()
        reads = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    assert [(p.reference, p.household_id, p.amount) for p in booked] == [
        ("T001", first, Decimal("75.18")),
        ("T003", second, Decimal("99.42")),
        ("T004", upstairs, Decimal("75.18")),
    ]
    assert all(p.recorded_by is not None for p in booked[1:])
    assert [r.status for r in rows] == ["booked", "booked", "dismissed"]
    assert "statement_rows" in {r.details["what"] for r in reads}
    await world.deliver()
    assert any("¥75.18" in t for t in owner.texts())  # matched at the upload
    assert any("¥99.42" in t for t in neighbour.texts())  # booked at the review

    async with Browser() as browser:  # the same statement again books nothing twice
        await _signed_in(world, staff, browser)
        page = await _upload(browser, bank_export())
        cells = {k: page.html.split(f'id="{k}">')[1].split("<")[0] for k in ("booked", "already")}
        assert cells == {"booked": "0", "already": "3"}
    async with world.session() as session:
        assert len((await session.exec(select(Payment))).all()) == 3


async def test_files_the_bank_never_made_are_refused_with_a_reason(world, clock, console):
    *_others, staff = await _fees_billed(world, clock)
    async with Browser() as browser:
        await _signed_in(world, staff, browser)
        page = await _upload(browser, b"name,phone\n<script>x</script>,1\n", "roster.csv")
        assert "流水号" in page.text or "金额" in page.text
        assert "<script>x" not in page.html
        page = await browser.open("/fees/statements")
        form = page.form("/fees/statements")
        form.fields.pop("file", None)
        page = await browser.submit(form, files={"file": ("empty.csv", b"")})
        assert page.status == 400 and "选择" in page.text


async def test_another_compounds_clerk_and_another_site_are_refused(
    world, clock, console, tmp_path
):
    _admin, owner, _neighbour, staff = await _fees_billed(world, clock)
    await world.seed_other_compound(tmp_path)
    stranger = world.user("和平里会计")
    await world.join_as(stranger, Role.STAFF, "compound:和平里")
    async with world.session() as session:
        xingfu = (
            await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))
        ).one()
    async with Browser() as browser:
        await _signed_in(world, staff, browser)
        page = await _upload(browser, bank_export())
        job = page.url
        page = await browser.open("/fees/statements/review")
        row_form = next(f for f in page.forms if f.action.endswith("/book"))
        dismiss = next(f for f in page.forms if f.action.endswith("/dismiss"))
        browser.origin = "https://evil.example.com"
        page = await browser.submit(row_form, typed="1-1-102")
        assert page.status == 403 and "不是从办公后台" in page.text
    async with Browser() as browser:
        await _signed_in(world, stranger, browser)
        page = await browser.open("/fees/statements/review")
        assert page.status == 200 and "李四" not in page.text  # not their compound's rows
        assert (await browser.open(job)).status == 404  # nor the clerk's upload
        page = await _upload(browser, bank_export())  # 幸福家园's account, booked for 和平里?
        assert "是幸福家园的收款账户" in page.text and "未入账" in page.text
        theirs = await browser.open("/fees/statements")  # their own form, with their token
        assert [label for _v, label in theirs.form("/fees/statements").selects["compound"]] == [
            "和平里"
        ]
        forged = theirs.form("/fees/statements")
        row_form.fields["form_token"] = forged.fields["form_token"]
        dismiss.fields["form_token"] = forged.fields["form_token"]
        page = await browser.submit(row_form, typed="1-1-102")
        assert page.status == 403 and "只有本小区的物业服务人员可以登记缴费" in page.text
        page = await browser.submit(dismiss)
        assert page.status == 403
        forged.fields.pop("file", None)
        page = await browser.submit(
            forged, files={"file": ("工行.csv", bank_export())}, compound=str(xingfu.id)
        )
        assert page.status == 403
    async with Browser() as browser:  # an owner has no office role: no console at all
        await owner.send("/console")
        assert "signin" not in owner.last_text
    async with world.session() as session:
        rows = (await session.exec(select(StatementRow))).all()
        assert [r.status for r in rows] == ["pending", "pending", "pending"]
        assert len((await session.exec(select(Payment))).all()) == 1


async def test_arrears_by_building_and_the_collection_rate(world, clock, console, tmp_path):
    _admin, _owner, _neighbour, staff = await _fees_billed(world, clock)
    await world.seed_other_compound(tmp_path)
    committee = world.user("业委会委员")
    await world.join_as(committee, Role.COMMITTEE)
    async with world.session() as session:
        peace = (await session.exec(select(Compound).where(col(Compound.name) == "和平里"))).one()
    clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    async with Browser() as browser:
        page = await _signed_in(world, staff, browser)
        page = await browser.open(page.link("物业费"))
        assert page.status == 200, page.text
        assert "幸福家园欠费情况" in page.text
        assert "应收 ¥5,156.04，已收 ¥0.00（0.00%）" in page.text
        assert "应缴 60 户，已缴清 0 户" in page.text
        assert "1栋 20 ¥1,746.00" in page.text and "合计 60 ¥5,156.04" in page.text
        assert "徐丽" in page.text and "13806480894" in page.text  # staff see names
        page = await browser.open("/fees?month=2026-10")
        assert "2026年10月没有到期的账单" in page.text.replace(" ", "")
        assert (await browser.open("/fees?month=2026-13")).status == 400
        assert (await browser.open(f"/fees?compound={peace.id}")).status == 403
        assert (await browser.open("/fees?compound=abc")).status == 404
    async with Browser() as browser:  # the committee reads the figures, not the names
        await _signed_in(world, committee, browser)
        page = await browser.open("/fees")
        assert page.status == 200 and "¥5,156.04" in page.text
        assert "徐丽" not in page.text and "/households/" not in page.html
        assert (await browser.open("/fees/statements")).status == 403
    async with world.session() as session:
        reads = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    # the staff's two pages with names are recorded; the committee's without names are not
    assert [r.details["what"] for r in reads] == ["arrears", "arrears"]


async def test_the_desk_books_reverses_and_prints_a_receipt(world, clock, console, tmp_path):
    _admin, owner, _neighbour, staff = await _fees_billed(world, clock)
    first = await world.household_id("1栋", "1单元", "101")
    await world.seed_other_compound(tmp_path)  # it has a 1栋 1单元 101 too
    stranger = world.user("和平里会计")
    await world.join_as(stranger, Role.STAFF, "compound:和平里")
    async with Browser() as browser:
        page = await _signed_in(world, staff, browser)
        page = await browser.open(page.link("缴费"))
        assert page.status == 200 and page.form("/fees/payments")
        page = await browser.submit(page.form("/fees/payments"), home="9栋9单元901")
        assert page.status == 400 and "9栋9单元901" in page.text
        page = await browser.submit(page.form("/fees/payments"), home="1-1-101")
        assert "欠缴" in page.text or "¥75.18" in page.text
        form = page.form(f"/fees/payments/homes/{first}")
        page = await browser.submit(form, amount="五十", method="cash")
        assert page.status == 400 and 'value="五十"' in page.html
        page = await browser.submit(form, amount="5000", method="cash")
        assert page.status == 400 and "977.34" in page.text  # at most 12 months ahead
        page = await browser.submit(form, amount="50", method="cash")
        assert page.status == 200 and "收据" in page.text and "¥50.00" in page.text
        again = await browser.submit(form, amount="50", method="cash")  # sent twice
        assert again.status == 200 and "没有重复" in again.text
        await world.deliver()
        assert "我们已收到" in owner.last_text and "¥50.00" in owner.last_text
        async with world.session() as session:
            (payment,) = (await session.exec(select(Payment))).all()
        async with browser.http.get(
            page.url.split("/fees/")[0] + f"/fees/payments/{payment.id}/receipt"
        ) as response:
            assert response.status == 200
            assert response.content_type == "application/pdf"
            assert (await response.read()).startswith(b"%PDF")
        reverse = page.form(f"/fees/payments/{payment.id}/reverse")
        page = await browser.submit(reverse, reason="x")
        assert page.status == 400
        page = await browser.submit(reverse, reason="<b>记错了房号</b>")
        assert page.status == 200 and "冲正" in page.text
        assert "<b>记错了房号</b>" not in page.html and "&lt;b&gt;" in page.html
        page = await browser.submit(reverse, reason="再次冲正")
        assert page.status == 409
    async with world.session() as session:
        payment = (await session.exec(select(Payment))).one()
    assert payment.reversed_at is not None and payment.recorded_by is not None
    assert await _paid(world, first) == [False]
    await world.deliver()
    assert "冲正" in owner.last_text and "¥50.00" in owner.last_text
    async with Browser() as browser:  # another compound's clerk
        page = await _signed_in(world, stranger, browser)
        page = await browser.open("/fees/payments?home=1-1-101")  # their own 1-1-101
        assert page.status == 200 and "还没有缴费记录" in page.text
        assert f"/fees/payments/homes/{first}" not in page.html
        assert (await browser.open(f"/fees/payments/{payment.id}/receipt")).status == 403
        token = page.html.split('name="form_token" value="')[1].split('"')[0]
        reverse.fields["form_token"] = token
        assert (await browser.submit(reverse, reason="别人的")).status == 403


async def test_an_administrator_sees_the_fees_and_runs_the_bills(world, console):
    admin, _owner, _tenant, staff = await _people(world)
    await _set_fee(admin)
    async with Browser() as browser:
        page = await _signed_in(world, admin, browser)
        page = await browser.open(page.link("收费标准"))
        assert page.status == 200 and "幸福家园" in page.text and "¥1.20" in page.text
        page = await _follow(browser, await browser.submit(page.form("/bills")))
        assert page.status == 200 and "60" in page.text and "¥5,156.04" in page.text
        page = await browser.open("/fees/schedules")
        page = await _follow(browser, await browser.submit(page.form("/bills")))  # again
        assert page.status == 200 and "没有生成新账单" in page.text
    async with world.session() as session:
        assert len((await session.exec(select(Bill))).all()) == 60
    async with Browser() as browser:  # staff record payments but do not set fees
        await _signed_in(world, staff, browser)
        assert (await browser.open("/fees/schedules")).status == 403
