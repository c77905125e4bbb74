"""Corrections on the command line: `admin payments` (a home's payments and receipt numbers),
`admin reverse-payment` (冲正, with a reason) and `admin receipt` (the receipt as a PDF)."""

from __future__ import annotations

import argparse
import asyncio
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from cli import run, say, words
from core.db import unit_of_work
from core.i18n import N_
from core.runtime import Runtime
from core.settings import Settings

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from services.receipts import Receipt


def add_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = admin.add_parser("payments", help="a home's latest payments with their receipts")
    listing.add_argument("compound")
    listing.add_argument("home", help="e.g. '1栋 1单元 101'")
    listing.set_defaults(run=home_payments)
    reverse = admin.add_parser(
        "reverse-payment", help="reverse a booked payment by its receipt number, with a reason"
    )
    reverse.add_argument("compound")
    reverse.add_argument("receipt", help="the receipt number, e.g. 000042")
    reverse.add_argument("--reason", required=True)
    reverse.set_defaults(run=reverse_payment)
    receipt = admin.add_parser("receipt", help="write a payment's receipt as a PDF")
    receipt.add_argument("compound")
    receipt.add_argument("receipt", help="the receipt number, e.g. 000042")
    receipt.add_argument("--out", type=Path, help="the file (default: receipt-<number>.pdf)")
    receipt.set_defaults(run=write_receipt)


def home_payments(settings: Settings, args: argparse.Namespace) -> int:
    """A home's latest payments, newest first: receipt, date, amount, how, reversed or not."""
    from services.places import compound_by_name, find_household
    from services.reversals import recent_payments
    from views.bills import payment_line

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            home = await find_household(session, [place.id or 0], args.home)
            found = await recent_payments(session, None, home.id or 0)
        if not found.payments:
            print(say(_, N_("No payments have been booked for this home.")))
        for payment in found.payments:
            print(payment_line(payment, _).striptags())
        return 0

    return run(settings, work)


def reverse_payment(settings: Settings, args: argparse.Namespace) -> int:
    """Reverse a payment, as "Reverse" does in the bot: its bills open again, the home is told."""
    from services.reversals import reverse_payment as reverse

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            found = await _numbered(session, args)
            result = await reverse(
                session, None, found.payment.id or 0, args.reason, now=runtime.clock.now()
            )
        if result.already:
            print(
                say(
                    _,
                    N_("Receipt {receipt} has already been reversed; nothing was changed."),
                    receipt=result.receipt,
                )
            )
            return 1
        print(
            say(
                _,
                N_(
                    "Reversed receipt {receipt} ({amount}) of {home}. Still to pay: {owed}; paid "
                    "in advance: {credit}."
                ),
                receipt=result.receipt,
                amount=_.money(Decimal(result.payment.amount)),
                home=result.label,
                owed=_.money(result.outstanding),
                credit=_.money(result.credit),
            )
        )
        return 0

    return run(settings, work)


def write_receipt(settings: Settings, args: argparse.Namespace) -> int:
    """Write the receipt as a PDF (marked void if the payment was reversed)."""
    from views.receipt_sheet import receipt_pdf

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            found = await _numbered(session, args)
        path: Path = args.out or Path(f"receipt-{found.number}.pdf")
        await asyncio.to_thread(path.write_bytes, receipt_pdf(found, _, settings.tz))
        print(
            say(
                _,
                N_("Receipt {receipt} of {home} written to {path}."),
                receipt=found.number,
                home=found.label,
                path=path,
            )
        )
        if found.void:
            print(say(_, N_("It is void: the payment was reversed.")))
        return 0

    return run(settings, work)


async def _numbered(session: AsyncSession, args: argparse.Namespace) -> Receipt:
    """The receipt named on the command line: the compound and the number."""
    from services.places import compound_by_name
    from services.receipts import by_number

    return await by_number(
        session, None, await compound_by_name(session, args.compound), args.receipt
    )
