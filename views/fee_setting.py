"""How a compound's fees read to administrators (/fees and `admin fee-schedule`): each schedule
with its price, period, dates and state, the questions of a new price or an end, and what saving
does to the price in force ("现行单价 ¥1.20 执行至 2026-12-31，新单价自 2027-01-01 起执行")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from markupsafe import Markup

from core.i18n import N_, Translator, join
from core.screen import Button, Screen, button, keyboard
from models import BillingPeriod, Compound, FeeSchedule
from services.fee_rules import ScheduleState, state
from services.fee_schedules import Change
from services.fee_setting import (
    DUE_DAYS,
    END,
    LATE_CHARGES,
    PERIODS,
    SUBSIDY_PERCENTS,
    FeeDraft,
    FeeQuestion,
    FeeSaved,
    FeeStep,
    end_days,
    example_bill,
    start_days,
)
from views.bills import PERIOD, bold
from views.fee_office import FeeAnswer

STATE = {
    ScheduleState.CURRENT: N_("in force"),
    ScheduleState.ANNOUNCED: N_("announced"),
    ScheduleState.ENDED: N_("ended"),
    ScheduleState.REPLACED: N_("replaced before it took effect"),
}


def price_money(price: Decimal, _: Translator) -> str:
    """A price per ㎡ as money, with its 3rd and 4th decimals when it has them: ¥1.20, ¥1.2345."""
    return _.price(price)


def unit_price(price: Decimal, _: Translator) -> str:
    """¥1.20/㎡/月: the price per ㎡ per month."""
    return _.plain("{price}/㎡/month").format(price=price_money(price, _))


def day(value: date, _: Translator) -> str:
    """Fee dates as every other date: 2027年1月1日."""
    return _.date(value)


LATE_CHARGE = {
    0: N_("No late charge"),
    3: N_("0.03 % a day, at most 30 %"),
    5: N_("0.05 % a day, at most 30 %"),
}


def late_charge_label(value: int, _: Translator) -> str:
    """A late charge the contract may provide, as /fees offers it."""
    return _(LATE_CHARGE[value])


def subsidy_label(percent: int, _: Translator) -> str:
    """A share the government pays, as /fees offers it: "No subsidy", 10 %, 20 %, …"""
    return _("No subsidy") if percent == 0 else f"{percent} %"


def schedule_text(schedule: FeeSchedule, today: date, _: Translator) -> Markup:
    """One schedule: price, period, due day, its days and its state today."""
    days = (
        _("from {start} to {end}").format(
            start=day(schedule.starts_on, _), end=day(schedule.ends_on, _)
        )
        if schedule.ends_on is not None and schedule.active
        else _("from {start}").format(start=day(schedule.starts_on, _))
    )
    line = _("{name} {price}, billed {period}, due on day {day}, {days} ({state})").format(
        name=schedule.name,
        price=unit_price(Decimal(schedule.price_per_m2), _),
        period=_(PERIOD[BillingPeriod(schedule.period)]),
        day=schedule.due_day,
        days=days,
        state=_(STATE[state(schedule, today)]),
    )
    if Decimal(schedule.subsidy_share) > 0:
        line += _("; government subsidy {share}").format(
            share=_.percent(Decimal(schedule.subsidy_share))
        )
    if schedule.late_charge_daily_rate is not None:
        line += _("; late charge {rate} a day, at most {cap} of the unpaid amount").format(
            rate=_.percent(Decimal(schedule.late_charge_daily_rate)),
            cap=_.percent(Decimal(schedule.late_charge_cap)),
        )
    return line


def schedule_line(compound: str, schedule: FeeSchedule, today: date, _: Translator) -> Markup:
    return _("{compound}: {fee}").format(compound=compound, fee=schedule_text(schedule, today, _))


def fees_in_force(
    fees: list[FeeSchedule], compounds: list[Compound], today: date, _: Translator
) -> Screen:
    """The fees of each compound, latest first."""
    if not fees:
        return Screen(_("No fee is set yet."))
    lines: list[Markup] = []
    for compound in compounds:
        mine = [s for s in fees if s.compound_id == compound.id]
        if mine:
            lines.append(bold(_("Fees of {compound}").format(compound=compound.name)))
            lines += [schedule_text(s, today, _) for s in mine]
    return Screen(join(lines))


def effect(change: Change, draft: FeeDraft, today: date, _: Translator) -> list[Markup]:
    """What a new price or an end does to the fee's schedules and to bills already issued."""
    lines = []
    first, last_day = draft.starts_on, draft.ends_on
    for schedule, last in change.ended:
        price = price_money(Decimal(schedule.price_per_m2), _)
        if first is None:
            text = _("The price {price} applies until {last}; after that this fee is not charged.")
        elif schedule.starts_on <= today:
            text = _("The current price {price} applies until {last}; the new price from {first}.")
        else:
            text = _("The announced price {price} from {start} now applies only until {last}.")
        lines.append(
            text.format(
                price=price,
                last=day(last, _),
                first=day(first or last, _),
                start=day(schedule.starts_on, _),
            )
        )
    for schedule in change.replaced:
        text = (
            _("The price {price} from {start} is withdrawn and never applies.")
            if first is None
            else _("The price {price} from {start} is replaced entirely by the new one.")
        )
        lines.append(
            text.format(
                price=price_money(Decimal(schedule.price_per_m2), _),
                start=day(schedule.starts_on, _),
            )
        )
    if first is not None and not change.ended and not change.replaced:
        lines.append(_("The new price applies from {first}.").format(first=day(first, _)))
    homes = len(change.households)
    if homes and first is not None:
        lines.append(
            _.ngettext(
                "{count} home already has bills for days from {first}: they stay, and the "
                "difference for those days is billed as a price adjustment (调价补差) or "
                "credited to the home.",
                "{count} homes already have bills for days from {first}: they stay, and the "
                "difference for those days is billed as a price adjustment (调价补差) or "
                "credited to each home.",
                homes,
            ).format(count=_.number(homes), first=day(first, _))
        )
    elif homes and last_day is not None:
        lines.append(
            _.ngettext(
                "{count} home already has bills for days after {last}: they stay, and those "
                "days are credited to the home.",
                "{count} homes already have bills for days after {last}: they stay, and those "
                "days are credited to each home.",
                homes,
            ).format(count=_.number(homes), last=day(last_day, _))
        )
    return lines


