"""Reports whose scope means what it says, and the second fee figure (DOMAIN §4: homes fully
paid / homes billed) in every report: a grid's report holds the grid's homes (the sample
roster's 第一网格 has 40 of the compound's 60), a compound's workbook holds the compound and its
grids (no sheet of its city or district), through the command line and through the bot."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import col, select

from core.i18n import N_, translator
from jobs.fees import tick
from models import Bill, Grid, Household, Role
from services import billing, payments
from services.fee_schedules import DEFAULT_FEE
from services.tables import Cell, Column, Table, csv_text, xlsx
from tests.test_cli import _cli
from tests.utils.paths import SAMPLE_ROSTER

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2026-11"
FIRST, SECOND = "第一网格", "第二网格"


async def _billed_and_paid(world, clock) -> dict[str, tuple[int, int, Decimal, Decimal]]:
    """November's bills for all 60 homes; three homes of 第一网格 and one of 第二网格 pay in
    full, one more home of 第一网格 pays a part. Per grid and for the compound, counted by hand
    from the bills: (homes fully paid, homes billed, paid, billed)."""
    await world.seed_roster()
    now = clock.now()
    async with world.session() as session:
        await billing.start_schedule(
            session,
            None,
            compound_id=1,
            price_per_m2=Decimal("1.20"),
            period="monthly",
            due_day=15,
            starts_on=date(2026, 11, 1),
            now=now,
            today=now.astimezone(SHANGHAI).date(),
            name=DEFAULT_FEE,
            subsidy_share=Decimal(0),
            late_charge_daily_rate=None,
            late_charge_cap=Decimal("0.3"),
        )
        await session.commit()
    await tick(world.runtime)
    async with world.session() as session:
        bills = (
            await session.exec(
                select(Bill, Grid.name)
                .join(Household, col(Household.id) == col(Bill.household_id))
                .join(Grid, col(Grid.id) == col(Household.grid_id))
                .order_by(col(Bill.household_id))
            )
        ).all()
        by_grid = {g: [b for b, name in bills if name == g] for g in (FIRST, SECOND)}
        assert [len(by_grid[FIRST]), len(by_grid[SECOND])] == [40, 20]
        full = by_grid[FIRST][:3] + by_grid[SECOND][:1]
        part = by_grid[FIRST][3]
        for index, (bill, amount) in enumerate(
            [(b, Decimal(b.amount)) for b in full] + [(part, Decimal("1.00"))]
        ):
            await payments.record_payment(
                session,
                None,
                household_id=bill.household_id,
                amount=amount,
                method="cash",
                reference=f"desk-{index}",
                paid_on=date(2026, 11, 2),
                now=now,
            )
        await session.commit()
    paid_homes = {b.household_id for b in full}

    def figures(found: list[Bill]) -> tuple[int, int, Decimal, Decimal]:
        paid = sum((Decimal(b.amount) for b in found if b.household_id in paid_homes), Decimal(0))
        paid += Decimal("1.00") if part in found else Decimal(0)
        homes_paid = sum(1 for b in found if b.household_id in paid_homes)
        return homes_paid, len(found), paid, sum((Decimal(b.amount) for b in found), Decimal(0))

    return {
        FIRST: figures(by_grid[FIRST]),
        SECOND: figures(by_grid[SECOND]),
        "compound": figures(by_grid[FIRST] + by_grid[SECOND]),
    }


def _rows(sheet) -> dict[str, dict[str, object]]:
    headers = [c.value for c in sheet[1]]
    return {
        row[0].value: {h: c for h, c in zip(headers, row, strict=True)}
        for row in sheet.iter_rows(min_row=2)
    }


async def test_a_grid_report_shows_the_grid_and_a_compound_workbook_the_compound(
    world, clock, database_url, monkeypatch, tmp_path, capsys
):
    expected = await _billed_and_paid(world, clock)
    assert expected[FIRST][:2] == (3, 40) and expected["compound"][:2] == (4, 60)
    grid_book, compound_book = tmp_path / "grid.xlsx", tmp_path / "compound.xlsx"

    def run() -> list[int]:
        report = ("report", "--month", MONTH)
        return [
            _cli(
                monkeypatch, database_url, *report, f"--scope=grid:{FIRST}", "--out", str(grid_book)
            ),
            _cli(
                monkeypatch,
                database_url,
                *report,
                "--scope=compound:幸福家园",
                "--out",
                str(compound_book),
                language="zh_Hans",
            ),
        ]

    assert await asyncio.to_thread(run) == [0, 0]
    out = capsys.readouterr().out
    grid_paid, grid_billed = expected[FIRST][2], expected[FIRST][3]
    # The grid's own homes: 40, of which 3 fully paid; not the compound's 60.
    assert f"Monthly report November 2026: {FIRST}" in out
    assert "Participation: 0.00% (0 / 40)" in out
    assert "Homes fully paid: 7.50% (3 / 40)" in out
    rate = translator("en").percent(grid_paid / grid_billed)
    assert f"Fee collection: {rate} (CN¥{grid_paid:,.2f} / CN¥{grid_billed:,.2f})" in out
    assert "户数收费率：6.67%（4 / 60）" in out and "参与率：0.00%（0 / 60）" in out

    book = load_workbook(grid_book)
    assert book.sheetnames == ["grid"]
    (grid,) = _rows(book["grid"]).values()
    assert grid["Name"].value == FIRST and grid["Participation denominator"].value == 40
    assert grid["Homes fully paid numerator"].value == 3
    assert grid["Homes fully paid denominator"].value == 40
    share = grid["Homes fully paid"]
    assert share.value == 0.075 and share.number_format == "0.00%"
    billed = grid["Fee collection denominator"]
    assert Decimal(str(billed.value)) == grid_billed and billed.number_format == "¥#,##0.00"

    book = load_workbook(compound_book)
    assert book.sheetnames == ["小区", "网格"]  # no 武汉市 or 江岸区 sheet with its numbers
    (compound,) = _rows(book["小区"]).values()
    assert compound["名称"].value == "幸福家园" and compound["参与率分母"].value == 60
    assert [compound["户数收费率分子"].value, compound["户数收费率分母"].value] == [4, 60]
    grids = _rows(book["网格"])
    assert {
        name: (r["户数收费率分子"].value, r["户数收费率分母"].value) for name, r in grids.items()
    } == {
        FIRST: (3, 40),
        SECOND: (1, 20),
    }


async def test_the_kpi_report_in_the_bot_carries_homes_fully_paid(world, clock):
    """/kpi of a compound's supervisor: the summary line, the workbook's sheets and columns."""
    expected = await _billed_and_paid(world, clock)
    supervisor = world.user("赵总监")
    await world.join_as(supervisor, Role.SUPERVISOR)
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))
    await supervisor.send(f"/kpi {MONTH}")
    summary = supervisor.texts()[-3]
    assert "2026年11月月报：幸福家园" in summary and "户数收费率：6.67%（4 / 60）" in summary
    paid, billed = expected["compound"][2], expected["compound"][3]
    assert (
        f"收费率：{translator('zh_Hans').percent(paid / billed)}（¥{paid:,.2f} / ¥{billed:,.2f}）"
        in summary
    )
    assert [m.kind for m in supervisor.user.bot_messages[-2:]] == ["photo", "document"]
    document = supervisor.last_message.document
    book = load_workbook(BytesIO(world.emulator.file_bytes(document["file_id"])))
    assert book.sheetnames == ["小区", "网格"]
    (compound,) = _rows(book["小区"]).values()
    assert (
        compound["户数收费率"].value == 4 / 60 and compound["户数收费率"].number_format == "0.00%"
    )


def test_headers_follow_the_readers_language_and_kinds_their_number_format():
    columns = [
        Column(N_("Home")),
        Column(N_("Area (㎡)"), "area"),
        Column(N_("Amount owed"), "money"),
        Column(N_("Valid until"), "datetime"),
        Column(N_("Took part"), "bool"),
        Column(N_("Value")),
    ]
    moment = datetime(2026, 11, 2, 10, 30, 15, 123456)
    table = Table(
        columns,
        [["1栋 1单元 101", Decimal("89.5"), Decimal("1234.5"), moment, True, Cell(0.5, "percent")]],
    )
    for language, headers, yes in (
        ("zh_Hans", ["房屋", "面积（㎡）", "欠费金额", "有效期至", "已参与表决", "数值"], "是"),
        ("zh_Hant", ["房屋", "面積（㎡）", "欠費金額", "有效期至", "已參與表決", "數值"], "是"),
        ("en", ["Home", "Area (㎡)", "Amount owed", "Valid until", "Took part", "Value"], "yes"),
    ):
        _ = translator(language)
        sheet = load_workbook(BytesIO(xlsx({N_("Arrears"): table}, _))).active
        assert [c.value for c in sheet[1]] == headers
        cells = sheet[2]
        assert [c.number_format for c in cells[1:4]] == ["0.00", "¥#,##0.00", "yyyy-mm-dd hh:mm"]
        assert cells[1].value == 89.5 and cells[3].value == moment.replace(microsecond=0)
        assert cells[4].value == yes and cells[5].number_format == "0.00%"
        lines = csv_text(table, _).lstrip("\ufeff").splitlines()
        assert lines[1] == f"1栋 1单元 101,89.50,1234.50,2026-11-02 10:30,{yes},0.5"


async def test_the_fee_schedule_prints_like_the_bot(database_url, monkeypatch, capsys):
    """`admin fee-schedule`: Babel money, the period, the due day and the subsidy as a share."""
    fee = ("admin", "fee-schedule", "幸福家园")

    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        terms = ("--price", "1.5", "--starts", "2020-01-01", "--subsidy", "0.3")
        return [
            _cli(monkeypatch, database_url, *fee, *terms, language="zh_Hans"),
            _cli(monkeypatch, database_url, *fee, language="zh_Hans"),
        ]

    assert await asyncio.to_thread(run) == [0, 0]
    out = capsys.readouterr().out
    assert (
        "幸福家园：物业服务费 ¥1.50/㎡/月，按月收取，每期 15 日到期，自2020年1月1日起（现行）"
        "；政府补贴 30.00%"
    ) in out
    assert "None" not in out and "1.5000" not in out and "0.3000" not in out
