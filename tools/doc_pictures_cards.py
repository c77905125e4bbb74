"""The README's pictures of the invite cards and the monthly 信息月报 (docs/invite-cards.png,
docs/monthly-report.png), drawn from fixed sample data so the pictures change only with the
layout: `python tools/doc_pictures_cards.py [OUT_DIR]`."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.i18n import translator  # noqa: E402
from models import SERVICES, ScopeKind  # noqa: E402
from services.invites import IssuedInvite  # noqa: E402
from services.kpi import Figures, Report, Unit  # noqa: E402
from services.kpi_documents import MonthlyPaper  # noqa: E402
from services.kpi_viewers import Shown  # noqa: E402
from services.places import Scope  # noqa: E402
from tests.utils.pdf import pdf_page_png  # noqa: E402
from views.invite_cards import invite_cards  # noqa: E402
from views.kpi_documents import monthly_pdf  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
CODES = ("q7Hc2LmV9xTa4NbE", "Wd3kR8sYp1ZuF6gJ", "m5TnB2vXc9LqH4eA")


def cards_pdf() -> bytes:
    expires = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    issued = [
        IssuedInvite(code[::-1] if kind == "tenant" else code, kind, f"1栋 1单元 10{n}", expires)
        for n, code in enumerate(CODES, start=1)
        for kind in ("owner", "tenant")
    ]
    return invite_cards(
        issued, "RedPropertyBot", "幸福家园", "027-8888-6666", SHANGHAI, translator("zh_Hans")
    )


def _figures(engaged: int, paid: str, satisfied: int, on_time: int) -> Figures:
    return Figures(
        compounds=1,
        covered=1,
        households=60,
        engaged=engaged,
        billed=Decimal("5400.00"),
        paid=Decimal(paid),
        homes_billed=60,
        homes_paid=engaged,
        answers=20,
        satisfied=satisfied,
        score_sum=satisfied * 5 + (20 - satisfied) * 3,
        tickets=12,
        on_time=on_time,
        rated=8,
        rating_sum=34,
        services={
            service: [20, satisfied - shift, (satisfied - shift) * 5 + (20 - satisfied + shift) * 3]
            for service, shift in zip(SERVICES, (0, 2, 4, 1, 3), strict=True)
        },
    )


def report_pdf() -> bytes:
    now, before = _figures(41, "4536.00", 17, 11), _figures(35, "4104.00", 15, 9)
    happy = Unit("compound", 1, "幸福家园", now, before)
    company = Unit("company", 1, "武汉红色家园物业服务有限公司", now, before)
    report = Report("2026-11", "幸福家园", {"compound": [happy], "company": [company]}, "compound")
    states = {"new": 1, "acknowledged": 0, "in_progress": 2, "done": 1, "confirmed": 8}
    states |= {"reopened": 0, "rejected": 0, "cancelled": 0}
    paper = MonthlyPaper(
        Shown(Scope(ScopeKind.COMPOUND, 1, "幸福家园"), report, False), date(2026, 12, 1), states
    )
    return monthly_pdf(paper, translator("zh_Hans")).content


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pdf_page_png(cards_pdf(), out / "invite-cards.png", dpi=70)
    pdf_page_png(report_pdf(), out / "monthly-report.png", dpi=70)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
