"""The admin command line and start-up without a token, as an administrator would use them."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import bot
from core.settings import get_settings
from emulator import BotApiEmulator
from tests.utils.identity import bot_has_started
from tests.utils.paths import ROOT, SAMPLE_ROSTER
from tests.utils.pdf import pdf_text

TOKEN = "123456:CLI-token"


def _cli(monkeypatch, database_url: str, *argv: str, language: str = "en") -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", language)
    get_settings.cache_clear()
    try:
        return bot.main(list(argv))
    finally:
        get_settings.cache_clear()


async def test_invites_are_written_as_csv_and_printable_qr_sheet(
    database_url, monkeypatch, tmp_path, capsys
):
    """The links open the bot getMe names (asked with TELEGRAM_TOKEN), whatever an old
    BOT_USERNAME setting says."""
    monkeypatch.setenv("BOT_USERNAME", "SomebodyElsesBot")

    def run() -> None:
        assert _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER)) == 0
        invites = ("admin", "invites", "幸福家园", "--out", str(tmp_path))
        assert _cli(monkeypatch, database_url, *invites, language="zh_Hans") == 0

    async with BotApiEmulator(token=TOKEN, bot_username="HappyHomesBot") as emulator:
        monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_BASE_URL", emulator.base_url)
        await asyncio.to_thread(run)
        assert emulator.stats["methods"]["getMe"] == 1
    assert "已为幸福家园生成 120 个邀请码" in capsys.readouterr().out
    with (tmp_path / "invites-1.csv").open(encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["房屋", "身份", "邀请码", "链接", "有效期至"]
    assert len(rows) == 120 and {r["身份"] for r in rows} == {"业主", "租户"}
    expires = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None) + timedelta(days=30)
    for row in rows:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", row["邀请码"])
        assert row["链接"] == f"https://t.me/HappyHomesBot?start={row['邀请码']}"
        # the compound's local time, to the minute (no UTC, no seconds or microseconds)
        valid = datetime.strptime(row["有效期至"], "%Y-%m-%d %H:%M")
        assert abs(valid - expires) < timedelta(minutes=5)
    pdf = (tmp_path / "invites-1.pdf").read_bytes()
    assert "https://t.me/HappyHomesBot?start=" in pdf_text(pdf)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1


async def test_grant_and_unknown_role(database_url, monkeypatch, capsys):
    def run() -> tuple[int, int, int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        first = _cli(
            monkeypatch, database_url, "admin", "grant", "liaison", "compound:幸福家园", "555"
        )
        again = _cli(
            monkeypatch, database_url, "admin", "grant", "liaison", "compound:幸福家园", "555"
        )
        wrong = _cli(
            monkeypatch, database_url, "admin", "grant", "wizard", "compound:幸福家园", "555"
        )
        return first, again, wrong

    assert await asyncio.to_thread(run) == (0, 0, 2)
    out = capsys.readouterr().out
    assert "Granted Party-member liaison over compound:幸福家园 to 555." in out
    assert "555 already holds Party-member liaison" in out
    assert "Unknown role wizard" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_without_a_token_the_bot_starts_the_demo(tmp_path):
    """`make run` runs `bot.py start`: with no TELEGRAM_TOKEN that is the demo."""
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_TOKEN", "DATABASE_URL")}
    env["DEMO_PORT"] = str(_free_port())
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "start"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{env['DEMO_PORT']}"
    output = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if url in line:
                break
        text = "".join(output)
        assert url in text, text[-2000:]
        with urllib.request.urlopen(url + "/", timeout=10) as page:
            assert b"/static/demo.js" in page.read()
        with urllib.request.urlopen(url + "/demo/personas?lang=en", timeout=10) as answer:
            personas = json.loads(answer.read())
        # 8 of the first district, 2 of the second (its own bot), the new resident
        assert len(personas) == 11 and personas[0]["role"] == "owner" and personas[-1]["newcomer"]
        assert [p["bot"] for p in personas].count("RedPropertyWuchangBot") == 2
    finally:
        process.terminate()
        process.wait(timeout=20)


async def test_service_levels_are_set_per_compound(database_url, monkeypatch, capsys):
    def run() -> tuple[int, int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        ok = _cli(
            monkeypatch,
            database_url,
            "admin",
            "service-levels",
            "幸福家园",
            "--response-minutes",
            "30",
        )
        bad = _cli(
            monkeypatch,
            database_url,
            "admin",
            "service-levels",
            "幸福家园",
            "--supervisor-hours",
            "10",
        )
        return ok, bad

    assert await asyncio.to_thread(run) == (0, 1)
    captured = capsys.readouterr()
    assert "respond within 30 minutes, handle within 24 hours" in captured.out
    assert "supervisor threshold must be longer" in captured.err


async def test_votes_from_the_command_line(database_url, monkeypatch, tmp_path, capsys):
    from datetime import timedelta

    from core.clock import SystemClock

    now = SystemClock().now().astimezone(get_settings().tz)
    opens = (now + timedelta(days=16)).strftime("%Y-%m-%d 09:00")
    closes = (now + timedelta(days=23)).strftime("%Y-%m-%d 18:00")

    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return [
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "vote-settings",
                "幸福家园",
                "--notice-days",
                "20",
                "--unreturned-with-majority",
                "on",
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "draft-vote",
                "幸福家园",
                "--title",
                "加装电梯",
                "--opens",
                opens,
                "--closes",
                closes,
                "--special-item",
                "7",
                "--buildings",
                "1栋",
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "vote-settings",
                "幸福家园",
                "--notice-days",
                "15",
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "draft-vote",
                "幸福家园",
                "--title",
                "选举业委会",
                "--opens",
                opens,
                "--closes",
                closes,
                "--candidates",
                "张三,李四,王五",
                "--seats",
                "2",
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "draft-vote",
                "幸福家园",
                "--title",
                "x",
                "--opens",
                "tomorrow",
                "--closes",
                closes,
            ),
            _cli(monkeypatch, database_url, "admin", "export-vote", "2", "--out", str(tmp_path)),
        ]

    codes = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    assert codes == [0, 1, 0, 0, 2, 1], captured
    assert "notice 20 days" in captured.out and "counted with the majority: yes" in captured.out
    assert "at least 20 days" in captured.err  # the compound's own notice period applies
    assert "Vote #1 is published" in captured.out
    assert (
        "YYYY-MM-DD HH:MM" in captured.err and "exported when the vote has closed" in captured.err
    )


async def test_fees_and_a_bank_statement_from_the_command_line(
    database_url, monkeypatch, tmp_path, capsys
):
    statement = tmp_path / "bank.csv"
    statement.write_text(
        "交易日期,金额,流水号,备注\n"
        "2026-11-10,107.40,BK001,1栋1单元101物业费\n"  # matched by the memo
        "2026-11-10,50.00,BK002,9栋9单元901物业费\n"  # no such home
        "2026-11-11,80.00,BK003,101\n"  # a room number alone: many homes
        "2026-11-11,12.345,BK004,1栋1单元102\n"  # not an amount of money
        "2026-11-12,107.40,BK001,1栋1单元101物业费\n",  # the same transfer listed twice
        encoding="utf-8",
    )

    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return [
            _cli(monkeypatch, database_url, "admin", "fee-schedule", "幸福家园", "--price", "abc"),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "fee-schedule",
                "幸福家园",
                "--price",
                "1.20",
                "--due-day",
                "31",
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "fee-schedule",
                "幸福家园",
                "--price",
                "1.20",
                "--subsidy",
                "0.3",
            ),
            _cli(monkeypatch, database_url, "admin", "fee-schedule", "幸福家园"),
            _cli(monkeypatch, database_url, "admin", "import-payments", str(statement)),
            _cli(monkeypatch, database_url, "admin", "import-payments", str(statement)),
        ]

    codes = await asyncio.to_thread(run)
    out = capsys.readouterr()
    assert codes == [2, 1, 0, 0, 3, 3], out
    assert "due day must be between 1 and 28" in out.err
    assert "幸福家园: booked 1 payment, CN¥107.40 in all; 1 was booked before." in out.out
    assert "幸福家园: booked 0 payments, CN¥0.00 in all; 2 were booked before." in out.out
    assert "Row 3: no home matches “9栋9单元901物业费”" in out.out
    assert "Row 4: several homes match “101”" in out.out
    assert "Row 5: “12.345” is not an amount of money. Not booked." in out.out


async def test_the_monthly_report_without_telegram(database_url, monkeypatch, tmp_path, capsys):
    from openpyxl import load_workbook

    out = tmp_path / "reports" / "report.xlsx"

    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return [
            _cli(monkeypatch, database_url, *f"report --month {month} --out {out}".split(), scope)
            for month, scope in (
                ("2026-10", "--scope=district:Jiang'an"),
                ("2026-13", "--scope=district:江岸区"),
                ("2026-10", "--scope=district:Atlantis"),
            )
        ]

    codes = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    assert codes == [0, 2, 1], captured
    assert (
        "Monthly report October 2026: 江岸区" in captured.out
        and "Participation: no data" not in captured.out
    )
    assert "Satisfaction: no data (0 / 0)" in captured.out
    assert "YYYY-MM" in captured.err and "No district named 'Atlantis'" in captured.err
    book = load_workbook(out)
    assert book.sheetnames == [  # the district and what is inside it, not its city
        "district",
        "sub-district",
        "community",
        "property company",
        "grid",
        "compound",
    ]
    assert book["compound"]["A2"].value == "幸福家园"
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


async def test_a_compound_service_model_and_company_for_the_kpis(
    database_url, monkeypatch, tmp_path, capsys
):
    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return [
            _cli(monkeypatch, database_url, *argv.split())
            for argv in (
                "admin compound 幸福家园 --service-model professional --company 江岸红色物业公司",
                "admin compound 幸福家园 --service-model magic",
                f"report --month 2026-10 --scope compound:幸福家园 --out {tmp_path / 'r.xlsx'}",
            )
        ]

    codes = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    assert codes == [0, 1, 0], captured
    # typed in English, printed translated (DEFAULT_LANGUAGE=en here)
    assert "service model professional takeover, property company 江岸红色物业公司" in captured.out
    assert "Unknown service model 'magic'" in captured.err
    assert "Coverage: 100.00% (1 / 1)" in captured.out


async def test_the_payment_code_residents_scan(database_url, monkeypatch, tmp_path, capsys):
    from tests.test_fees import _payment_code

    code, text = tmp_path / "wechat.png", tmp_path / "notes.txt"
    code.write_bytes(_payment_code())
    text.write_text("not a picture")

    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return [
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "payment-code",
                "幸福家园",
                "--image",
                str(code),
                "--payee",
                "幸福家园物业服务中心（微信/支付宝）",
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "payment-code",
                "幸福家园",
                "--image",
                str(text),
                "--payee",
                "x",
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "payment-code",
                "幸福家园",
                "--image",
                str(tmp_path / "gone.png"),
                "--payee",
                "x",
            ),
        ]

    codes = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    assert codes == [0, 1, 2], captured
    assert (
        "幸福家园: residents now see the payment code of 幸福家园物业服务中心（微信/支付宝） in /bills"
        in captured.out
    )
    assert "must be a PNG or JPEG picture" in captured.err and "No such file" in captured.err


async def test_invite_csv_never_holds_a_formula(database_url, monkeypatch, tmp_path, capsys):
    """A roster's text reaches the office's spreadsheet as text (services/tables)."""
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "city,district,sub_district,community,compound,building,unit,room,registered_area,grid\n"
        '武汉市,江岸区,后湖街道,幸福社区,公式苑,"=HYPERLINK(""http://x"")",1单元,101,80.00,第一网格\n'
        "武汉市,江岸区,后湖街道,幸福社区,公式苑,2栋,1单元,@SUM(A1),80.00,第一网格\n",
        encoding="utf-8",
    )

    await bot_has_started(database_url)

    def run() -> list[int]:
        return [
            _cli(monkeypatch, database_url, "admin", "import-roster", str(roster)),
            _cli(monkeypatch, database_url, "admin", "invites", "公式苑", "--out", str(tmp_path)),
        ]

    assert await asyncio.to_thread(run) == [0, 0]
    out = capsys.readouterr().out
    assert "4 invite codes for 公式苑." in out and "Valid for 30 days" in out
    (path,) = tmp_path.glob("invites-*.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    homes = {r["Home"] for r in rows}
    assert homes == {'\'=HYPERLINK("http://x") 1单元 101', "2栋 1单元 @SUM(A1)"}
    assert all(not r["Invite code"].startswith(("-", "'")) for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", r["Valid until"]) for r in rows)
    assert {r["Invite for"] for r in rows} == {"owner", "tenant"}


async def test_command_line_output_is_plain_translated_text(database_url, monkeypatch, capsys):
    """No HTML entities on a terminal; the service model in the administrator's language."""

    def run() -> list[int]:
        company = ["--company", "李&王<物业>"]
        return [
            _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER)),
            _cli(
                monkeypatch,
                database_url,
                *"admin compound 幸福家园 --service-model self_help".split(),
                *company,
                language="zh_Hans",
            ),
        ]

    assert await asyncio.to_thread(run) == [0, 0]
    out = capsys.readouterr().out
    assert "服务模式 自助型物业，物业企业 李&王<物业>" in out
    assert "&amp;" not in out and "&lt;" not in out


async def test_without_the_bots_username_no_invite_is_printed(
    database_url, monkeypatch, tmp_path, capsys
):
    """No token to ask getMe and the bot never started here: a clear refusal, no cards."""
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    monkeypatch.setenv("BOT_USERNAME", "SomebodyElsesBot")

    def run() -> tuple[int, int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return (
            _cli(monkeypatch, database_url, "admin", "invites", "幸福家园", "--out", str(tmp_path)),
            _cli(monkeypatch, database_url, "admin", "invite-role", "liaison", "compound:幸福家园"),
        )

    assert await asyncio.to_thread(run) == (2, 2)
    err = capsys.readouterr().err
    assert err.count("The bot's username is not known, so no invite link can be made") == 2
    assert not list(tmp_path.glob("invites-*"))


async def test_role_invites_use_the_username_the_running_bot_recorded(
    database_url, monkeypatch, capsys
):
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    await bot_has_started(database_url, "HappyHomesBot")

    def run() -> int:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return _cli(
            monkeypatch, database_url, "admin", "invite-role", "liaison", "compound:幸福家园"
        )

    assert await asyncio.to_thread(run) == 0
    assert re.search(r"https://t\.me/HappyHomesBot\?start=\S+", capsys.readouterr().out)
