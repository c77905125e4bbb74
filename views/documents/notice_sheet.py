"""The notice for the notice board (公告): the compound, the category, the sender's formatted
text (Telegram's tags mapped to what fpdf2 draws, everything else as typed), the date, the
sender's office and room for the stamp."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from fpdf.fonts import FontFace

from core.i18n import N_, Translator, plain
from core.pdf import FONT
from core.screen import File, Screen
from services.notice_documents import NoticeSheet
from views.documents.layout import heading, sheet, stamp_area, text
from views.labels import ROLE
from views.notices import category_text, telegram_html

# Telegram's tags as fpdf2's HTML reads them; the others keep only their text (italics too: the
# CJK font has no italic face, and loading it again as one would double the time to draw).
MAPPED = {"strong": "b", "ins": "u", "b": "b", "u": "u", "a": "a"}
KEPT = ("blockquote", "code", "pre")
TAG = re.compile(r"<(/?)([a-z-]+)([^>]*)>")
STYLES = {
    "code": FontFace(family=FONT),
    "pre": FontFace(family=FONT),
    "a": FontFace(color=(0, 0, 160)),
    "blockquote": FontFace(color=(70, 70, 70)),
}
OFFICE = {
    "staff": N_("{compound} property service centre"),
    "admin": N_("{compound} property service centre"),
    "liaison": N_("{compound} Party-member liaison"),
}


def _tag(found: re.Match[str]) -> str:
    closing, name, attrs = found.groups()
    if name in KEPT:
        return f"<{closing}{name}>"
    mapped = MAPPED.get(name)
    if mapped is None:
        return ""
    return f"<{closing}{mapped}{attrs if mapped == 'a' else ''}>"


def printable_html(text_html: str) -> str:
    """The sender's Telegram HTML (balanced, every other character escaped) as fpdf2 HTML."""
    return TAG.sub(_tag, str(telegram_html(text_html))).replace("\n", "<br>")


def office_text(found: NoticeSheet, _: Translator) -> str:
    office = OFFICE.get(found.sender_role or "", OFFICE["staff"])
    role = ROLE.get(found.sender_role or "")
    who = f"{_.plain(role)} {found.sender}" if role else found.sender
    return f"{_.plain(office).format(compound=found.compound)}（{who.strip()}）"


def notice_pdf(found: NoticeSheet, _: Translator, tz: ZoneInfo) -> bytes:
    notice = found.notice
    category = plain(category_text(notice.category, _))
    document = sheet(f"{found.compound} {category} #{notice.id}", f"notice {notice.id}")
    document.add_page()
    heading(document, found.compound, category, _.plain("Notice No. {id}").format(id=notice.id))
    document.set_font(size=12)
    document.write_html(printable_html(notice.text), tag_styles=STYLES)
    document.ln(8)
    if notice.photo_file_id or notice.document_file_id:
        text(document, _.plain("A picture or file comes with this notice in the bot."), size=10)
    issued = notice.queued_at or notice.send_at or notice.created_at
    stamp_area(
        document,
        _.plain("Issued by: {office}").format(office=office_text(found, _)),
        _.plain("Date: {date}").format(date=_.date(issued, tz)),
    )
    return document.content()


def notice_screen(found: NoticeSheet, _: Translator, tz: ZoneInfo) -> Screen:
    return Screen(
        _("Notice #{id} for the notice board, ready to print (A4).").format(id=found.notice.id),
        document=File(notice_pdf(found, _, tz), f"notice-{found.notice.id}.pdf"),
    )