def fee_question(question: FeeQuestion, _: Translator, today: date) -> Screen:
    """The question of the draft's step, with its answers as buttons."""
    draft = question.draft
    step = FeeStep(draft.step)

    def b(label: Markup | str, value: object) -> Button:
        return button(label, FeeAnswer(step.value, str(value)))

    if step == FeeStep.COMPOUND:
        rows = [[b(c.name, c.id)] for c in question.compounds[:20]]
        return Screen(_("Set a new fee for which compound? (/cancel to stop)"), keyboard(*rows))
    if step == FeeStep.PRICE:
        text = _(
            "New fee: send the price per ㎡ per month in yuan, for example 1.20. /cancel to stop."
        )
        if not draft.can_end:
            return Screen(text)
        return Screen(text, keyboard([b(_("End the fee instead"), END)]))
    if step == FeeStep.PERIOD:
        return Screen(_("Billed every?"), keyboard([b(_(PERIOD[p]), p.value) for p in PERIODS]))
    if step == FeeStep.DUE_DAY:
        return Screen(
            _("Due on which day of the month?"), keyboard([b(str(d), d) for d in DUE_DAYS])
        )
    if step == FeeStep.SUBSIDY:
        choices = [b(subsidy_label(p, _), p) for p in SUBSIDY_PERCENTS]
        return Screen(
            _("Does the government pay part of it (政府补贴)? Which share?"), keyboard(choices)
        )
    if step == FeeStep.LATE_CHARGE:
        return Screen(
            _("Does the service contract provide a late charge? Only then may one be shown."),
            keyboard(*[[b(late_charge_label(v, _), v)] for v in LATE_CHARGES]),
        )
    if step == FeeStep.START:
        this, following = start_days(today)
        return Screen(
            _("From which day? Tap one, or type a date such as {example}.").format(
                example=day(following, _)
            ),
            keyboard(
                [
                    b(_("This month, from {day}").format(day=day(this, _)), this.isoformat()),
                    b(_("Next month, from {day}").format(day=day(following, _)), following),
                ]
            ),
        )
    if step == FeeStep.END:
        this, following = end_days(today)
        return Screen(
            _(
                "Until which day is the fee charged? Tap one, or type a date such as {example}."
            ).format(example=day(this, _)),
            keyboard(
                [
                    b(_("To the end of this month, {day}").format(day=day(this, _)), this),
                    b(
                        _("To the end of next month, {day}").format(day=day(following, _)),
                        following,
                    ),
                ]
            ),
        )
    return _confirm(question, _, today, [b(_("Save"), 1), b(_("Cancel"), 0)])


def confirm_lines(question: FeeQuestion, _: Translator, today: date) -> list[Markup]:
    """What saving the draft does, and what a 100 ㎡ home would owe: the last question of /fees
    and the preview of the console's fee form."""
    draft = question.draft
    lines = effect(question.change or Change(), draft, today, _)
    if draft.ends_on is None:
        gross, subsidy, owed = example_bill(draft)
        lines.append(
            _(
                "A 100 ㎡ home would owe {owed} a month ({gross} minus a subsidy of {subsidy})."
            ).format(owed=_.money(owed), gross=_.money(gross), subsidy=_.money(subsidy))
        )
    return lines


def _confirm(question: FeeQuestion, _: Translator, today: date, buttons: list[Button]) -> Screen:
    lines = confirm_lines(question, _, today)
    lines.append(_("Save this?"))
    return Screen(join(lines), keyboard(buttons))


def fee_saved(saved: FeeSaved, _: Translator, today: date) -> Screen:
    change = saved.change
    if change is None:
        return Screen(_("Cancelled. Nothing was changed."))
    lines = [_("Saved. Bills are made at the start of each period.")]
    if change.schedule is not None:
        lines.append(schedule_text(change.schedule, today, _))
    lines += effect(change, saved.draft, today, _)
    lines += settled(change, _)
    return Screen(join(lines))


def settled(change: Change, _: Translator) -> list[Markup]:
    """How many adjustment bills and credits a change issued for days already billed."""
    lines = []
    if change.adjustments:
        lines.append(
            _.ngettext(
                "{count} price adjustment bill was issued.",
                "{count} price adjustment bills were issued.",
                change.adjustments,
            ).format(count=_.number(change.adjustments))
        )
    if change.credits:
        lines.append(
            _.ngettext(
                "{count} credit was given to a home; it pays the next bills.",
                "{count} credits were given to homes; they pay the next bills.",
                change.credits,
            ).format(count=_.number(change.credits))
        )
    return lines
