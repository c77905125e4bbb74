"""Telegram Payments: sendInvoice, the user's pay step (a pre_checkout_query), and
answerPreCheckoutQuery, after which a successful_payment message arrives from the user.

As in Telegram: amounts are integers in the currency's smallest unit (fen for CNY); the
payment happens only if the bot answers the pre-checkout query with ok=True (within 10 seconds in
Telegram; here, whenever it answers); a refused query shows the bot's error message to the user.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from emulator.api_messages import new_bot_message, prepare
from emulator.dispatch import Call, api_method
from emulator.errors import bad_request

if TYPE_CHECKING:
    from emulator.core import EmulatorCore
    from emulator.server import BotApiEmulator

_charges = itertools.count(1)


@api_method("sendInvoice", flood_controlled=True)
async def send_invoice(emu: BotApiEmulator, call: Call) -> Any:
    chat, markup, reply_to = prepare(emu, call)
    title, description = call.get_str("title") or "", call.get_str("description") or ""
    payload, currency = call.get_str("payload") or "", call.get_str("currency") or ""
    if not 1 <= len(title) <= 32:
        raise bad_request("INVOICE_TITLE_INVALID")  # sic: Telegram's wording varies; 1–32 chars
    if not 1 <= len(description) <= 255:
        raise bad_request("INVOICE_DESCRIPTION_INVALID")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if len(currency) != 3 or not currency.isupper():
        raise bad_request("CURRENCY_INVALID")
    prices = call.get_json("prices")
    if not isinstance(prices, list) or not prices:
        raise bad_request("prices must be a non-empty array")
    try:
        total = sum(int(price["amount"]) for price in prices)
    except (KeyError, TypeError, ValueError):
        raise bad_request("can't parse prices") from None
    if total <= 0:
        raise bad_request("INVOICE_AMOUNT_INVALID")
    emu.admit_send(chat, call)
    invoice = {
        "title": title,
        "description": description,
        "start_parameter": "",
        "currency": currency,
        "total_amount": total,
    }
    message = new_bot_message(
        emu,
        chat,
        call,
        "invoice",
        reply_to=reply_to,
        inline_keyboard=markup.inline_keyboard,
        invoice=invoice,
    )
    message.text = f"{title}: {total / 100:.2f} {currency}"
    emu.invoices[(chat.user_id, message.message_id)] = {
        "payload": payload,
        "currency": currency,
        "total": total,
    }
    emu.post_bot_message(chat, message, markup)
    return message.raw


def pre_checkout(emu: EmulatorCore, user_id: int, message_id: int) -> int:
    """The user taps Pay on an invoice: a pre_checkout_query update; returns its update_id."""
    invoice = emu.invoices.get((user_id, message_id))
    if invoice is None:
        raise LookupError(f"no invoice {message_id} in chat {user_id}")
    query_id = f"pc{user_id}{next(_charges):08d}"
    emu.pre_checkout_queries[query_id] = {
        "user_id": user_id,
        "invoice": invoice,
        "answered": None,
        "payment_update": None,
    }
    return emu.updates.push(
        "pre_checkout_query",
        {
            "id": query_id,
            "from": emu.users[user_id].as_json(),
            "currency": invoice["currency"],
            "total_amount": invoice["total"],
            "invoice_payload": invoice["payload"],
        },
    )


def successful_payment(
    emu: BotApiEmulator, user_id: int, invoice: dict[str, Any], charge_id: str
) -> int:
    """The service message Telegram sends once the money has moved; returns its update_id."""
    update_id, _message = emu.user_message(
        user_id,
        successful_payment={
            "currency": invoice["currency"],
            "total_amount": invoice["total"],
            "invoice_payload": invoice["payload"],
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": f"provider-{charge_id}",
        },
    )
    return update_id


@api_method("answerPreCheckoutQuery")
async def answer_pre_checkout_query(emu: BotApiEmulator, call: Call) -> Any:
    query_id = call.get_str("pre_checkout_query_id") or ""
    query = emu.pre_checkout_queries.get(query_id)
    if query is None or query["answered"] is not None:
        raise bad_request("QUERY_ID_INVALID")
    ok = call.get_bool("ok")
    if not ok and not call.get_str("error_message"):
        raise bad_request("error_message is required when ok is false")
    query["answered"] = {"ok": ok, "error_message": call.get_str("error_message")}
    if ok:
        query["payment_update"] = successful_payment(
            emu, query["user_id"], query["invoice"], f"tg-{query_id}"
        )
    return True
