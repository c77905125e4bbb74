"""The monthly report without Telegram: `bot.py report --month YYYY-MM --scope kind:name`
writes the workbook and the chart beside it (.png) and prints the summary."""

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
        "report", help="the monthly KPI report as XLSX and PNG, without Telegram"
    )
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument(
        "--scope", required=True, help="e.g. district:江岸区, compound:幸福家园, city:武汉市"
    )
    report.add_argument("--out", type=Path, default=Path("report.xlsx"))
    report.set_defaults(run=monthly_report)


def monthly_report(settings: Settings, args: argparse.Namespace) -> int:
    """The report of any place (the command line is the administrator on the server)."""
    from services import kpi_viewers
    from services.kpi_viewers import Shown
    from services.places import resolve_scope
    from views.kpi import chart, summary_lines, workbook

    _ = words(settings)
    month: str = args.month
    out: Path = args.out
    if not kpi_viewers.valid_month(month):
        print(say(_, N_("Send the month as YYYY-MM, for example 2026-10.")), file=sys.stderr)
        return 2

    found: list[Shown] = []

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await resolve_scope(session, args.scope)
            found.append(
                await kpi_viewers.open_report(
                    session, None, place.kind, place.id, month, settings.tz
                )
            )
        return 0

    status = run(settings, work)
    if status:
        return status
    report = found[0].report
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(workbook(report, _))
    out.with_suffix(".png").write_bytes(chart(report, _))
    for line in summary_lines(report, _):
        print(line.unescape())
    print(out)
    print(out.with_suffix(".png"))
    return 0
