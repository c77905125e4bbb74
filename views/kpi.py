"""The monthly info report (信息月报): a short text, the chart labels and the workbook's sheets."""

from __future__ import annotations

from decimal import Decimal

from core.i18n import N_, Translator
from services.kpi import LEVEL_NAMES, LEVELS, Figures, Report, stars
from services.spreadsheets import xlsx
from views.surveys import QUESTION

KPIS = (
    ("coverage", N_("Coverage"), "covered", "compounds"),
    ("participation", N_("Participation"), "engaged", "households"),
    ("collection", N_("Fee collection"), "paid", "billed"),
    ("satisfaction", N_("Satisfaction"), "satisfied", "answers"),
)


def share(value: Decimal | None, _: Translator) -> str:
    return _.percent(value) if value is not None else _("no data")


def trend(now: Decimal | None, before: Decimal | None, _: Translator) -> str:
    if now is None or before is None:
        return ""
    delta = (now - before) * 100
    arrow = "↑" if delta > 0 else "↓" if delta < 0 else "→"
    return f"{arrow}{abs(delta):.1f}"


def summary_text(report: Report, _: Translator) -> str:
    total = report.total
    now, before = total.current, total.previous
    lines = [
        "<b>"
        + _("Monthly report {month}: {scope}").format(month=report.month, scope=report.scope_name)
        + "</b>"
    ]
    for key, label, numerator, denominator in KPIS:
        value, old = getattr(now, key), getattr(before, key)
        top, bottom = getattr(now, numerator), getattr(now, denominator)
        figures = (
            f"{_.money(top)} / {_.money(bottom)}"
            if key == "collection"
            else f"{_.number(top)} / {_.number(bottom)}"
        )
        change = trend(value, old, _)
        lines.append(
            _("{kpi}: {share} ({figures})").format(
                kpi=_(label), share=share(value, _), figures=figures
            )
            + (" " + _("vs last month {change} points").format(change=change) if change else "")
        )
    if now.mean_score is not None:
        lines.append(
            _("Mean score: {score} of 5").format(
                score=_.number(now.mean_score.quantize(Decimal("0.01")))
            )
        )
    lines.append(_("Tickets: {count}; handled within the service levels: {sla}; mean rating: {rating}").format(
        count=_.number(now.tickets), sla=share(now.sla, _),
        rating=_.number(now.mean_rating.quantize(Decimal("0.1"))) if now.mean_rating is not None else _("no data"),
    ))  # fmt: skip
    companies = [u for u in report.levels["company"] if stars(u.current) is not None]
    if companies:
        lines.append(_("Five-star ranking: {ranking}").format(ranking="; ".join(
            f"{u.name} {'★' * stars(u.current)}" for u in sorted(companies, key=lambda u: -stars(u.current)))))  # fmt: skip
    return "\n".join(lines)


def chart_labels(_: Translator) -> dict[str, str]:
    return {**{key: _(label) for key, label, _n, _d in KPIS}, "this": _("this month"), "last": _("last month"),
            "title": _("Red Property KPIs")}  # fmt: skip


def workbook(report: Report, _: Translator) -> bytes:
    """One sheet per level; each KPI with its numerator, denominator, share, last month and trend."""
    headers = [_("Name")]
    for _key, label, _n, _d in KPIS:
        headers += [_(label) + " " + _("numerator"), _(label) + " " + _("denominator"), _(label),
                    _(label) + " " + _("last month"), _(label) + " " + _("trend (points)")]  # fmt: skip
    headers += [
        _("Mean score"),
        _("Tickets"),
        _("Within service levels"),
        _("Mean ticket rating"),
        _("Stars"),
    ]
    headers += [_(QUESTION[s]) + " " + _("satisfied") for s in Figures().services]
    sheets = {}
    for level in LEVELS:
        rows = []
        for unit in report.levels[level]:
            now, before = unit.current, unit.previous
            row: list[object] = [unit.name]
            for key, _label, numerator, denominator in KPIS:
                value, old = getattr(now, key), getattr(before, key)
                row += [_cell(getattr(now, numerator)), _cell(getattr(now, denominator)), _cell(value), _cell(old),
                        trend(value, old, _)]  # fmt: skip
            row += [
                _cell(now.mean_score),
                now.tickets,
                _cell(now.sla),
                _cell(now.mean_rating),
                stars(now) or "",
            ]
            row += [_cell(Figures.ratio(v[1], v[0])) for v in now.services.values()]
            rows.append(row)
        sheets[_(LEVEL_NAMES[level])] = (headers, rows)
    return xlsx(sheets)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(round(value, 4))
    return value


def chart(report: Report, _: Translator) -> bytes:
    from services.charts import kpi_chart

    total = report.total
    values = [(_(label), _float(getattr(total.current, key)), _float(getattr(total.previous, key)))
              for key, label, _n, _d in KPIS]  # fmt: skip
    services = [
        (_(QUESTION[name]), _float(Figures.ratio(v[1], v[0])))
        for name, v in total.current.services.items()
    ]
    title = _("Monthly report {month}: {scope}").format(month=report.month, scope=report.scope_name)
    return kpi_chart(values, services, chart_labels(_), title)


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None
