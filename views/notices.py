"""How a notice looks to residents (in each language) and to its sender (preview, report)."""

from __future__ import annotations

import dataclasses
from html import escape
from zoneinfo import ZoneInfo

from core.i18n import N_, Translator, translator
from models import Notice, NoticeCategory, TargetKind
from services.notices import FAILED, NOT_ACKNOWLEDGED, NOT_REGISTERED, UNREACHABLE, DeliveryReport
from views.callbacks import CallbackData

CATEGORY = {
    NoticeCategory.POLICY: N_("Policy notice"),
    NoticeCategory.SERVICE: N_("Service notice"),
    NoticeCategory.EMERGENCY: N_("Emergency notice"),
}
TARGET = {
    TargetKind.COMPOUND: N_("all residents"),
    TargetKind.OWNERS: N_("owners only"),
    TargetKind.BUILDINGS: N_("chosen buildings"),
    TargetKind.GRIDS: N_("chosen grids"),
    TargetKind.ROLE: N_("holders of a role"),
    TargetKind.UNPAID: N_("homes with overdue fees"),
}
REASON = {
    NOT_REGISTERED: N_("nobody registered"),
    UNREACHABLE: N_("blocked the bot"),
    FAILED: N_("could not be delivered"),
    NOT_ACKNOWLEDGED: N_("not acknowledged"),
}


@dataclasses.dataclass(frozen=True)
class AckNotice(CallbackData, kind="ack"):
    notice_id: int


def notice_text(notice: Notice, _: Translator, reminder: bool = False) -> str:
    """Exactly what a resident sees: a category line, then the sender's text."""
    header = f"【{_(CATEGORY[NoticeCategory(notice.category)])}】"
    if reminder:
        header = _("Reminder: please read this notice.") + "\n" + header
    return f"<b>{escape(header)}</b>\n{notice.text}" if notice.text else f"<b>{escape(header)}</b>"


def notice_payload(notice: Notice, language: str, reminder: bool = False) -> dict:
    """The outbox payload for one recipient language (the Renderer the services expect)."""
    _ = translator(language or "zh_Hans")
    payload: dict = {"text": notice_text(notice, _, reminder)}
    if notice.photo_file_id:
        payload["photo"] = notice.photo_file_id
    elif notice.document_file_id:
        payload["document"] = notice.document_file_id
    if notice.ask_ack:
        payload["buttons"] = [[{"text": _("I have read it"), "data": AckNotice(notice.id).pack()}]]
    return payload


def when_text(notice: Notice, _: Translator, tz: ZoneInfo) -> str:
    if notice.send_at is None:
        return _("now")
    return _.datetime(notice.send_at, tz, "short")


def summary_text(notice: Notice, people: int, households: int, _: Translator, tz: ZoneInfo) -> str:
    """The sender's check before confirming: who, how many, when."""
    lines = [
        _("<b>Check before sending</b>"),
        _("Category: {category}").format(category=_(CATEGORY[NoticeCategory(notice.category)])),
        _("To: {target}").format(target=_(TARGET[TargetKind(notice.target_kind)])),
        _("Recipients: {people} people in {households} households").format(
            people=_.number(people), households=_.number(households)
        )
        if notice.target_kind != TargetKind.ROLE
        else _("Recipients: {people} people").format(people=_.number(people)),
        _("Acknowledgement: {ask}").format(ask=_("asked") if notice.ask_ack else _("not asked")),
        _("Sending: {when}").format(when=when_text(notice, _, tz)),
        _("The message above is exactly what residents will see."),
    ]
    return "\n".join(lines)


def report_text(report: DeliveryReport, _: Translator, limit: int = 30) -> str:
    notice = report.notice
    lines = [
        _("<b>Delivery report</b> — notice #{id}").format(id=notice.id),
        _("Queued: {queued} · sent: {sent} · failed: {failed} · unreachable: {unreachable}").format(
            queued=_.number(report.queued),
            sent=_.number(report.sent),
            failed=_.number(report.failed),
            unreachable=_.number(report.unreachable),
        ),
    ]
    if notice.ask_ack:
        lines.append(_("Acknowledged: {count}").format(count=_.number(report.acknowledged)))
    if report.households:
        lines.append(
            _("Households not reached: {missed} of {total}").format(
                missed=_.number(len(report.missed)), total=_.number(report.households)
            )
        )
    current = None
    for missed in report.missed[:limit]:
        group = f"{missed.building} · {missed.grid}"
        if group != current:
            lines.append(f"<b>{escape(group)}</b>")
            current = group
        lines.append(f"  {escape(missed.household)} — {_(REASON[missed.reason])}")
    if len(report.missed) > limit:
        lines.append(
            _("… and {more} more in the attached spreadsheet.").format(
                more=len(report.missed) - limit
            )
        )
    return "\n".join(lines)


def report_rows(report: DeliveryReport, _: Translator) -> tuple[list[str], list[list[str]]]:
    headers = [_("Building"), _("Grid"), _("Household"), _("Reason")]
    rows = [[m.building, m.grid, m.household, _(REASON[m.reason])] for m in report.missed]
    return headers, rows
