"""What the sender of a notice reads: the questions of /notice, the check before sending (the
notice exactly as residents will get it, who and how many), and the delivery report with the
households not reached as a spreadsheet for door-to-door follow-up."""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Msg, Translator, html, join
from core.screen import Button, File, Screen, button, keyboard
from models import Notice, NoticeCategory, NoticeStatus, Role, TargetKind
from services.notice_drafts import DONE, NoticeStep, Question
from services.notice_reports import DeliveryReport, Missed, Reminded, RemindedRecently
from services.paid_broadcast import STARS_PER_MESSAGE, PaidCost
from services.tables import VISIT_COLUMNS, Column, Table, xlsx
from views.callbacks import CallbackData
from views.common import stale_button
from views.labels import ROLE
from views.notices import (
    CATEGORY,
    NoticeManage,
    category_text,
    households,
    manage_buttons,
    notice_message,
    people,
    when_text,
)

COMPOUNDS_SHOWN = 20
CHOICES_SHOWN = 40
MISSED_SHOWN = 30
TITLE_LENGTH = 40
TARGET: dict[str, Msg] = {
    TargetKind.COMPOUND: N_("all residents"),
    TargetKind.OWNERS: N_("owners only"),
    TargetKind.BUILDINGS: N_("chosen buildings"),
    TargetKind.GRIDS: N_("chosen grids"),
    TargetKind.ROLE: N_("holders of a role"),
    TargetKind.UNPAID: N_("homes with overdue fees"),
}
REASON: dict[str, Msg] = {
    Missed.NOT_REGISTERED: N_("nobody registered"),
    Missed.UNREACHABLE: N_("blocked the bot"),
    Missed.FAILED: N_("could not be delivered"),
    Missed.NOT_ACKNOWLEDGED: N_("not acknowledged"),
}


@dataclasses.dataclass(frozen=True)
class NoticeChoice(CallbackData, kind="nq"):
    """One answer in the compose flow: the step it answers and the value."""

    step: str
    value: str


def _label(table: dict[str, Msg], value: str | None, _: Translator) -> Markup:
    msgid = table.get(value or "")
    return _(msgid) if msgid else html("{value}", value=value or "—")


# --- /notice ----------------------------------------------------------------------------------
def question(asked: Question, _: Translator, tz: ZoneInfo) -> list[Screen]:
    """The question of the draft's step (the preview is two messages)."""
    draft = asked.draft
    step = draft.step

    def choice(label: Markup | str, value: str) -> list[Button]:
        return [button(label, NoticeChoice(step, value))]

    if step == NoticeStep.COMPOUND:
        rows = [choice(c.name, str(c.id)) for c in asked.compounds[:COMPOUNDS_SHOWN]]
        return [Screen(_("Which compound is this notice for?"), keyboard(*rows))]
    if step == NoticeStep.CATEGORY:
        rows = [choice(_(CATEGORY[c]), c.value) for c in NoticeCategory]
        return [Screen(_("What kind of notice is it? (/cancel to stop)"), keyboard(*rows))]
    if step == NoticeStep.TARGET:
        rows = [choice(_(TARGET[k]), k.value) for k in TargetKind]
        return [Screen(_("Who should receive it?"), keyboard(*rows))]
    if step == NoticeStep.PICK:
        chosen = set(draft.target_ids)
        rows = [
            choice(("✅ " if c.id in chosen else "") + c.name, str(c.id))
            for c in asked.choices[:CHOICES_SHOWN]
        ]
        rows.append(choice(_("Done"), DONE))
        text = (
            _("Tap the buildings to include, then Done.")
            if draft.target_kind == TargetKind.BUILDINGS
            else _("Tap the grids to include, then Done.")
        )
        return [Screen(text, keyboard(*rows))]
    if step == NoticeStep.ROLE:
        rows = [choice(_(ROLE[r]), r.value) for r in Role]
        return [Screen(_("Which role?"), keyboard(*rows))]
    if step == NoticeStep.CONTENT:
        return [
            Screen(
                _(
                    "Send the text of the notice. You can use bold, italics and links, or send a photo or a "
                    "file with the text as its caption."
                )
            )
        ]
    if step == NoticeStep.ACK:
        row = choice(_("Yes, ask to confirm reading"), "1") + choice(_("No"), "0")
        return [Screen(_("Should residents confirm they have read it?"), keyboard(row))]
    if step == NoticeStep.WHEN:
        row = choice(_("Send now"), "now") + choice(_("Schedule"), "later")
        return [Screen(_("When should it go out?"), keyboard(row))]
    if step == NoticeStep.TIME:
        return [Screen(_("Send the time as YYYY-MM-DD HH:MM, for example 2026-12-01 09:00."))]
    if step != NoticeStep.PREVIEW or asked.preview is None:
        return [stale_button(_)]
    preview = asked.preview
    row = choice(_("Confirm and send"), "1") + choice(_("Cancel"), "0")
    return [
        notice_message(_, tz=tz, notice=preview.notice),
        Screen(
            summary(preview.notice, preview.people, preview.households, _, tz, preview.paid),
            keyboard(row),
        ),
    ]


