"""The monthly report without Telegram: `bot.py report --month YYYY-MM --scope kind:name`
writes the workbook, beside it the chart (.png) and the 信息月报 as PDF and DOCX, and prints the
summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import run, say, words
from core.db import unit_of_work
from core.i18n import N_
from core.runtime import Runtime
from core.settings import Settings


def add_report_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`report` is a top-level command of bot.py (beside run, demo, migrate)."""
    report = commands.add_parser(
        "report", help="the monthly KPI report as XLSX, PNG, PDF and DOCX, without Telegram"
    )
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument(
        "--scope", required=True, help="e.g. district:江岸区, compound:幸福家园, city:武汉市"
    )
    report.add_argument("--out", type=Path, default=Path("report.xlsx"))
    report.set_defaults(run=monthly_report)


def monthly_report(settings: Settings, args: argparse.Namespace) -> int:
    """The report of any place (the command line is the administrator on the server)."""
    from services import kpi_documents, kpi_viewers
    from services.kpi_documents import MonthlyPaper
    from services.places import resolve_scope
    from views.kpi import chart, summary_lines, workbook
    from views.kpi_documents import monthly_docx, monthly_pdf

    _ = words(settings)
    month: str = args.month
    out: Path = args.out
    if not kpi_viewers.valid_month(month):
        print(say(_, N_("Send the month as YYYY-MM, for example 2026-10.")), file=sys.stderr)
        return 2

    found: list[MonthlyPaper] = []

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await resolve_scope(session, args.scope)
            today = runtime.clock.now().astimezone(settings.tz).date()
            found.append(
                await kpi_documents.open_paper(
                    session, None, place.kind, place.id, month, settings.tz, today=today
                )
            )
        return 0

    status = run(settings, work)
    if status:
        return status
    report = found[0].shown.report
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(workbook(report, _))
    out.with_suffix(".png").write_bytes(chart(report, _))
    out.with_suffix(".pdf").write_bytes(monthly_pdf(found[0], _).content)
    out.with_suffix(".docx").write_bytes(monthly_docx(found[0], _).content)
    for line in summary_lines(report, _):
        print(line.unescape())
    for suffix in ("", ".png", ".pdf", ".docx"):
        print(out.with_suffix(suffix) if suffix else out)
    return 0
