"""The monthly info report (信息月报) as people read it: the summary, the chart, the workbook
(one sheet per level), the place picker of /kpi, and the monthly delivery.

Place and company names are data: escaped in the summary, text cells in the workbook. Shares are
percent cells, money is money, the trend is a number of percentage points.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Msg, Translator, from_iso_month, html, join
from core.screen import EMPTY, Button, File, Screen, button, keyboard
from services.kpi import Figures, Report, stars
from services.kpi_viewers import CHART, SUMMARY, WORKBOOK, Shown, Subscription
from services.notify import renders
from services.places import Scope
from services.tables import Column, Kind, Phrase, Table, xlsx
from views.callbacks import CallbackData
from views.surveys import QUESTION, question_label

# (figure, name, numerator, denominator): the four KPIs with the second figure of fee
# collection (DOMAIN §4: homes fully paid / homes billed) beside the first.
KPIS: tuple[tuple[str, Msg, str, str], ...] = (
    ("coverage", N_("Coverage"), "covered", "compounds"),
    ("participation", N_("Participation"), "engaged", "households"),
    ("collection", N_("Fee collection"), "paid", "billed"),
    ("homes_collection", N_("Homes fully paid"), "homes_paid", "homes_billed"),
    ("satisfaction", N_("Satisfaction"), "satisfied", "answers"),
)
MONEY = "collection"  # the one KPI whose numerator and denominator are money
# The report as a document to file (views/kpi_documents): the button labels.
PAPERS: dict[str, Msg] = {
    "pdf": N_("Monthly info report (PDF)"),
    "docx": N_("Monthly info report (Word)"),
}
LEVEL_NAMES: dict[str, Msg] = {
    "city": N_("city"),
    "district": N_("district"),
    "sub_district": N_("sub-district"),
    "community": N_("community"),
    "company": N_("property company"),
    "grid": N_("grid"),
    "compound": N_("compound"),
}


@dataclasses.dataclass(frozen=True)
class KpiScope(CallbackData, kind="kp"):
    action: str  # show | subscribe | pdf | docx
    scope_kind: str
    scope_id: int
    month: str


def share(value: Decimal | None, _: Translator) -> str:
    return _.percent(value) if value is not None else _.plain("no data")


def points(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """The change from last month in percentage points (None without data for both)."""
    if now is None or before is None:
        return None
    return ((now - before) * 100).quantize(Decimal("0.1"))


def trend(now: Decimal | None, before: Decimal | None, _: Translator) -> str:
    delta = points(now, before)
    if delta is None:
        return ""
    arrow = "↑" if delta > 0 else "↓" if delta < 0 else "→"
    return arrow + _.number(abs(delta))


def title(report: Report, _: Translator) -> Markup:
    month = _.month(from_iso_month(report.month))
    return _("Monthly report {month}: {scope}").format(month=month, scope=report.scope_name)


def summary_lines(report: Report, _: Translator) -> list[Markup]:
    """The report in a few lines, the title first (the command line prints these)."""
    total = report.total
    now, before = total.current, total.previous
    lines = [title(report, _)]
    for key, label, numerator, denominator in KPIS:
        value, old = getattr(now, key), getattr(before, key)
        top, bottom = getattr(now, numerator), getattr(now, denominator)
        number = _.money if key == MONEY else _.number
        line = _("{kpi}: {share} ({figures})").format(
            kpi=_(label), share=share(value, _), figures=f"{number(top)} / {number(bottom)}"
        )
        change = trend(value, old, _)
        if change:
            # A change of exactly one point reads singular; 0.5 or 1.5 points read plural; no
            # change reads as such ("same as last month"), not as "→0 points".
            delta = abs(points(value, old) or 0)
            if delta == 0:
                versus = _("same as last month")
            else:
                versus = _.ngettext(
                    "vs last month {change} point",
                    "vs last month {change} points",
                    1 if delta == 1 else 2,
                ).format(change=change)
            line = _.sentences(line, versus)
        lines.append(line)
    if now.mean_score is not None:
        lines.append(
            _("Mean score: {score} of 5").format(
                score=_.number(now.mean_score.quantize(Decimal("0.01")), places=2)
            )
        )
    rating = (
        _.number(now.mean_rating.quantize(Decimal("0.1")), places=1)
        if now.mean_rating is not None
        else _.plain("no data")
    )
    lines.append(
        _.ngettext(
            "{count} ticket; handled within the service levels: {sla}; mean rating: {rating}",
            "{count} tickets; handled within the service levels: {sla}; mean rating: {rating}",
            now.tickets,
        ).format(count=_.number(now.tickets), sla=share(now.sla, _), rating=rating)
    )
    ranked = [(u, stars(u.current)) for u in report.levels.get("company", [])]
    ranking = sorted(((u, n) for u, n in ranked if n is not None), key=lambda item: -item[1])
    if ranking:
        lines.append(
            _("Five-star ranking: {ranking}").format(
                ranking=join(
                    [html("{name} {stars}", name=u.name, stars="★" * n) for u, n in ranking], "; "
                )
            )
        )
    return lines


def summary(report: Report, _: Translator) -> Markup:
    lines = summary_lines(report, _)
    return join([html("<b>{title}</b>", title=lines[0]), *lines[1:]])


def chart_labels(_: Translator) -> dict[str, str]:
    return {
        **{key: _.plain(label) for key, label, _n, _d in KPIS},
        "this": _.plain("this month"),
        "last": _.plain("last month"),
        "title": _.plain("Red Property KPIs"),
        "satisfaction": _.plain("Satisfaction"),
    }


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def chart(report: Report, _: Translator) -> bytes:
    """The four KPIs this month and last, and satisfaction per service (a PNG)."""
    from services.charts import kpi_chart

    total = report.total
    values = [
        (_.plain(label), _float(getattr(total.current, key)), _float(getattr(total.previous, key)))
        for key, label, _n, _d in KPIS
    ]
    services = [
        (
            question_label(name, _).unescape(),
            _float(total.current.service_satisfaction(name)),
        )
        for name in total.current.services
    ]
    return kpi_chart(
        values, services, chart_labels(_), title(report, _).unescape(), percent=_.percent
    )


TREND_KPIS = ("coverage", "participation", "collection", "satisfaction")  # the four of DOMAIN §4


def trend_title(place: str, first: date, last: date, _: Translator) -> Markup:
    """`江岸区2026年6月至2026年11月的指标`: the months as their first days."""
    return _("KPIs of {place}, {first} to {last}").format(
        place=place, first=_.month(first), last=_.month(last)
    )


def trend_chart(place: str, points: list[tuple[date, Figures]], _: Translator) -> bytes:
    """The four KPIs month by month (a PNG; each month as its first day): the trend of the
    console's KPI page."""
    from services.charts import kpi_trend_chart

    months = [month for month, _figures in points]
    series = [
        (_.plain(label), [_float(getattr(figures, key)) for _month, figures in points])
        for key, label, _n, _d in KPIS
        if key in TREND_KPIS
    ]
    title = trend_title(place, months[0], months[-1], _) if months else Markup(place)
    labels = [_.month(month) for month in months]
    return kpi_trend_chart(labels, series, title.unescape(), percent=_.percent)