def summary(
    notice: Notice,
    reached: int,
    homes: int,
    _: Translator,
    tz: ZoneInfo,
    paid: PaidCost | None = None,
) -> Markup:
    """The sender's check before confirming: who, how many, when, and what a paid broadcast
    costs."""
    if notice.target_kind == TargetKind.ROLE:
        count = _("Recipients: {people}").format(people=people(reached, _))
    else:
        count = _("Recipients: {people} in {households}").format(
            people=people(reached, _), households=households(homes, _)
        )
    return join(
        [
            _("<b>Check before sending</b>"),
            _("Category: {category}").format(category=category_text(notice.category, _)),
            _("To: {target}").format(target=_label(TARGET, notice.target_kind, _)),
            count,
            _("Acknowledgement: {ask}").format(
                ask=_("asked") if notice.ask_ack else _("not asked")
            ),
            _("Sending: {when}").format(when=when_text(notice, _, tz)),
            *paid_lines(paid, _),
            _("The message above is exactly what residents will see."),
        ]
    )


def paid_lines(paid: PaidCost | None, _: Translator) -> list[Markup]:
    """The Stars a paid broadcast takes from the bot's balance, and the time it saves."""
    if paid is None:
        return []
    return [
        _.ngettext(
            "Paid broadcast: {count} message × {price} Stars = {stars} Stars from the bot's balance",
            "Paid broadcast: {count} messages × {price} Stars = {stars} Stars from the bot's balance",
            paid.messages,
        ).format(
            count=_.number(paid.messages),
            price=_.number(STARS_PER_MESSAGE),
            stars=_.number(paid.stars),
        ),
        _("Delivery takes about {fast} instead of {slow}.").format(
            fast=_.span(paid.paid_time), slow=_.span(paid.normal_time)
        ),
    ]


def confirmed(notice: Notice | None, _: Translator, tz: ZoneInfo) -> Screen:
    """After the preview: cancelled, scheduled, or on its way."""
    if notice is None or notice.id is None:
        return Screen(_("Cancelled. Nothing was sent."))
    if notice.status == NoticeStatus.SCHEDULED:
        text = _(
            "Notice #{id} is scheduled for {when}. You can change or cancel it with /notices."
        ).format(id=notice.id, when=when_text(notice, _, tz))
    else:
        text = _.ngettext(
            "Notice #{id} is on its way to {count} person. /notices shows the delivery report.",
            "Notice #{id} is on its way to {count} people. /notices shows the delivery report.",
            notice.recipients,
        ).format(id=notice.id, count=_.number(notice.recipients))
    report = button(_("Delivery report"), NoticeManage("report", notice.id))
    return Screen(text, keyboard([report]))


