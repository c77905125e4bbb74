"""Bank statements as the big banks export them, imported through the command line: the
statement's own account number picks the compound, homes are found in the memo however it is
written or by the payer's name, outgoing rows and the total and print-time lines are skipped,
and what matches no home or several waits for the office's review; importing again books
nothing twice."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import col, select

from models import Building, Household, Payment, StatementRow
from services.bank_statements import read_statement
from services.payment_matching import Homes
from tests.test_cli import _cli
from tests.utils.paths import SAMPLE_ROSTER

XINGFU_ACCOUNT = "6222 0210 0123 4567"
HEPING_ACCOUNT = "6217-0000-1111-2222"


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def icbc_gbk_csv() -> bytes:
    """工行: four title lines, 借方发生额/贷方发生额, 附言, 交易流水号, 合计 and 打印时间 at the end."""
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
                "1,234.50",
                "11,234.50",
                "1栋1单元101物业费",
                "ICBC001",
            ],
            ["2026/11/05", "转账支出", "武汉水务", "80.00", "", "11,154.50", "水费", "ICBC002"],
            ["2026/11/06", "网银转入", "王小明", "", "99.42", "11,253.92", "1-1-102", "ICBC003"],
            ["合计", "", "", "80.00", "1,333.92", "", "", ""],
            ["打印时间：2026-12-01 09:00:00"],
        ],
        "gbk",
    )


def abc_utf8_csv() -> bytes:
    """农行: UTF-8 with BOM, 收入金额/支出金额, dates as 20261106, 交易用途, 凭证号, 总计 and 打印日期."""
    rows = [
        ["中国农业银行 账户交易明细"],
        ["账户名称", "幸福家园物业服务中心", "账号", XINGFU_ACCOUNT],
        [
            "交易日期",
            "交易时间",
            "收入金额",
            "支出金额",
            "本次余额",
            "对方户名",
            "交易用途",
            "凭证号",
        ],
        ["20261106", "103102", "107.40", "", "5,107.40", "张三", "1幢1单元201室物业费", "ABC001"],
        ["20261106", "110000", "99.42", "", "5,206.82", "高静", "物业费", "ABC002"],  # by name
        ["20261107", "090000", "88.00", "", "5,294.82", "张三", "101物业费", "ABC003"],  # several
        ["20261107", "091500", "66.00", "", "5,360.82", "胡杰", "物业费", "ABC004"],  # two homes
        ["20261107", "093000", "50.00", "", "5,410.82", "李四", "转账", "ABC005"],  # no home
        ["20261108", "100000", "", "1,000.00", "4,410.82", "幸福置业", "退押金", "ABC006"],
        ["20261108", "100500", "12.345", "", "", "王五", "1栋1单元301", "ABC007"],
        ["总计", "", "517.82", "1,000.00"],
        ["打印日期：2026年12月01日"],
    ]
    return "\ufeff".encode() + _csv(rows, "utf-8")


def _xlsx(rows: list[list[object]], merge: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ccb_xlsx() -> bytes:
    """建行, for 和平里's account: a merged title, the account in its own cell, 交易时间 with the
    time of day, 借方发生额（支取）/贷方发生额（收入）."""
    return _xlsx(
        [
            ["中国建设银行单位账户交易明细", None, None, None, None, None, None],
            ["账号", HEPING_ACCOUNT, "户名", "和平里物业"],
            ["起始日期", "2026-11-01", "截止日期", "2026-11-30"],
            [
                "交易时间",
                "借方发生额（支取）",
                "贷方发生额（收入）",
                "余额",
                "对方户名",
                "摘要",
                "交易流水号",
            ],
            ["2026-11-05 10:31:02", None, 96.00, 96.00, "钱七", "1栋1单元101物业费", "CCB001"],
            ["2026-11-06 08:00:00", 20.00, None, 76.00, "银行", "手续费", "CCB002"],
            ["本页合计", 20.00, 96.00],
        ],
        merge="A1:G1",
    )


def boc_xlsx() -> bytes:
    """中行: 交易金额 with a 借贷标志, 付款人名称, 附言, 交易参考号, an account no compound has."""
    return _xlsx(
        [
            ["中国银行交易流水明细清单"],
            ["账号：9999 8888 7777"],
            ["交易日期", "借贷标志", "交易金额", "付款人名称", "附言", "交易参考号"],
            ["2026-11-09", "贷", "100.00", "刘军", "1#1-301", "BOC001"],
            ["2026-11-09", "贷", "100.00", "某人", "01-01-0302物业费", "BOC002"],
            ["2026-11-09", "贷", "100.00", "某人", "一栋一单元四零二", "BOC003"],
            ["2026-11-10", "借", "300.00", "供应商", "维修款", "BOC004"],
            ["打印时间", "2026-12-01 09:00"],
        ]
    )


def _other_roster(folder: Path) -> Path:
    path = folder / "heping.csv"
    path.write_text(
        "city,district,sub_district,community,compound,building,unit,room,registered_area,grid,owner_name\n"
        "武汉市,江岸区,后湖街道,幸福社区,和平里,1栋,1单元,101,80.00,第三网格,钱七\n",
        encoding="utf-8",
    )
    return path


async def _homes_paid(database_url: str) -> dict[str, list[tuple[str, Decimal]]]:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from core.db import create_engine
    from services.places import household_labels

    engine = create_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            payments = (await session.exec(select(Payment).order_by(col(Payment.id)))).all()
            labels = await household_labels(session, [p.household_id for p in payments])
            found: dict[str, list[tuple[str, Decimal]]] = {}
            for p in payments:
                found.setdefault(p.reference, []).append((labels[p.household_id], p.amount))
            rows = (await session.exec(select(StatementRow).order_by(col(StatementRow.id)))).all()
            return found | {f"review:{r.reference}": [(r.memo, r.amount)] for r in rows}
    finally:
        await engine.dispose()


async def test_four_banks_layouts_through_the_command_line(
    database_url, monkeypatch, tmp_path, capsys
):
    files = {
        "icbc.csv": icbc_gbk_csv(),
        "abc.csv": abc_utf8_csv(),
        "ccb.xlsx": ccb_xlsx(),
        "boc.xlsx": boc_xlsx(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    statement = {name: str(tmp_path / name) for name in files}

    def run() -> list[int]:
        cli = lambda *args: _cli(monkeypatch, database_url, "admin", *args)  # noqa: E731
        setup = [
            cli("import-roster", str(SAMPLE_ROSTER)),
            cli("import-roster", str(_other_roster(tmp_path))),
            cli("fee-schedule", "幸福家园", "--price", "1.20"),
            cli("fee-schedule", "和平里", "--price", "1.20"),
            cli("payment-code", "幸福家园", "--payee", "幸福家园物业", "--account", XINGFU_ACCOUNT),
            cli("payment-code", "和平里", "--payee", "和平里物业", "--account", HEPING_ACCOUNT),
            cli("payment-code", "和平里", "--account", XINGFU_ACCOUNT),  # another's account
            cli("payment-code", "和平里"),
        ]
        first = [
            cli("import-payments", statement["icbc.csv"]),
            cli("import-payments", statement["abc.csv"]),
            cli("import-payments", statement["ccb.xlsx"]),
            cli("import-payments", statement["boc.xlsx"]),  # no compound has that account
            cli("import-payments", statement["boc.xlsx"], "--compound", "幸福家园"),
        ]
        again = [cli("import-payments", statement[name]) for name in ("icbc.csv", "abc.csv")]
        return [*setup, *first, *again]

    codes = await asyncio.to_thread(run)
    out, err = capsys.readouterr()
    assert codes == [0, 0, 0, 0, 0, 0, 1, 2, 0, 3, 0, 1, 0, 0, 3], (out, err)
    assert "幸福家园: statements of account 6222021001234567 are booked for its homes." in out
    assert "That bank account number is already another compound's." in err
    assert "Give --image, --account or both." in err
    assert "幸福家园: booked 2 payments, CN¥1,333.92 in all; 0 were booked before." in out
    assert "1 outgoing row (借方 / 支出) is not a payment to the office; ignored." in out
    assert "和平里: booked 1 payment, CN¥96.00 in all" in out
    assert "幸福家园: booked 2 payments, CN¥206.82 in all" in out  # 农行
    assert "Row 6: several homes match “101物业费”; not booked." in out
    assert "Row 7: several homes match “物业费”; not booked." in out
    assert "Row 8: no home matches “转账”; not booked." in out
    assert "Row 10: “12.345” is not an amount of money. Not booked." in out
    assert "3 rows need a home: staff assign them with /statement in the bot." in out
    assert "which is no compound's payment account" in err and "--account 999988887777" in err
    assert "幸福家园: booked 3 payments, CN¥300.00 in all" in out  # 中行, --compound
    assert out.count("幸福家园: booked 0 payments, CN¥0.00 in all; 2 were booked before.") == 2

    paid = await _homes_paid(database_url)
    assert paid == {
        "ICBC001": [("1栋 1单元 101", Decimal("1234.50"))],
        "ICBC003": [("1栋 1单元 102", Decimal("99.42"))],
        "ABC001": [("1栋 1单元 201", Decimal("107.40"))],
        "ABC002": [("1栋 1单元 102", Decimal("99.42"))],
        "CCB001": [("1栋 1单元 101", Decimal("96.00"))],  # 和平里's home
        "BOC001": [("1栋 1单元 301", Decimal("100.00"))],
        "BOC002": [("1栋 1单元 302", Decimal("100.00"))],
        "BOC003": [("1栋 1单元 402", Decimal("100.00"))],
        "review:ABC003": [("101物业费", Decimal("88.00"))],
        "review:ABC004": [("物业费", Decimal("66.00"))],
        "review:ABC005": [("转账", Decimal("50.00"))],
    }


def test_the_layouts_read_as_the_banks_wrote_them():
    from datetime import date

    today = date(2026, 12, 1)
    icbc = read_statement(icbc_gbk_csv(), "icbc.csv", today=today)
    assert icbc.account == "6222021001234567" and icbc.outgoing == 1 and not icbc.invalid
    assert [(t.row, t.paid_on, t.amount, t.payer) for t in icbc.transfers] == [
        (6, date(2026, 11, 5), Decimal("1234.50"), "徐丽"),
        (8, date(2026, 11, 6), Decimal("99.42"), "王小明"),
    ]
    assert icbc.transfers[0].memo == "1栋1单元101物业费 网银转入"
    ccb = read_statement(ccb_xlsx(), "ccb.xlsx", today=today)
    assert ccb.account == "6217-0000-1111-2222" and ccb.outgoing == 1
    assert [(t.paid_on, t.amount, t.reference) for t in ccb.transfers] == [
        (date(2026, 11, 5), Decimal("96.00"), "CCB001")
    ]


@pytest.mark.parametrize(
    "memo, payer, expected",
    [
        ("1栋1单元101物业费", "", ["1栋 1单元 101"]),
        ("1-1-101", "", ["1栋 1单元 101"]),
        ("1幢1单元101室", "", ["1栋 1单元 101"]),
        ("一栋一单元101", "", ["1栋 1单元 101"]),
        ("1#1-101", "", ["1栋 1单元 101"]),
        ("01-01-0101", "", ["1栋 1单元 101"]),
        ("１栋１单元１０１", "", ["1栋 1单元 101"]),
        ("1号楼 1单元 101", "", ["1栋 1单元 101"]),
        ("11月物业费 3栋2单元302", "", ["3栋 2单元 302"]),
        ("物业费", "黄伟", ["1栋 1单元 201"]),  # the payer's name
        ("物业费 黄伟", "黄伟妻子", ["1栋 1单元 201"]),  # a name in the memo
        ("1栋101", "", ["1栋 1单元 101", "1栋 2单元 101"]),  # no unit: two homes
        ("1栋101", "梁桂兰", ["1栋 2单元 101"]),  # narrowed by the name
        ("202室物业费", "", 6),  # a room alone: every 202
        ("物业费", "孙志强", 3),  # the owner of three homes
        ("转账", "李四", []),
        ("物业费107.40 2026-11-05 13806480894", "", []),
    ],
)
async def test_homes_found_in_memos_and_by_names(world, memo, payer, expected):
    await world.seed_roster()
    async with world.session() as session:
        from services.places import household_labels

        homes = await Homes.of(session, 1)
        found = homes.match(memo, payer).homes
        labels = await household_labels(session, found)
        if isinstance(expected, int):
            assert len(found) == expected
        else:
            assert [labels[h] for h in found] == expected


async def test_hostile_memos_match_nothing(world):
    from tests.utils.hostile import HOSTILE

    await world.seed_roster()
    async with world.session() as session:
        homes = await Homes.of(session, 1)
        for text in (*HOSTILE, "一" * 500, "十十十栋", "零点五单元"):
            assert homes.match(text, text).homes == []
        count = len((await session.exec(select(Household).join(Building))).all())
        assert count == 60
