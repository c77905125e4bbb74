"""One format per kind for the whole product (core.i18n.FORMATS): each kind in the three languages
with fixed values, no module formatting a number or a date for a reader on its own, the check
the test world runs over every message, and the demo page's clock in the compound's zone."""

from __future__ import annotations

import ast
import asyncio
import json
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.i18n import iso_date, iso_month, translator
from services.errors import DomainError
from tests.utils.formats import other_date_forms, without_code

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 20:20 UTC on 7 December is 04:20 on 8 December in Shanghai.
MOMENT = datetime(2026, 12, 7, 20, 20, tzinfo=UTC)

EXPECTED = {
    "zh_Hans": {
        "date": "2026年12月8日",
        "datetime": "2026年12月8日 04:20",
        "time": "04:20",
        "month": "2026年12月",
        "area": "2,078.60㎡",
        "percent": "70.00%",
        "money": "¥1,234.50",
        "number": "12,345",
        "duration": "3小时",
        "ago": "2小时前",
    },
    "zh_Hant": {
        "date": "2026年12月8日",
        "datetime": "2026年12月8日 04:20",
        "time": "04:20",
        "month": "2026年12月",
        "area": "2,078.60㎡",
        "percent": "70.00%",
        "money": "CN¥1,234.50",
        "number": "12,345",
        "duration": "3 小時",
        "ago": "2 小時前",
    },
    "en": {
        "date": "Dec 8, 2026",
        "datetime": "Dec 8, 2026, 4:20 AM",
        "time": "4:20 AM",
        "month": "December 2026",
        "area": "2,078.60 m²",
        "percent": "70.00%",
        "money": "CN¥1,234.50",
        "number": "12,345",
        "duration": "3 hours",
        "ago": "2 hours ago",
    },
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_each_kind_has_one_format_in_each_language(language: str) -> None:
    _ = translator(language)
    shown = {
        "date": _.date(MOMENT, SHANGHAI),
        "datetime": _.datetime(MOMENT, SHANGHAI),
        "time": _.time(MOMENT, SHANGHAI),
        "month": _.month(date(2026, 12, 31)),
        "area": _.area(Decimal("2078.6")),
        "percent": _.percent(Decimal("0.7")),
        "money": _.money(Decimal("1234.5")),
        "number": _.number(12345),
        "duration": _.duration(timedelta(hours=3, minutes=10)),
        "ago": _.ago(timedelta(hours=2)),
    }
    assert shown == EXPECTED[language]
    assert all(not other_date_forms(text) for text in shown.values())


def test_a_day_is_the_day_in_the_compound_not_in_utc() -> None:
    _ = translator("zh_Hans")
    assert _.date(date(2026, 12, 8)) == "2026年12月8日"  # a plain day needs no zone
    assert _.date(MOMENT, SHANGHAI) == "2026年12月8日"  # UTC still says the 7th
    assert _.date(MOMENT, ZoneInfo("UTC")) == "2026年12月7日"
    with pytest.raises(ValueError):
        _.date(MOMENT)  # a moment without the compound's zone is refused, not guessed
    # A moment without a zone is UTC, as the database column reads it.
    assert _.datetime(datetime(2026, 12, 7, 20, 20), SHANGHAI) == "2026年12月8日 04:20"


def test_shanghai_has_no_summer_time() -> None:
    """China keeps UTC+8 all year: a July and a January moment show the same offset."""
    _ = translator("zh_Hant")
    summer = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    winter = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert _.datetime(summer, SHANGHAI) == "2026年7月1日 09:00"
    assert _.datetime(winter, SHANGHAI) == "2026年1月1日 09:00"
    assert translator("en").datetime(summer, SHANGHAI) == "Jul 1, 2026, 9:00 AM"


def test_areas_and_scores_keep_their_decimals() -> None:
    _ = translator("zh_Hans")
    assert _.area(2078) == "2,078.00㎡"
    assert _.area(Decimal("0.5")) == "0.50㎡"
    assert _.number(Decimal("4.5"), places=2) == "4.50"
    assert _.number(Decimal("4.55"), places=1) == "4.6"
    assert _.price(Decimal("1.2000")) == "¥1.20" and _.price(Decimal("1.2345")) == "¥1.2345"


def test_a_domain_error_shows_a_day_in_the_one_format() -> None:
    error = DomainError(
        "A transfer of this home on {date} is already recorded.", date=date(2026, 12, 8)
    )
    assert "2026年12月8日" in error.text(translator("zh_Hans"))
    assert "Dec 8, 2026" in error.text(translator("en"))


def test_machine_forms_have_their_own_helpers() -> None:
    assert iso_date(date(2026, 12, 8)) == "2026-12-08"
    assert iso_month(date(2026, 2, 8)) == "2026-02"


# --- the check the test world runs over every message -----------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "截止 8/12/2026 上午4:20",
        "报事时间：2026/12/2 10:00",
        "统计期间：2026-12-01 至 2026-12-31",
        "账期 2026-12",
        "截止 Dec 8, 2026",
        "投票截止 2026年12月8日 上午4:20",
        "Voting closes on 12/8/2026",
        "Booked at 04:20:00",
    ],
)
def test_the_world_check_finds_a_date_in_another_form(text: str) -> None:
    assert other_date_forms(text)