def _columns() -> list[Column]:
    columns = [Column(N_("Name"))]
    for key, label, _n, _d in KPIS:
        figure: Kind = "money" if key == MONEY else "int"
        columns += [
            Column(Phrase(N_("{kpi} numerator"), {"kpi": label}), figure),
            Column(Phrase(N_("{kpi} denominator"), {"kpi": label}), figure),
            Column(label, "percent"),
            Column(Phrase(N_("{kpi} last month"), {"kpi": label}), "percent"),
            Column(Phrase(N_("{kpi} trend (points)"), {"kpi": label}), "number"),
        ]
    columns += [
        Column(N_("Mean score"), "number"),
        Column(N_("Tickets"), "int"),
        Column(N_("Within service levels"), "percent"),
        Column(N_("Mean ticket rating"), "number"),
        Column(N_("Stars"), "int"),
    ]
    columns += [
        Column(Phrase(N_("{service} satisfied"), {"service": QUESTION.get(s, s)}), "percent")
        for s in Figures().services
    ]
    return columns


def _row(name: str, now: Figures, before: Figures) -> list[object]:
    row: list[object] = [name]
    for key, _label, numerator, denominator in KPIS:
        value, old = getattr(now, key), getattr(before, key)
        row += [getattr(now, numerator), getattr(now, denominator), value, old, points(value, old)]
    row += [now.mean_score, now.tickets, now.sla, now.mean_rating, stars(now)]
    row += [now.service_satisfaction(s) for s in Figures().services]
    return row


