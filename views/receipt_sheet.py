"""A receipt (收据) on paper: one A5 page as a PDF, drawn like the invite sheet (matplotlib, the
CJK font), in the reader's language, with the amount in Chinese capitals (大写) as Chinese
receipts carry it. A reversed payment's receipt is stamped void (作废) with the reason. The PDF's
title and keywords carry the number (and VOID), so a machine can tell which receipt it is."""

from __future__ import annotations

import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.fonts import cjk_font_properties
from core.i18n import Translator
from models import PaymentMethod
from services.receipts import Receipt
from views.bills import METHOD

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")
TRADITIONAL = str.maketrans("贰叁陆万亿", "貳參陸萬億")


def _group(value: int) -> str:
    """1–9999 in capitals, with 零 for the zeros inside: 1005 → 壹仟零伍."""
    text, gap = "", False
    for place in (3, 2, 1, 0):
        digit = value // 10**place % 10
        if digit == 0:
            gap = bool(text)
            continue
        text += ("零" if gap else "") + DIGITS[digit] + PLACES[place]
        gap = False
    return text


def _integer(value: int) -> str:
    groups = []
    while value:
        value, group = divmod(value, 10000)
        groups.append(group)
    text, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group(group) + GROUPS[index]
        gap = False
    return text


def capitals(amount: Decimal) -> str:
    """The amount in Chinese capitals (人民币大写): 75.18 → 柒拾伍元壹角捌分, 100 → 壹佰元整,
    1005.08 → 壹仟零伍元零捌分."""
    fen = int((amount * 100).to_integral_value())
    yuan, jiao, cent = fen // 100, fen // 10 % 10, fen % 10
    text = _integer(yuan) + "元" if yuan else ""
    if jiao == 0 and cent == 0:
        return (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    return text + (DIGITS[cent] + "分" if cent else "整")


def receipt_lines(found: Receipt, _: Translator, tz: ZoneInfo) -> list[tuple[str, str]]:
    """The receipt's rows (label, value), in the reader's language."""
    payment = found.payment
    amount = Decimal(payment.amount)
    rows = [
        (_.plain("Home"), found.label),
        (_.plain("Amount"), _.money(amount)),
    ]
    if _.language.startswith("zh"):
        words = capitals(amount)
        if _.language == "zh_Hant":
            words = words.translate(TRADITIONAL)
        rows.append((_.plain("Amount in words"), words))
    periods = "、".join(
        _.month(s) if (s.year, s.month) == (e.year, e.month) else f"{_.month(s)}–{_.month(e)}"
        for s, e in found.bills
    )
    rows += [
        (_.plain("Paid by"), _.plain(METHOD[PaymentMethod(payment.method)])),
        (_.plain("Paid on"), _.date(payment.paid_on)),
        (_.plain("For"), _.plain("Property service fee") + (f" {periods}" if periods else "")),
        (_.plain("Booked"), _.datetime(payment.created_at, tz)),
    ]
    return rows


def receipt_pdf(found: Receipt, _: Translator, tz: ZoneInfo) -> bytes:
    """One A5 page: the compound, the number, the rows, and VOID across it when reversed."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    font = cjk_font_properties()
    figure = Figure(figsize=(8.27, 5.83))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.axis("off")
    title = _.plain("{compound} · Receipt").format(compound=found.compound)
    ax.text(0.5, 0.9, title, ha="center", fontproperties=font, fontsize=18)
    number = _.plain("No. {number}").format(number=found.number)
    ax.text(0.92, 0.82, number, ha="right", fontproperties=font, fontsize=12, color="#b00000")
    y = 0.72
    for label, value in receipt_lines(found, _, tz):
        ax.text(0.1, y, label, fontproperties=font, fontsize=12, color="#444444")
        ax.text(0.34, y, value, fontproperties=font, fontsize=12)
        y -= 0.075
    ax.plot([0.08, 0.92], [y + 0.03, y + 0.03], color="#999999", linewidth=0.6)
    footer = _.plain("Issued by the property service centre; it keeps a record of this receipt.")
    ax.text(0.5, 0.06, footer, ha="center", fontproperties=font, fontsize=9, color="#666666")
    payment = found.payment
    if found.void and payment.reversed_at is not None:
        stamp = _.plain("VOID · reversed")
        ax.text(
            0.5, 0.45, stamp, ha="center", va="center", rotation=20, fontproperties=font,
            fontsize=44, color="#d00000", alpha=0.55,
        )  # fmt: skip
        why = _.plain("Reversed on {day}: {reason}").format(
            day=_.date(payment.reversed_at, tz), reason=payment.reversal_reason or ""
        )
        ax.text(0.1, y - 0.02, why, fontproperties=font, fontsize=11, color="#d00000")
    ax.set_xlim(0, 1)  # the rule above would otherwise rescale the page around itself
    ax.set_ylim(0, 1)
    keywords = f"receipt {found.number}" + (" VOID" if found.void else "")
    buffer = io.BytesIO()
    metadata = {"Title": f"{found.compound} {found.number}", "Keywords": keywords}
    with PdfPages(buffer, metadata=metadata) as pdf:
        pdf.savefig(figure)
    return buffer.getvalue()
