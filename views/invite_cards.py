"""Invite cards on paper (邀请卡): A4 pages of six cards with dashed cut lines, one card per person
— the owner's and the tenant's of each home — each saying what it is for, how to join, the QR
code of the deep link, the link and the code in text, the expiry date and the office phone.

Owner cards have a filled red heading band, resident cards an outlined blue one, so they differ
even on a black-and-white printer."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import segno

from core.i18n import N_, Msg, Translator
from core.pdf import Document
from services.invites import IssuedInvite, deep_link

COLUMNS, ROWS = 2, 3
MARGIN, TOP = 10.0, 14.0  # mm; the page's header sits above the cards
CARD_W, CARD_H = 95.0, 91.0
PAD = 4.0
QR = 34.0
OWNER_RED, RESIDENT_BLUE = (198, 40, 40), (21, 101, 192)


@dataclass(frozen=True)
class CardKind:
    word: Msg  # printed large in the band
    purpose: Msg
    colour: tuple[int, int, int]
    filled: bool


OWNER_CARD = CardKind(
    # NOTE: the large word on an owner's invite card (业主).
    N_("Owner"),
    N_("Owner invite card · votes in the owners' assembly, sees the fee bills"),
    OWNER_RED,
    True,
)
RESIDENT_CARD = CardKind(
    # NOTE: the large word on a tenant's or family member's invite card (住户).
    N_("Resident"),
    N_("Resident invite card · reports repairs, receives notices"),
    RESIDENT_BLUE,
    False,
)
STEPS = (
    N_("1. Install Telegram"),
    N_("2. Scan the QR code or open the link"),
    N_("3. Tap “Start” and agree"),
)


def card_kind(kind: str) -> CardKind:
    return OWNER_CARD if kind == "owner" else RESIDENT_CARD


def _fit(document: Document, text: str, width: float) -> str:
    """The text cut with "…" to one line of `width` mm in the current font (names are data of
    any length)."""
    if document.get_string_width(text) <= width:
        return text
    while text and document.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def invite_cards(
    issued: list[IssuedInvite],
    bot_username: str,
    compound: str,
    office_phone: str | None,
    tz: ZoneInfo,
    _: Translator,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The cards as a PDF, six to an A4 page, in the order of `issued`; `progress` is told the
    cards drawn after each page (a compound's thousands take minutes)."""
    document = Document(_.plain("Invite cards: {compound}").format(compound=compound))
    per_page = COLUMNS * ROWS
    for start in range(0, max(len(issued), 1), per_page):
        document.add_page()
        _page_header(document, compound, _)
        _cut_lines(document)
        for index, invite in enumerate(issued[start : start + per_page]):
            x = MARGIN + (index % COLUMNS) * CARD_W
            y = TOP + (index // COLUMNS) * CARD_H
            card = Card(document, x, y, _)
            card.draw(invite, deep_link(bot_username, invite.code), compound, office_phone, tz)
        if progress is not None:
            progress(min(start + per_page, len(issued)))
    return document.content()


def _page_header(document: Document, compound: str, _: Translator) -> None:
    document.set_font(size=9)
    document.set_text_color(90, 90, 90)
    document.set_xy(MARGIN, 5)
    line = _.plain("{compound} · invite cards · cut along the dashed lines").format(
        compound=compound
    )
    document.cell(COLUMNS * CARD_W, 6, _fit(document, line, COLUMNS * CARD_W), align="C")
    document.set_text_color(0, 0, 0)


def _cut_lines(document: Document) -> None:
    document.set_draw_color(120, 120, 120)
    document.set_line_width(0.2)
    document.set_dash_pattern(dash=2, gap=1.5)
    right, bottom = MARGIN + COLUMNS * CARD_W, TOP + ROWS * CARD_H
    for column in range(COLUMNS + 1):
        x = MARGIN + column * CARD_W
        document.line(x, TOP, x, bottom)
    for row in range(ROWS + 1):
        y = TOP + row * CARD_H
        document.line(MARGIN, y, right, y)
    document.set_dash_pattern()


class Card:
    """One card at (x, y) on the page."""

    def __init__(self, document: Document, x: float, y: float, _: Translator) -> None:
        self.document, self.x, self.y, self._ = document, x, y, _

    def text(self, dx: float, dy: float, width: float, text: str, size: float) -> None:
        self.document.set_font(size=size)
        self.document.set_xy(self.x + dx, self.y + dy)
        self.document.cell(width, size * 0.45, _fit(self.document, text, width))

    def draw(
        self,
        invite: IssuedInvite,
        link: str,
        compound: str,
        office_phone: str | None,
        tz: ZoneInfo,
    ) -> None:
        _ = self._
        kind = card_kind(invite.kind)
        inner = CARD_W - 2 * PAD
        self.band(kind)
        self.text(PAD, 21, inner, _.plain(kind.purpose), 8.5)
        self.text(PAD, 27, inner, compound, 11)
        self.text(PAD, 33, inner, invite.label, 13)
        self.qr(link, PAD, 40)
        right = PAD + QR + 3
        width = CARD_W - right - PAD
        self.text(right, 41, width, _.plain("How to join:"), 9)
        for number, step in enumerate(STEPS):
            self.text(right, 46.5 + number * 5, width, _.plain(step), 8.5)
        expires = _.date(invite.expires_at, tz)
        self.text(right, 64, width, _.plain("Valid until {date}").format(date=expires), 8.5)
        phone = office_phone or "____________"
        self.text(right, 69.5, width, _.plain("Office phone: {phone}").format(phone=phone), 8.5)
        self.text(PAD, 77, inner, link, 7.5)
        self.text(PAD, 82, inner, _.plain("Invite code: {code}").format(code=invite.code), 8.5)

    def band(self, kind: CardKind) -> None:
        """The heading band: the large word, filled for owners, outlined for residents."""
        document = self.document
        document.set_line_width(0.8)
        document.set_draw_color(*kind.colour)
        document.set_fill_color(*kind.colour)
        x, y, w, h = self.x + PAD, self.y + PAD, CARD_W - 2 * PAD, 15.0
        document.rect(x, y, w, h, style="DF" if kind.filled else "D")
        document.set_text_color(*((255, 255, 255) if kind.filled else kind.colour))
        document.set_font(size=24)
        document.set_xy(x + 3, y + 1.5)
        document.cell(w - 6, 12, _fit(document, self._.plain(kind.word), w - 6))
        document.set_text_color(0, 0, 0)
        document.set_line_width(0.2)

    def qr(self, link: str, dx: float, dy: float) -> None:
        buffer = io.BytesIO()
        segno.make(link, error="m").save(buffer, kind="png", scale=8, border=1)
        buffer.seek(0)
        self.document.image(buffer, self.x + dx, self.y + dy, QR, QR)