def workbook(report: Report, _: Translator) -> bytes:
    """One sheet per level of the scope (its own first, then those inside it); each KPI with its
    numerator, denominator, share, last month and trend, then the mean score, tickets, SLA,
    rating, stars and satisfaction per service."""
    columns = _columns()
    sheets: dict[str, Table] = {
        LEVEL_NAMES[level]: Table(
            columns,
            [_row(u.name, u.current, u.previous) for u in report.levels[level]],
        )
        for level in report.levels  # the scope's own level first, then those inside it
        if level in LEVEL_NAMES
    }
    return xlsx(sheets, _)


# --- /kpi in the bot ----------------------------------------------------------------------------
def choose_place(places: list[Scope], month: str, _: Translator) -> Screen:
    rows = [[button(p.name, KpiScope("show", p.kind, p.id, month))] for p in places]
    return Screen(_("Which area?"), keyboard(*rows))


def paper_buttons(report: Report, place: Scope, _: Translator) -> list[Button]:
    """The buttons that send the report as a PDF and as a Word file."""
    return [
        button(_(label), KpiScope(kind, place.kind, place.id, report.month))
        for kind, label in PAPERS.items()
    ]


def _filename(month: str, place: Scope, suffix: str) -> str:
    return f"kpi-{month}-{place.kind}-{place.id}.{suffix}"


def report_screens(shown: Shown, _: Translator) -> list[Screen]:
    """The summary with the subscription button, the chart and the workbook (CPU work: the
    handler runs this off the event loop)."""
    report, place = shown.report, shown.scope
    label = _("Stop the monthly report") if shown.subscribed else _("Send me this every month")
    subscribe = KpiScope("subscribe", place.kind, place.id, report.month)
    return [
        Screen(
            summary(report, _),
            keyboard([button(label, subscribe)], paper_buttons(report, place, _)),
        ),
        Screen(EMPTY, photo=File(chart(report, _), f"kpi-{report.month}.png")),
        Screen(EMPTY, document=File(workbook(report, _), _filename(report.month, place, "xlsx"))),
    ]


def subscription(found: Subscription, _: Translator) -> Screen:
    if found.subscribed:
        text = _("You will receive the report of {scope} on the 1st of each month at 08:00.")
    else:
        text = _("You will no longer receive the monthly report of {scope}.")
    return Screen(text.format(scope=found.scope.name))


# --- the monthly delivery -------------------------------------------------------------------------
@renders(SUMMARY)
def delivered_summary(_: Translator, *, tz: ZoneInfo, report: Report, place: Scope) -> Screen:
    return Screen(summary(report, _), keyboard(paper_buttons(report, place, _)))


@renders(CHART, threaded=True)
def delivered_chart(_: Translator, *, tz: ZoneInfo, report: Report, place: Scope) -> Screen:
    return Screen(EMPTY, photo=File(chart(report, _), _filename(report.month, place, "png")))


@renders(WORKBOOK, threaded=True)
def delivered_workbook(_: Translator, *, tz: ZoneInfo, report: Report, place: Scope) -> Screen:
    return Screen(EMPTY, document=File(workbook(report, _), _filename(report.month, place, "xlsx")))