# --- following it up ------------------------------------------------------------------------
def report(found: DeliveryReport, _: Translator) -> list[Screen]:
    """Counts and the first households not reached, grouped by building and grid; all of them in
    a spreadsheet."""
    notice = found.notice
    lines = [
        _("<b>Delivery report</b> — notice #{id}").format(id=notice.id),
        _("Queued: {queued} · sent: {sent} · failed: {failed} · unreachable: {unreachable}").format(
            queued=_.number(found.queued),
            sent=_.number(found.sent),
            failed=_.number(found.failed),
            unreachable=_.number(found.unreachable),
        ),
    ]
    if notice.ask_ack:
        lines.append(_("Acknowledged: {count}").format(count=_.number(found.acknowledged)))
    if found.households:
        lines.append(
            _.ngettext(
                "{missed} of {total} household not reached",
                "{missed} of {total} households not reached",
                found.households,
            ).format(missed=_.number(len(found.missed)), total=_.number(found.households))
        )
    group = None
    for missed in found.missed[:MISSED_SHOWN]:
        if (missed.building, missed.grid) != group:
            group = (missed.building, missed.grid)
            lines.append(
                html("<b>{building} · {grid}</b>", building=missed.building, grid=missed.grid)
            )
        lines.append(
            html(
                "  {home} — {reason}",
                home=missed.household,
                reason=_label(REASON, missed.reason, _),
            )
        )
    more = len(found.missed) - MISSED_SHOWN
    if more > 0:
        lines.append(
            _.ngettext(
                "… and {count} more household in the attached spreadsheet.",
                "… and {count} more households in the attached spreadsheet.",
                more,
            ).format(count=_.number(more))
        )
    buttons = manage_buttons(notice, _, may_remind=found.may_remind)
    if found.missed:
        knock = button(_("Door-knocking list (PDF)"), NoticeManage("knock", notice.id or 0))
        buttons = (*buttons, (knock,))
    screens = [Screen(join(lines), buttons)]
    if found.missed:
        screens.append(
            Screen(
                _("Households not reached, for door-to-door follow-up"),
                document=File(
                    xlsx({N_("Not reached"): not_reached(found, _)}, _),
                    f"notice-{notice.id}-not-reached.xlsx",
                ),
            )
        )
    return screens


def notice_title(notice: Notice, _: Translator) -> str:
    """A notice as a list names it: its number, category and first line (without markup)."""
    plain = unescape(re.sub(r"<[^>]*>", "", notice.text or ""))
    first = next((line.strip() for line in plain.splitlines() if line.strip()), "")
    if len(first) > TITLE_LENGTH:
        first = first[: TITLE_LENGTH - 1] + "…"
    category = category_text(notice.category, _).unescape()
    return f"#{notice.id} 【{category}】{first}"


def not_reached(found: DeliveryReport, _: Translator) -> Table:
    """The households not reached, for door-knocking: the notice, the home, the roster's owner
    and phone (for those who may see them), why, and empty columns for the visit. Names are
    text, never formulas."""
    names = found.names
    columns = [Column(N_("Notice")), Column(N_("Building")), Column(N_("Grid"))]
    columns.append(Column(N_("Household")))
    if names:
        columns += [Column(N_("Owner (roster)")), Column(N_("Phone (roster)"))]
    columns += [Column(N_("Reason")), *VISIT_COLUMNS]
    title = notice_title(found.notice, _)
    rows = [
        [
            title,
            m.building,
            m.grid,
            m.household,
            *([m.owner_name, m.owner_phone] if names else []),
            REASON.get(m.reason, m.reason),
            *[None] * len(VISIT_COLUMNS),
        ]
        for m in found.missed
    ]
    return Table(columns, rows)


def nobody_to_reach(reason: Msg, _: Translator) -> Screen:
    """The confirmed notice would reach nobody: why, before the target question again."""
    return Screen(
        _("Not sent: {reason} Please choose other recipients; the text is kept.").format(
            reason=_(reason)
        )
    )


def reminded(reminded: Reminded | RemindedRecently, _: Translator, tz: ZoneInfo) -> Screen:
    """A reminder sent, or refused because the last one is too recent (with when it went out
    and when the next may go)."""
    if isinstance(reminded, RemindedRecently):
        return Screen(
            _(
                "A reminder of this notice already went out at {last}. To spare residents a "
                "flood of messages, the next one can be sent from {next}."
            ).format(last=_.datetime(reminded.last, tz), next=_.datetime(reminded.next_at, tz))
        )
    count = reminded.count
    return Screen(
        _.ngettext(
            "A reminder is on its way to {count} person.",
            "A reminder is on its way to {count} people.",
            count,
        ).format(count=_.number(count))
    )
