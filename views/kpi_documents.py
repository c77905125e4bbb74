"""The monthly info report (信息月报) in an official layout, as an A4 PDF to file and a DOCX for
offices that edit before filing: the title, the reporting unit and period, the four KPIs with
numerators and denominators, the chart, tickets by state and the service levels, the five-star
ranking, the level below the place, and a signature and stamp area.

Both files are drawn from one list of sections, so they say the same thing."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.i18n import Translator
from core.pdf import Document
from core.screen import EMPTY, File, Screen
from services.kpi import Figures, Unit, month_bounds, stars
from services.kpi_documents import MonthlyPaper
from views.kpi import KPIS, LEVEL_NAMES, chart, share, trend
from views.labels import scope as scope_label
from views.tickets import status_text

UTC = ZoneInfo("UTC")
CELL = 60  # characters of a name in a table cell (a name is data of any length)
# The level shown under each place, one step down (a compound and below: none).
BELOW = {
    "city": "district",
    "district": "sub_district",
    "sub_district": "community",
    "community": "compound",
}


@dataclass
class Section:
    heading: str
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    picture: bytes | None = None


@dataclass
class Paper:
    title: str
    facts: list[str]
    sections: list[Section]
    signature: list[str]


def _cell(text: str) -> str:
    return text if len(text) <= CELL else text[: CELL - 1] + "…"


def _ratio(top: str, bottom: str) -> str:
    return f"{top} / {bottom}"


def _paper(found: MonthlyPaper, _: Translator) -> Paper:
    report, place = found.shown.report, found.shown.scope
    _start, _end, first, last = month_bounds(report.month, UTC)  # only the days are used
    month = _.month(first)
    title = _.plain("{scope} Red Property monthly information report ({month})").format(
        scope=place.name, month=month
    )
    unit = _.plain("{name} ({level})").format(
        name=place.name, level=scope_label(place.kind, _).unescape()
    )
    facts = [
        _.plain("Reporting unit: {unit}").format(unit=unit),
        _.plain("Period: {first} to {last}").format(first=_.date(first), last=_.date(last)),
        _.plain("Prepared on {date} from the records of the Red Property bot.").format(
            date=_.date(found.made_on)
        ),
    ]
    sections = [
        _indicators(report.total, _),
        Section(_.plain("2. This month and last month"), picture=chart(report, _)),
        _tickets(report.total.current, found.states, _),
        _ranking(report.levels.get("company", []), _),
    ]
    below = BELOW.get(place.kind)
    if below and report.levels.get(below):
        sections.append(_units(below, report.levels[below], _))
    signature = [
        _.plain("Reporting unit (stamp): ____________________"),
        _.plain("Person in charge (signature): ____________________"),
        _.plain("Date: ______ (year) ____ (month) ____ (day)"),
    ]
    return Paper(title, facts, sections, signature)


def _indicators(total: Unit, _: Translator) -> Section:
    """Each KPI with its share, numerator / denominator, last month's share and the change."""
    now, before = total.current, total.previous
    section = Section(
        _.plain("1. The four indicators"),
        [
            _.plain("Indicator"),
            _.plain("This month"),
            _.plain("numerator / denominator"),
            _.plain("last month"),
            _.plain("trend (points)"),
        ],
    )
    for key, label, numerator, denominator in KPIS:
        value, old = getattr(now, key), getattr(before, key)
        number = _.money if isinstance(getattr(now, numerator), Decimal) else _.number
        figures = _ratio(number(getattr(now, numerator)), number(getattr(now, denominator)))
        section.rows.append(
            [_.plain(label), share(value, _), figures, share(old, _), trend(value, old, _) or "—"]
        )
    if now.mean_score is not None:
        score = _.number(now.mean_score.quantize(Decimal("0.01")), places=2)
        section.notes.append(_.plain("Mean score: {score} of 5").format(score=score))
    return section


def _tickets(now: Figures, states: dict[str, int], _: Translator) -> Section:
    section = Section(
        _.plain("3. Tickets and service levels"),
        [_.plain("State"), _.plain("Tickets")],
        [[status_text(state, _).unescape(), _.number(count)] for state, count in states.items()],
    )
    section.notes.append(
        _.plain("Reported this month: {count}").format(count=_.number(now.tickets))
    )
    section.notes.append(
        _.plain("Handled within the service levels: {share} ({figures})").format(
            share=share(now.sla, _), figures=_ratio(_.number(now.on_time), _.number(now.tickets))
        )
    )
    rating = (
        _.number(now.mean_rating.quantize(Decimal("0.1")), places=1)
        if now.mean_rating is not None
        else _.plain("no data")
    )
    section.notes.append(_.plain("Mean ticket rating: {rating}").format(rating=rating))
    return section


