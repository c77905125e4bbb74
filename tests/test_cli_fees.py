"""`admin fee-schedule` as an administrator uses it: a price from a date, a newer one that ends
it the day before, one that replaces an announced price, the fee ended, and every schedule with
its dates and state, in Chinese and in English. (The command line runs on the real clock, so the
dates are far from today: 2020 is past and 2099 ahead whenever this runs.)"""

from __future__ import annotations

import asyncio

from tests.test_cli import _cli
from tests.utils.paths import SAMPLE_ROSTER

FEE = ("admin", "fee-schedule", "幸福家园")


async def test_prices_from_dates_ends_and_the_listing(database_url, monkeypatch, capsys):
    def cli(*argv: str, language: str = "zh_Hans") -> int:
        return _cli(monkeypatch, database_url, *FEE, *argv, language=language)

    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return [
            cli(),
            cli("--price", "1.20", "--starts", "2020-01-01"),
            cli("--price", "1.50", "--starts", "2099-01-01"),
            cli("--price", "1.4", "--starts", "2099-01-01", "--period", "half_yearly"),
            cli(),
            cli(language="en"),
            cli("--end", "2098-06-30"),
            cli("--end", "2098-06-30"),
            cli("--price", "1.20", "--end", "2098-06-30"),
            cli("--end", "2098-6-31"),
        ]

    codes = await asyncio.to_thread(run)
    out = capsys.readouterr()
    assert codes[:8] == [0, 0, 0, 0, 0, 0, 0, 1], out
    assert codes[8:] == [2, 2], out
    lines = out.out.splitlines()[1:]  # after the roster import's line
    assert lines[:6] == [
        "尚未设置收费标准。",
        "幸福家园：¥1.20/㎡/月，自2020年1月1日起执行。",
        "幸福家园：¥1.20/㎡/月 现执行至2098年12月31日。",
        "幸福家园：¥1.50/㎡/月，自2099年1月1日起执行。",
        "幸福家园：自2099年1月1日起的 ¥1.50/㎡/月 已被取代，不再执行。",
        "幸福家园：¥1.40/㎡/月，自2099年1月1日起执行。",
    ]
    assert lines[6:9] == [
        "幸福家园：物业服务费 ¥1.40/㎡/月，按半年收取，每期 15 日到期，自2099年1月1日起（已公告）",
        "幸福家园：物业服务费 ¥1.50/㎡/月，按月收取，每期 15 日到期，自2099年1月1日起（未执行即被取代）",
        "幸福家园：物业服务费 ¥1.20/㎡/月，按月收取，每期 15 日到期，2020年1月1日至2098年12月31日（现行）",
    ]
    assert lines[11] == (
        "幸福家园: 物业服务费 CN¥1.20/㎡/month, billed monthly, due on day 15, "
        "from Jan 1, 2020 to Dec 31, 2098 (in force)"
    )
    assert lines[12:] == [
        "幸福家园：¥1.20/㎡/月 现执行至2098年6月30日。",
        "幸福家园：自2099年1月1日起的 ¥1.40/㎡/月 已被取代，不再执行。",
    ]
    assert "None" not in out.out and "1.5000" not in out.out
    assert "2098年6月30日之后并未收取此项费用，无需停止。" in out.err
    assert "--price 与 --end 只能二选一。" in out.err
    assert "日期写成 YYYY-MM-DD" in out.err
