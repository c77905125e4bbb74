"""A bank statement as the big Chinese banks export it (工行、建行、农行、中行 and the like):
title lines (户名、账号、起止日期…) above the header, the money in 贷方发生额/借方发生额 or
收入金额/支出金额 columns or in one 交易金额 column with a 借贷标志/收支方向, the payer in 对方户名,
the memo in 摘要/附言/用途/备注, the bank's reference in 交易流水号/凭证号/交易参考号, and 合计 and
打印时间 lines at the end. Reading only: matching and booking are services/payment_import.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from core.i18n import N_
from services import billing
from services.errors import DomainError
from services.file_limits import FileLimits
from services.office_files import Header, Row, Sheet, find_header, read_rows

# The names banks give their columns; the field's own (English) name counts too.
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "记账日期", "入账日期", "交易时间", "日期", "transaction date"),
    "credit": (
        "贷方发生额",
        "贷方金额",
        "贷方",
        "收入金额",
        "收入",
        "存入金额",
        "来账金额",
        "credit",
    ),
    "debit": ("借方发生额", "借方金额", "借方", "支出金额", "支出", "取出金额", "debit"),
    "amount": ("交易金额", "发生额", "金额", "金额(元)", "amount"),
    "direction": ("借贷标志", "借贷方向", "收支方向", "收支标志", "借贷", "收/支", "交易方向"),
    "payer": (
        "对方户名",
        "对方账户名称",
        "对方账户户名",
        "对方名称",
        "付款人",
        "付款人名称",
        "付款方",
        "payer",
    ),
    "memo": ("附言", "用途", "备注", "交易附言", "交易用途", "汇款附言", "remark", "note"),
    "summary": ("摘要", "交易摘要", "交易类型", "summary"),
    "serial": ("交易流水号", "流水号", "银行流水号", "交易序号", "reference"),
    "bank_ref": ("交易参考号", "参考号", "业务编号"),
    "voucher": ("凭证号", "凭证号码", "凭证编号", "传票号"),
    "home": ("房号", "房屋", "户号", "home"),
}
REFERENCES = ("serial", "bank_ref", "voucher")  # the first one a row has is the bank's reference
# Lines at the end that are no transfer: totals, the print time, the printing clerk.
_FOOTER = re.compile(r"^(本页)?(合计|总计|小计|累计|共计|打印|以下空白|本页|承前页|过次页)")
_ACCOUNT = re.compile(r"^(本方)?(账号|帐号|账户|帐户|卡号|账户号码|银行账号)(:)?(.*)$")
_INCOMING = {"贷", "贷方", "收", "收入", "入", "存入", "来账", "c", "cr", "credit", "+"}
_OUTGOING = {"借", "借方", "支", "支出", "出", "取出", "往账", "d", "dr", "debit", "-"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


@dataclass(frozen=True)
class Transfer:
    """An incoming row: money for the office, to be matched to a home."""

    row: int  # its line in the file
    paid_on: date
    amount: Decimal
    reference: str
    payer: str
    memo: str  # the memo columns together (附言, 用途, 摘要…)
    home: str = ""  # a 房号 column, where the office added one


@dataclass
class Statement:
    account: str  # the statement's own account number (header line 账号：…), "" if none
    transfers: list[Transfer] = field(default_factory=list)
    outgoing: int = 0  # 借方 / 支出 rows: not payments to the office
    invalid: list[tuple[int, DomainError]] = field(default_factory=list)


def read_statement(
    data: bytes, filename: str, *, today: date, limits: FileLimits | None = None
) -> Statement:
    """The statement's incoming rows (a row without a date is taken as of today); a file over
    `limits` (rows, size, a spreadsheet's packing) is refused before it is parsed."""
    sheet = read_rows(data, filename, limits)
    header = find_header(sheet.rows, COLUMNS, ("date",))
    found = header.columns
    if "credit" not in found and "amount" not in found:
        raise DomainError(
            N_(
                "The file needs an amount column (贷方发生额, 收入金额, 交易金额 or 金额); the "
                "header was looked for in its first 30 lines."
            )
        )
    if not any(name in found for name in REFERENCES):
        raise DomainError(
            N_("The file needs the bank's reference column (交易流水号, 凭证号 or 交易参考号).")
        )
    statement = Statement(account=_account(sheet, header))
    for row, cells in header.records(sheet):
        if _footer(row):
            continue
        _read_row(statement, row.number, cells, today)
    return statement


def _account(sheet: Sheet, header: Header) -> str:
    """The account number a title line gives: "账号：6222…" in one cell or in the next."""
    for row in sheet.rows[: header.index]:
        for position, cell in enumerate(row.cells):
            found = _ACCOUNT.match(cell.replace(" ", ""))
            if found:
                number = found.group(4) or row.cell(position + 1)
                if any(ch.isdigit() for ch in number):
                    return number
    return ""


def _footer(row: Row) -> bool:
    first = next((cell for cell in row.cells if cell), "")
    return bool(_FOOTER.match(first.replace(" ", "")))


def _read_row(statement: Statement, number: int, cells: dict[str, str], today: date) -> None:
    try:
        amount, incoming = _money(cells)
    except DomainError as error:
        statement.invalid.append((number, error))
        return
    if amount is None:  # an empty line between the rows, or a balance carried forward
        return
    if not incoming:
        statement.outgoing += 1
        return
    reference = next((cells[n] for n in REFERENCES if cells.get(n)), "")
    if not reference:
        statement.invalid.append((number, DomainError(N_("No reference (流水号) in this row."))))
        return
    try:
        paid_on = parse_date(cells["date"]) if cells.get("date") else today
    except DomainError as error:
        statement.invalid.append((number, error))
        return
    memo = " ".join(cells[n] for n in ("memo", "summary") if cells.get(n))
    home = cells.get("home", "")
    statement.transfers.append(
        Transfer(number, paid_on, amount, reference, cells.get("payer", ""), memo, home)
    )


def _money(cells: dict[str, str]) -> tuple[Decimal | None, bool]:
    """The row's amount and whether it came in (贷方 / 收入), or (None, …) without one."""
    credit, debit = _amount(cells.get("credit", "")), _amount(cells.get("debit", ""))
    if credit:
        return credit, True
    if debit:
        return debit, False
    amount = _amount(cells.get("amount", ""))
    if amount is None or amount == 0:
        return None, True
    direction = cells.get("direction", "").replace(" ", "").casefold()
    if direction in _OUTGOING or (direction not in _INCOMING and amount < 0):
        return abs(amount), False
    return abs(amount), True


def _amount(text: str) -> Decimal | None:
    """ "1,234.50", "¥1,234.50", "1234.50元", "-80.00", "+80.00" as money; "" as None."""
    cleaned = re.sub(r"[,\s¥￥元]|RMB|CNY", "", text)
    if cleaned in ("", "-", "--"):
        return None
    digits = cleaned.lstrip("+-")
    try:
        if Decimal(digits) == 0:  # the empty side of a 借方/贷方 pair
            return Decimal(0)
    except InvalidOperation:
        raise DomainError(N_("“{text}” is not an amount of money."), text=text[:20]) from None
    value = billing.parse_money(digits)
    return -value if cleaned.startswith("-") else value


def parse_date(text: str) -> date:
    """2026-11-05, 2026/11/05, 20261105, 2026年11月05日, "2026-11-05 10:31:02"."""
    day = text.replace("T", " ").split(" ")[0]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(day, pattern).date()
        except ValueError:
            continue
    raise DomainError(N_("“{text}” is not a date (use YYYY-MM-DD)."), text=text[:20])