@pytest.mark.parametrize(
    "text",
    [
        "投票截止时间：2026年12月8日 04:20",
        "参与表决的专有面积：1,455.02㎡ / 2,078.60㎡（70.00%）",
        "人数 2/3 以上",
        "Voting closes on Dec 8, 2026, 4:20 AM",
        "May I help?",
        "Reported: Nov 2, 2026, 10:00 AM\nWhere: 幸福家园 1栋 1单元",
        "The vote “续聘物业服务企业” closes on Nov 25, 2026, 6:00 PM.",
    ],
)
def test_the_world_check_passes_the_one_format(text: str) -> None:
    assert not other_date_forms(text)


@pytest.mark.parametrize(
    "text",
    [
        "请按 YYYY-MM 格式发送月份，例如 /arrears 2026-10。",
        "请使用 YYYY-MM-DD HH:MM 格式，例如 2026-12-01 09:00。",
        "Send the time as YYYY-MM-DD HH:MM, for example 2026-12-01 09:00.",
        "格式为 YYYY-MM-DD HH:MM，例如：\n2026-12-20 09:00\n2026-12-27 18:00\n如公告晚于现在发出",
    ],
)
def test_an_example_of_what_to_type_keeps_the_form_the_bot_reads(text: str) -> None:
    assert not other_date_forms(text)


def test_what_the_reader_copies_may_keep_a_machine_form() -> None:
    text = "文件 2026-11-01.xlsx 已发送"
    entities = [{"type": "code", "offset": 3, "length": 15}]
    assert other_date_forms(text) and not other_date_forms(without_code(text, entities))
    # Offsets count UTF-16 units: an emoji before the code takes two.
    emoji = "📎 2026-11-01.xlsx"
    assert not other_date_forms(without_code(emoji, [{"type": "code", "offset": 3, "length": 15}]))


# --- no module formats for a reader on its own ------------------------------------------------
SCANNED = ("views", "services", "handlers", "cli", "jobs", "demo")
TRANSLATOR_METHODS = {"date", "datetime", "time", "month", "money", "price", "number", "area",
                      "percent", "duration", "ago"}  # fmt: skip
# (module, function) → why a machine format is right there.
ALLOWED = {
    (
        "services/tables.py",
        "csv_cell",
    ): "spreadsheet and CSV cells: ISO moments and 2-decimal amounts",
    ("services/personal_data.py", "_money"): "the JSON of a personal-data export, for machines",
    ("handlers/context.py", "_process"): "a log line for the operator, not a reader's text",
    ("views/tickets.py", "place_text"): "coordinates a map app reads, five decimals",
}


def _scanned_modules() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (ROOT / folder).rglob("*.py"))


def _offences(path: Path) -> list[tuple[str, int, str]]:
    return _offences_in(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())


