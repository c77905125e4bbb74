"""Fees on the command line: `admin fee-schedule`, `admin payment-code`, `admin import-payments`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from cli import run, say, words
from core.db import unit_of_work
from core.i18n import N_, Translator
from core.runtime import Runtime
from core.settings import Settings
from services.errors import DomainError
from services.fee_schedules import DEFAULT_FEE

if TYPE_CHECKING:
    from services.payment_import import ImportReport


def add_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fee = admin.add_parser(
        "fee-schedule", help="show a compound's property fees, set a price from a date, or end one"
    )
    fee.add_argument("compound")
    fee.add_argument("--price", help="yuan per m2 per month, e.g. 1.20 (without it: show the fees)")
    fee.add_argument(
        "--period",
        default="monthly",
        help="monthly, quarterly, half_yearly or yearly, or its name in any language (按季)",
    )
    fee.add_argument("--due-day", type=int, default=15)
    fee.add_argument("--subsidy", default="0", help="share the government pays, e.g. 0.3")
    fee.add_argument("--late-daily-rate", help="only if the service contract has one, e.g. 0.0005")
    fee.add_argument("--late-cap", default="0.3", help="at most this share of the unpaid amount")
    fee.add_argument(
        "--starts", help="first day of the new price, YYYY-MM-DD (default: this month's first)"
    )
    fee.add_argument("--end", help="the fee's last day, YYYY-MM-DD: nothing is charged after it")
    fee.add_argument("--name", default=DEFAULT_FEE)
    fee.set_defaults(run=fee_schedule)
    code = admin.add_parser(
        "payment-code",
        help="set the WeChat Pay / Alipay code residents pay to (PNG or JPEG), and the bank "
        "account number the compound's statements carry",
    )
    code.add_argument("compound")
    code.add_argument("--image", type=Path, help="the payment code, PNG or JPEG")
    code.add_argument("--payee", help="the name residents see when they scan (the account's 户名)")
    code.add_argument(
        "--account", help="the bank account number, e.g. '6222 0210 0123 4567' (picks the compound)"
    )
    code.set_defaults(run=payment_code)
    payments = admin.add_parser(
        "import-payments",
        help="book a bank statement (.csv, .xlsx or .xls, as the bank exports it)",
    )
    payments.add_argument("file", type=Path)
    payments.add_argument(
        "--compound", help="the compound (default: the one whose account the statement is of)"
    )
    payments.set_defaults(run=import_payments)


def fee_schedule(settings: Settings, args: argparse.Namespace) -> int:
    """Show a compound's fees, set a price from a date, or end the fee (the rules of /fees)."""
    from services import billing, fee_schedules
    from services.enum_inputs import period as typed_period
    from services.places import compound_by_name
    from views.fee_setting import day, schedule_line, settled, unit_price

    _ = words(settings)
    try:
        price = Decimal(args.price) if args.price is not None else None
        subsidy = Decimal(args.subsidy)
        late = Decimal(args.late_daily_rate) if args.late_daily_rate else None
        cap = Decimal(args.late_cap)
        starts = date.fromisoformat(args.starts) if args.starts else None
        last_day = date.fromisoformat(args.end) if args.end else None
        period = typed_period(args.period)
    except DomainError as error:
        print(error.text(_), file=sys.stderr)
        return 2
    except (InvalidOperation, ValueError):
        print(
            say(_, N_("Numbers like 1.20 and 0.3, and dates as YYYY-MM-DD, please.")),
            file=sys.stderr,
        )
        return 2
    if price is not None and last_day is not None:
        print(say(_, N_("Give either --price or --end, not both.")), file=sys.stderr)
        return 2

    async def work(runtime: Runtime) -> int:
        now = runtime.clock.now()
        today = now.astimezone(settings.tz).date()
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            compound_id = place.id or 0
            if last_day is not None:
                change = await billing.end_schedule(
                    session,
                    None,
                    compound_id=compound_id,
                    last_day=last_day,
                    now=now,
                    today=today,
                    name=args.name,
                )
            elif price is not None:
                change = await billing.start_schedule(
                    session,
                    None,
                    compound_id=compound_id,
                    price_per_m2=price,
                    period=period,
                    due_day=args.due_day,
                    starts_on=starts or today.replace(day=1),
                    now=now,
                    today=today,
                    name=args.name,
                    subsidy_share=subsidy,
                    late_charge_daily_rate=late,
                    late_charge_cap=cap,
                )
            else:
                shown = await fee_schedules.listing(session, [compound_id], limit=1000)
                if not shown:
                    print(say(_, N_("No fee is set yet.")))
                for schedule in shown:
                    print(schedule_line(place.name, schedule, today, _).unescape())
                return 0
            said = [
                (N_("{compound}: {price} now applies until {day}."), s, last)
                for s, last in change.ended
            ]
            said += [
                (
                    N_("{compound}: {price} from {day} is replaced and never applies."),
                    s,
                    s.starts_on,
                )
                for s in change.replaced
            ]
            if change.schedule is not None:
                new = change.schedule
                said.append((N_("{compound}: {price} from {day}."), new, new.starts_on))
            for msgid, schedule, when in said:
                quoted = unit_price(Decimal(schedule.price_per_m2), _)
                print(say(_, msgid, compound=place.name, price=quoted, day=day(when, _)))
            for line in settled(change, _):
                print(line.unescape())
        return 0

    return run(settings, work)


