"""The README's pictures of the printed documents: `python tools/doc_pictures.py [DIR]` draws
each from fixed example data (no database) and saves its first page as a PNG (default: docs/)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.i18n import translator  # noqa: E402
from models import Notice, NoticeCategory, Poll, PollStatus, Role  # noqa: E402
from services.notice_documents import DoorGroup, DoorList, DoorRow, NoticeSheet  # noqa: E402
from services.notice_reports import Missed  # noqa: E402
from services.vote_documents import BallotHome, PaperBallots, ResultNotice  # noqa: E402
from tests.utils.pdf import pdf_page_png  # noqa: E402
from views.documents.ballot_sheet import ballots_pdf  # noqa: E402
from views.documents.door_list import door_list_pdf  # noqa: E402
from views.documents.notice_sheet import notice_pdf  # noqa: E402
from views.documents.result_sheet import result_pdf  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
COMPOUND = "幸福家园"


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=TZ).astimezone(UTC)


NOTICE = Notice(
    id=12,
    compound_id=1,
    sender_id=1,
    category=NoticeCategory.SERVICE,
    text=(
        "<b>停水通知</b>\n因二次供水设施检修，<u>11月5日（周四）9:00–12:00</u> 1栋、2栋停水。"
        "\n请各位住户提前储水，检修完毕后请先放水数分钟再使用。\n\n"
        "<blockquote>如有疑问请联系物业服务中心：027-8888 6666</blockquote>"
    ),
    created_at=_at(3),
    queued_at=_at(3),
)
POLL = Poll(
    id=7,
    compound_id=1,
    title="续聘物业服务企业",
    body=(
        "现物业服务合同将于2026年12月31日到期。业主委员会提议续聘现物业服务企业三年，"
        "物业费标准不变（1.50 元/㎡/月），服务标准按《物业服务合同》附件执行。"
    ),
    notice_at=_at(1),
    opens_at=_at(17, 9),
    closes_at=_at(25, 18),
    status=PollStatus.CLOSED,
    created_at=_at(1),
    opened_at=_at(17, 9),
    closed_at=_at(25, 18),
    opening_sent_at=_at(17, 9),
    preliminary_sent_at=_at(25, 18),
    objection_until=_at(28, 18),
    final_sent_at=_at(28, 18),
    result={
        "kind": "resolution",
        "quorum": True,
        "passed": True,
        "threshold": "1/2",
        "area": {
            "total": "30686/5",
            "participating": "24503/5",
            "agree": "20011/5",
            "disagree": "2846/5",
            "abstain": "1646/5",
        },
        "headcount": {
            "total": "60",
            "participating": "47",
            "agree": "39",
            "disagree": "5",
            "abstain": "3",
        },
    },
)


def documents() -> dict[str, bytes]:
    _ = translator("zh_Hans")
    homes = [BallotHome(2, "1栋 1单元 102", "V7-H2-OJ5NYJEG")]
    rows = [
        DoorRow("1栋", "1栋 1单元 102", "高静", "13807784483", Missed.NOT_REGISTERED),
        DoorRow("1栋", "1栋 2单元 201", "周强", "13912345678", Missed.UNREACHABLE),
        DoorRow("2栋", "2栋 1单元 301", "吴敏", "13698765432", Missed.NOT_ACKNOWLEDGED),
    ]
    ballot = Poll(**{**POLL.model_dump(), "status": PollStatus.OPEN, "result": {}})
    return {
        "notice-sheet.png": notice_pdf(NoticeSheet(NOTICE, COMPOUND, "陈师傅", Role.STAFF), _, TZ),
        "paper-ballot.png": ballots_pdf(PaperBallots(ballot, COMPOUND, [], homes), _, TZ),
        "vote-result-notice.png": result_pdf(
            ResultNotice(POLL, COMPOUND, [], 1), _, TZ, today=_at(28, 19)
        ),
        "door-knocking-list.png": door_list_pdf(
            DoorList(NOTICE, COMPOUND, [DoorGroup("第一网格", ["刘书记"], rows)]), _, TZ
        ),
    }


def main(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    return [pdf_page_png(data, target / name) for name, data in documents().items()]


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"):
        print(path)