def _ranking(companies: list[Unit], _: Translator) -> Section:
    """The five-star ranking of property companies (services.kpi.stars), best first."""
    section = Section(
        _.plain("4. Five-star ranking of property companies"),
        [
            _.plain("Rank"),
            _.plain("Property company"),
            _.plain("Stars"),
            _.plain("Satisfaction"),
            _.plain("Fee collection"),
            _.plain("Within service levels"),
        ],
    )
    rated = [(u, stars(u.current)) for u in companies]
    ranked = sorted(((u, n) for u, n in rated if n is not None), key=lambda item: -item[1])
    for place, (company, count) in enumerate(ranked, start=1):
        now = company.current
        section.rows.append(
            [
                _.number(place),
                _cell(company.name),
                "★" * count,
                share(now.satisfaction, _),
                share(now.collection, _),
                share(now.sla, _),
            ]
        )
    if not ranked:
        section.notes.append(_.plain("No property company has survey answers this month."))
    return section


def _units(level: str, units: list[Unit], _: Translator) -> Section:
    """The four KPIs of each place one level down (the sub-districts of a district…)."""
    section = Section(
        _.plain("5. By {level}").format(level=_.plain(LEVEL_NAMES[level])),
        [_.plain("Name")] + [_.plain(label) for _k, label, _n, _d in KPIS],
    )
    for unit in units:
        section.rows.append(
            [_cell(unit.name)] + [share(getattr(unit.current, k), _) for k, *_rest in KPIS]
        )
    return section


def _filename(found: MonthlyPaper, suffix: str) -> str:
    place = found.shown.scope
    return f"monthly-report-{found.shown.report.month}-{place.kind}-{place.id}.{suffix}"


# --- PDF ------------------------------------------------------------------------------------------
def monthly_pdf(found: MonthlyPaper, _: Translator) -> File:
    """The report as an A4 PDF (the CJK font embedded)."""
    paper = _paper(found, _)
    document = Document(paper.title)
    document.add_page()
    document.set_font(size=16)
    document.multi_cell(0, 9, paper.title, align="C", new_x="LMARGIN", new_y="NEXT")
    document.ln(2)
    document.set_font(size=10)
    for fact in paper.facts:
        document.multi_cell(0, 6, fact, new_x="LMARGIN", new_y="NEXT")
    for section in paper.sections:
        _pdf_section(document, section)
    document.ln(8)
    document.set_font(size=11)
    for line in paper.signature:
        document.multi_cell(0, 9, line, align="R", new_x="LMARGIN", new_y="NEXT")
    return File(document.content(), _filename(found, "pdf"))


def _pdf_section(document: Document, section: Section) -> None:
    document.ln(4)
    document.set_font(size=12)
    document.multi_cell(0, 8, section.heading, new_x="LMARGIN", new_y="NEXT")
    document.set_font(size=9.5)
    if section.header:
        with document.table(line_height=6, text_align="CENTER") as table:
            for cells in [section.header, *section.rows]:
                row = table.row()
                for cell in cells:
                    row.cell(cell)
    for note in section.notes:
        document.multi_cell(0, 6, note, new_x="LMARGIN", new_y="NEXT")
    if section.picture is not None:
        document.image(io.BytesIO(section.picture), w=document.epw)


# --- DOCX -----------------------------------------------------------------------------------------
FONT = "SimSun"  # 宋体: what offices file in; Word substitutes where it is missing


def monthly_docx(found: MonthlyPaper, _: Translator) -> File:
    """The report as a Word document (python-docx) with the same sections."""
    from docx import Document as WordDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    paper = _paper(found, _)
    word = WordDocument()
    normal = word.styles["Normal"]
    normal.font.name = FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    word.core_properties.title = paper.title[:255]  # the property's limit
    heading = word.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(paper.title)
    run.bold, run.font.size = True, Pt(16)
    for fact in paper.facts:
        word.add_paragraph(fact)
    for section in paper.sections:
        word.add_paragraph().add_run(section.heading).bold = True
        if section.header:
            table = word.add_table(rows=0, cols=len(section.header))
            table.style = "Table Grid"
            for cells in [section.header, *section.rows]:
                for target, text in zip(table.add_row().cells, cells, strict=True):
                    target.text = text
        for note in section.notes:
            word.add_paragraph(note)
        if section.picture is not None:
            word.add_picture(io.BytesIO(section.picture), width=Cm(16))
    for line in paper.signature:
        word.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    word.save(buffer)
    return File(buffer.getvalue(), _filename(found, "docx"))


def paper_screen(found: MonthlyPaper, kind: str, _: Translator) -> Screen:
    """The report as a document message: the PDF, or the DOCX (`kind` "docx")."""
    made = monthly_docx(found, _) if kind == "docx" else monthly_pdf(found, _)
    return Screen(EMPTY, document=made)
