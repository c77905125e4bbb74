"""The door-knocking list (敲门走访清单) of a notice: the households it did not reach, one page per
grid headed by its liaisons, with the roster's owner name and phone, why it was missed, and empty
columns for the date and result of the visit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.i18n import Translator, plain
from core.screen import File, Screen
from services.notice_documents import DoorList
from views.documents.layout import grid, heading, sheet, text
from views.notice_office import REASON
from views.notices import category_text, first_line

WIDTHS = (30, 40, 34, 36, 34, 36, 50)


def door_list_pdf(found: DoorList, _: Translator, tz: ZoneInfo) -> bytes:
    notice = found.notice
    title = _.plain("Door-knocking list")
    document = sheet(
        f"{found.compound} {title} #{notice.id}", f"door-list {notice.id}", landscape=True
    )
    about = f"#{notice.id} 【{plain(category_text(notice.category, _))}】{first_line(notice.text)}"
    sent = notice.queued_at or notice.created_at
    headers = [
        _.plain("Building"), _.plain("Household"), _.plain("Owner"), _.plain("Phone"),
        _.plain("Reason"), _.plain("Visit date"), _.plain("Result of the visit"),
    ]  # fmt: skip
    for group in found.groups or []:
        document.add_page()
        heading(
            document,
            found.compound,
            title,
            _.plain("Notice {notice}, sent {date}").format(notice=about, date=_.date(sent, tz)),
        )
        liaisons = "、".join(group.liaisons) or "—"
        text(
            document,
            _.plain("Grid: {grid} · Liaisons: {names}").format(grid=group.grid, names=liaisons),
            bold=True,
        )
        text(
            document,
            _.ngettext("{count} household", "{count} households", len(group.rows))
            .unescape()
            .format(count=len(group.rows)),
            size=10,
        )
        document.ln(2)
        rows = [
            [
                r.building,
                r.household,
                r.owner_name,
                r.owner_phone,
                plain(_(REASON[r.reason])),
                "",
                "",
            ]
            for r in group.rows
        ]
        grid(document, headers, rows, WIDTHS)
    if not found.groups:
        document.add_page()
        heading(document, found.compound, title, about)
        text(document, _.plain("Every household was reached."))
    return document.content()


def door_list_screen(found: DoorList, _: Translator, tz: ZoneInfo) -> Screen:
    homes = sum(len(g.rows) for g in found.groups)
    caption = _.ngettext(
        "Door-knocking list of notice #{id}: {count} household, one page per grid, with columns "
        "for the date and result of each visit.",
        "Door-knocking list of notice #{id}: {count} households, one page per grid, with columns "
        "for the date and result of each visit.",
        homes,
    ).format(id=found.notice.id, count=_.number(homes))
    return Screen(
        caption,
        document=File(door_list_pdf(found, _, tz), f"notice-{found.notice.id}-door-list.pdf"),
    )