def _offences_in(source: str, where: str) -> list[tuple[str, int, str]]:
    tree = ast.parse(source)
    found: list[tuple[str, int, str]] = []
    functions: list[tuple[int, int, str]] = [
        (n.lineno, n.end_lineno or n.lineno, n.name)
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]

    def enclosing(line: int) -> str:
        inside = [f for f in functions if f[0] <= line <= f[1]]
        return max(inside)[2] if inside else "<module>"

    for node in ast.walk(tree):
        problem = None
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            ("babel.dates", "babel.numbers")
        ):
            problem = f"imports {node.module}: format through core.i18n.Translator"
        elif isinstance(node, ast.Import) and any(a.name.startswith("babel") for a in node.names):
            problem = "imports babel: format through core.i18n.Translator"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name == "strftime":
                problem = "strftime: a date for a reader goes through Translator.date/datetime"
            elif name in TRANSLATOR_METHODS and isinstance(node.func.value, ast.Name):
                if node.func.value.id == "_" and any(
                    k.arg in ("fmt", "format") for k in node.keywords
                ):
                    problem = f"_.{name}(fmt=…): one format per kind, no format per caller"
                elif node.func.value.id == "_" and name in ("date", "datetime", "time", "month"):
                    if len(node.args) > 2:
                        problem = f"_.{name} with a format argument"
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = "".join(
                str(part.value) if isinstance(part, ast.Constant) else "{}"
                for part in getattr(node.format_spec, "values", [])
            )
            if any(mark in spec for mark in (",", "%", "f", "e", "g")):
                problem = f"f-string format {spec}: numbers and dates for a reader go through _"
        line = getattr(node, "lineno", 0)
        if problem and (where, enclosing(line)) not in ALLOWED:
            found.append((where, line, problem))
    return found


def test_no_module_formats_numbers_or_dates_on_its_own() -> None:
    offences = [o for path in _scanned_modules() for o in _offences(path)]
    assert not offences, "\n".join(f"{w}:{line}: {p}" for w, line, p in offences)


def test_the_checker_catches_a_format_of_its_own() -> None:
    source = (
        "from babel.dates import format_date\n"
        "def f(_, day, tz, amount):\n"
        "    a = _.date(day, fmt='short')\n"
        "    b = _.datetime(day, tz, 'short')\n"
        "    c = day.strftime('%Y/%m/%d')\n"
        "    d = f'{amount:,.2f}'\n"
        "    e = f'{day:%Y-%m}'\n"
    )
    assert [line for _w, line, _p in _offences_in(source, "views/x.py")] == [1, 3, 4, 5, 6, 7]


def test_every_allowed_machine_format_still_exists() -> None:
    """An allowance outlives its code only by mistake: each names a function that is there."""
    for where, function in ALLOWED:
        source = (ROOT / where).read_text(encoding="utf-8")
        assert f"def {function}(" in source, (where, function)


# --- the demo page shows times in the compound's zone -----------------------------------------
@pytest.mark.parametrize(
    ("language", "shown"), [("zh_Hans", "04:20"), ("zh_Hant", "04:20"), ("en", "4:20 AM")]
)
async def test_the_demo_page_clock_is_the_compounds_not_the_browsers(
    language: str, shown: str
) -> None:
    """The page formats each message's time with the options the server sends (the bot's
    TIMEZONE); run in Node with the browser's zone set to New York, it still reads 04:20."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from core.settings import Settings
    from demo.web import add_demo_routes

    class _Demo:
        settings = Settings(_env_file=None)

    app = web.Application()
    add_demo_routes(app, _Demo())  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as client:
        response = await client.get(f"/demo/texts?lang={language}")
        clock = (await response.json())["clock"]
    assert clock["options"]["timeZone"] == "Asia/Shanghai"
    script = (ROOT / "demo" / "web" / "demo.js").read_text(encoding="utf-8")
    assert "new Intl.DateTimeFormat(data.clock.locale, data.clock.options)" in script
    assert "state.clock.format(new Date(message.date * 1000))" in script
    assert "toLocaleTimeString" not in script and "toLocaleString" not in script
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed: the served options are checked, not their rendering")
    program = (
        f"const c = {json.dumps(clock)};"
        f"process.stdout.write(new Intl.DateTimeFormat(c.locale, c.options)"
        f".format(new Date({int(MOMENT.timestamp() * 1000)})));"
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [node, "-e", program],
        capture_output=True,
        text=True,
        check=True,
        env={"TZ": "America/New_York", "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.replace("\u202f", " ") == shown