def payment_code(settings: Settings, args: argparse.Namespace) -> int:
    """Upload the compound's WeChat Pay / Alipay code that /bills shows residents, and/or set its
    bank account number."""
    from services.fee_claims import set_account
    from services.places import compound_by_name

    _ = words(settings)
    image: Path | None = args.image
    if image is None and args.account is None:
        print(say(_, N_("Give --image, --account or both.")), file=sys.stderr)
        return 2
    if image is not None and not image.is_file():
        print(say(_, N_("No such file: {path}"), path=image), file=sys.stderr)
        return 2
    content = image.read_bytes() if image is not None else None

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            account = await set_account(
                session,
                None,
                compound_id=place.id or 0,
                payee=args.payee,
                image=content,
                bank_account=args.account,
                now=runtime.clock.now(),
            )
        if content is not None:
            print(
                say(
                    _,
                    N_("{compound}: residents now see the payment code of {payee} in /bills."),
                    compound=place.name,
                    payee=account.payee,
                )
            )
        if args.account is not None:
            print(
                say(
                    _,
                    N_("{compound}: statements of account {account} are booked for its homes."),
                    compound=place.name,
                    account=account.bank_account,
                )
            )
        return 0

    return run(settings, work)


def import_payments(settings: Settings, args: argparse.Namespace) -> int:
    """Book a bank statement; rows that match no home or several wait for /statement in the bot."""
    from services.file_limits import FileLimits
    from services.payment_import import import_payments as book
    from services.places import compound_by_name

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        now = runtime.clock.now()
        async with unit_of_work(runtime.sessions) as session:
            named = await compound_by_name(session, args.compound) if args.compound else None
            report = await book(
                session,
                args.file,
                named,
                today=now.astimezone(settings.tz).date(),
                now=now,
                limits=FileLimits.of(settings),
            )
        for line in _report_lines(report, _):
            print(line)
        return 0 if not (report.to_review or report.invalid) else 3

    return run(settings, work)


def _report_lines(report: ImportReport, _: Translator) -> list[str]:
    booked, already = len(report.booked), len(report.already)
    # NOTE: {booked} is “booked 3 payments, ¥1,200.00 in all”, {already} “1 was booked before”.
    summary = _.plain("{compound}: {booked}; {already}.")
    lines = [
        summary.format(
            compound=report.compound.name,
            booked=_.ngettext(
                "booked {count} payment, {amount} in all",
                "booked {count} payments, {amount} in all",
                booked,
            )
            .unescape()
            .format(count=booked, amount=_.money(report.total)),
            already=_.ngettext(
                "{already} was booked before", "{already} were booked before", already
            )
            .unescape()
            .format(already=already),
        )
    ]
    if report.receipts:
        lines.append(
            say(
                _,
                N_("Receipts {first} to {last}."),
                first=report.receipts[0],
                last=report.receipts[-1],
            )
        )
    if report.outgoing:
        lines.append(
            _.ngettext(
                "{count} outgoing row (借方 / 支出) is not a payment to the office; ignored.",
                "{count} outgoing rows (借方 / 支出) are not payments to the office; ignored.",
                report.outgoing,
            )
            .unescape()
            .format(count=report.outgoing)
        )
    rows = [
        (N_("Row {row}: no home matches “{text}”; not booked."), report.unmatched),
        (N_("Row {row}: several homes match “{text}”; not booked."), report.ambiguous),
    ]
    for msgid, found in rows:
        lines += [say(_, msgid, row=number, text=text) for number, text in found]
    lines += [
        say(
            _,
            N_(
                "Row {row}: booked before as receipt {receipt}, which was reversed; not "
                "booked again (book it with /payment on the right home)."
            ),
            row=number,
            receipt=receipt,
        )
        for number, receipt in report.reversed
    ]
    lines += [
        say(_, N_("Row {row}: {problem} Not booked."), row=number, problem=error.text(_))
        for number, error in report.invalid
    ]
    if report.dismissed:
        lines.append(
            _.ngettext(
                "{count} row was set aside at the review as no fee payment.",
                "{count} rows were set aside at the review as no fee payment.",
                len(report.dismissed),
            )
            .unescape()
            .format(count=len(report.dismissed))
        )
    if report.to_review:
        lines.append(
            _.ngettext(
                "{count} row needs a home: staff assign it with /statement in the bot.",
                "{count} rows need a home: staff assign them with /statement in the bot.",
                report.to_review,
            )
            .unescape()
            .format(count=report.to_review)
        )
    return lines
