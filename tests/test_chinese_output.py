"""No English in Chinese output (issue #19): every `admin` command that prints, run in zh_Hans
with fixed data, says nothing in English outside the words a command line must show as they are
(commands, options, codes, file names); domain values are typed in any of the three languages;
export headers are in the reader's language and an office's roster headed in any of them reads;
and an English label that starts a line starts with a capital."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import SystemClock
from core.db import create_engine
from core.settings import get_settings
from models import Compound, Resident, Role, ServiceModel
from tests.test_cli import _cli
from tests.test_tickets import _cast
from tests.utils.identity import bot_has_started
from tests.utils.paths import SAMPLE_ROSTER

# Words a Chinese terminal shows as they are: names of things that have no translation.
ALLOWED = frozenset(
    {
        "YYYY",  # the date format asked for: YYYY-MM-DD
        "Telegram",
        "TELEGRAM_TOKEN",
        "PNG",
        "JPEG",
        "PDF",
        "CSV",
        "XLSX",
        "DOCX",
        "KPI",
        "WeChat",
        "Alipay",
    }
)
# Values this test types that are no word of any language, echoed back by the refusals.
TYPED = frozenset({"magic", "weekly", "maybe", "wizard", "nobody", "tonight", "abc", "NOSUCHCODE"})
# Tokens removed before looking for words: paths and file names, URLs, options and /commands.
_NOT_WORDS = re.compile(
    r"https?://\S+"  # links
    r"|(?<!\S)/\S+"  # absolute paths (the files the command wrote), /commands
    r"|\S+\.(?:csv|xlsx|xls|ods|pdf|png|docx|json|zip)\b"  # file names
    r"|--[a-z][a-z-]*"  # options
    r"|(?<![\w/])/[a-z_]+"  # bot commands inside a sentence (“在 /bills 中”)
)
_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")


def english_words(text: str, allowed: frozenset[str] = ALLOWED) -> list[str]:
    """The ASCII words of three or more letters in `text` that are not in `allowed` (after
    removing paths, links, options and /commands)."""
    return [w for w in _WORD.findall(_NOT_WORDS.sub(" ", text)) if w not in allowed]


def test_the_checker_finds_english_and_passes_what_a_terminal_must_show():
    assert english_words("幸福家园：1.5000/m2/month, monthly, late None") == [
        "month",
        "monthly",
        "late",
        "None",
    ]
    assert english_words("用 --price 设置；见 /bills；文件 /tmp/x/invites-1.csv；YYYY-MM-DD") == []
    assert english_words("1-1-101 ¥1.20/㎡/月 https://t.me/Bot?start=abc") == []


async def _staff_has_agreed(database_url: str, telegram_id: int, name: str) -> None:
    """The staff member granted on the command line opened the bot and agreed."""
    engine = create_engine(database_url)
    async with AsyncSession(engine) as session:
        person = (
            await session.exec(select(Resident).where(col(Resident.telegram_id) == telegram_id))
        ).one()
        person.consent_at, person.display_name = datetime(2026, 11, 1, tzinfo=UTC), name
        session.add(person)
        await session.commit()
    await engine.dispose()


async def _service_model(database_url: str) -> str:
    engine = create_engine(database_url)
    async with AsyncSession(engine) as session:
        found = (await session.exec(select(Compound).where(Compound.name == "幸福家园"))).one()
    await engine.dispose()
    return found.service_model


async def test_every_admin_command_speaks_chinese(database_url, monkeypatch, tmp_path, capsys):
    """Each command that prints, and its refusals, in zh_Hans: no English word."""
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    await bot_has_started(database_url, "HappyHomesBot")
    now = SystemClock().now().astimezone(get_settings().tz)
    opens = (now + timedelta(days=16)).strftime("%Y-%m-%d 09:00")
    closes = (now + timedelta(days=23)).strftime("%Y-%m-%d 18:00")
    statement = tmp_path / "bank.csv"
    statement.write_text(
        "交易日期,金额,流水号,备注\n"
        "2026-11-10,107.40,BK001,1栋1单元101物业费\n"
        "2026-11-10,50.00,BK002,9栋9单元901物业费\n"
        "2026-11-11,12.345,BK004,1栋1单元102\n",
        encoding="utf-8",
    )

    def cli(*argv: str) -> int:
        return _cli(monkeypatch, database_url, *argv, language="zh_Hans")

    def admin(line: str, *more: str) -> int:
        return cli("admin", *line.split(), *more)

    out = tmp_path / "out"

    def setup() -> list[int]:
        return [
            admin(f"import-roster {SAMPLE_ROSTER}"),
            admin("grant 物业服务人员 小区:幸福家园 555"),
        ]

    def run() -> list[int]:
        return [
            admin("compound 幸福家园 --service-model 专业化 --company 江岸红色物业"),
            admin("compound 幸福家园 --service-model magic"),
            admin("fee-schedule 幸福家园"),
            admin(
                "fee-schedule 幸福家园 --price 1.5 --subsidy 0.3 --late-daily-rate 0.0005 "
                "--starts 2020-01-01"
            ),
            admin("fee-schedule 幸福家园 --price 1.6 --starts 2099-01-01 --period 按季"),
            admin("fee-schedule 幸福家园"),
            admin("fee-schedule 幸福家园 --end 2098-06-30"),
            admin("fee-schedule 幸福家园 --price 1.6 --period weekly"),
            admin("fee-schedule 幸福家园 --price abc"),
            admin("service-levels 幸福家园 --response-minutes 30"),
            admin("service-levels 幸福家园 --supervisor-hours 10"),
            admin("ticket-settings 幸福家园 --duty-phone 027-88886666 --offers 是"),
            admin("ticket-settings 幸福家园 --offers maybe"),
            admin("dispatch 幸福家园"),
            admin("dispatch 幸福家园 --staff 陈师傅 --category 保洁"),
            admin("dispatch 幸福家园 --staff 555 --building 1栋"),
            admin("dispatch 幸福家园 --staff 555 --category magic"),
            admin("dispatch 幸福家园 --staff nobody"),
            admin(
                "duty 幸福家园 --staff 陈师傅 --from",
                "2099-01-01 08:00",
                "--to",
                "2099-01-01 20:00",
            ),
            admin("duty 幸福家园"),
            admin("duty 幸福家园 --staff 陈师傅 --from tonight"),
            admin("common-areas 幸福家园"),
            admin("building-floors 幸福家园 1栋"),
            admin("ticket-templates list 幸福家园"),
            admin("vote-settings 幸福家园 --unreturned-with-majority 否"),
            admin("vote-settings 幸福家园 --unreturned-with-majority maybe"),
            admin("draft-vote 幸福家园 --title 更换门禁 --opens", opens, "--closes", closes),
            admin("draft-vote 幸福家园 --title x --opens tomorrow --closes", closes),
            admin(f"paper-ballots 1 --out {out}"),
            admin(f"export-vote 1 --out {out}"),
            admin("withdraw-vote 1 --reason 方案需要修改"),
            admin("grant wizard 小区:幸福家园 556"),
            admin("grant 业委会委员 楼:幸福家园 556"),
            admin("grant staff 小区:幸福家园 abc"),
            admin("history 幸福家园"),
            admin("history 幸福家园 --home 1-1-101"),
            admin("history 幸福家园 --person 555"),
            admin(f"audit --compound 幸福家园 --since 2020-01-01 --out {out / 'reads.csv'}"),
            admin(f"import-payments {statement}"),
            admin("payments 幸福家园 1-1-101"),
            admin("payments 幸福家园 1-1-102"),
            admin(f"receipt 幸福家园 000001 --out {out / 'receipt.pdf'}"),
            admin("reverse-payment 幸福家园 000001 --reason 重复入账"),
            admin("reverse-payment 幸福家园 000001 --reason 重复入账"),
            admin("payment-code 幸福家园 --account 6222-0210-0123-4567"),
            admin("payment-code 幸福家园"),
            admin(f"invites 幸福家园 --home 1-1-101 --out {out}"),
            admin("invite-role 党员联络员 小区：幸福家园"),
            admin("revoke-invite NOSUCHCODE"),
            admin("revoke 物业服务人员 小区:幸福家园 555"),
            admin("revoke 物业服务人员 小区:幸福家园 555"),
            admin(f"transfer-home 幸福家园 1-1-102 2099-01-15 --out {out}"),
            admin("transfer-home 幸福家园 1-1-102 2099-13-15"),
            cli(
                "report",
                "--month",
                "2026-10",
                "--scope",
                "区:江岸区",
                "--out",
                str(out / "report.xlsx"),
            ),
        ]

    assert await asyncio.to_thread(setup) == [0, 0]
    await _staff_has_agreed(database_url, 555, "陈师傅")
    codes = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert 0 in codes and 1 in codes and 2 in codes, printed
    assert "Traceback" not in printed
    typed = ALLOWED | TYPED  # what this test typed comes back as it was typed
    found = {line: words for line in printed.splitlines() if (words := english_words(line, typed))}
    assert not found, "\n".join(f"{w}: {line}" for line, w in found.items())
    # the values typed in Chinese were understood, and shown by their names
    assert "服务模式 专业化企业承接" in captured.out
    assert "幸福家园：任何楼栋的清扫保洁派给陈师傅。" in captured.out
    assert "小区:幸福家园" in captured.out and "物业服务人员" in captured.out
    assert "按季" in captured.out
    # an unknown value is answered with the names to use, in Chinese
    assert "可用：专业化、自助型、公益性、指导帮扶、无" in captured.err
    assert "“weekly”不是可用的值，可用：按月、按季、按半年、按年。" in captured.err
    assert "“maybe”不是可用的值，可用：是、否。" in captured.err


async def test_domain_values_are_typed_in_any_language(database_url, monkeypatch, capsys):
    """`专业化`, `專業化`, `professional` (and the other models) all set the service model."""

    def run(model: str, language: str) -> int:
        argv = ("admin", "compound", "幸福家园", "--service-model", model)
        return _cli(monkeypatch, database_url, *argv, language=language)

    await asyncio.to_thread(
        _cli, monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER)
    )
    typed = [
        ("专业化", ServiceModel.PROFESSIONAL),
        ("自助型", ServiceModel.SELF_HELP),
        ("公益性企業託管", ServiceModel.PUBLIC_WELFARE),
        ("指導幫扶", ServiceModel.GUIDED),
        ("none", ServiceModel.NONE),
        ("專業化", ServiceModel.PROFESSIONAL),
        ("self-help", ServiceModel.SELF_HELP),
        ("public welfare", ServiceModel.PUBLIC_WELFARE),
        ("GUIDED", ServiceModel.GUIDED),
        ("无", ServiceModel.NONE),
        ("professional", ServiceModel.PROFESSIONAL),
    ]
    for index, (model, expected) in enumerate(typed):
        language = ("zh_Hans", "zh_Hant", "en")[index % 3]
        assert await asyncio.to_thread(run, model, language) == 0
        assert await _service_model(database_url) == expected, model
    assert await asyncio.to_thread(run, "专业", "zh_Hant") == 1  # two models begin so
    assert await asyncio.to_thread(run, "magic", "en") == 1
    err = capsys.readouterr().err
    assert "可用：專業化、自助型、公益性、指導幫扶、無。" in err
    assert (
        "Unknown service model 'magic'; use one of: professional, self-help model, public "
        "welfare, guided, no model." in err
    )

    def grant(role: str, scope: str, user: str, language: str) -> int:
        argv = ("admin", "grant", role, scope, user)
        return _cli(monkeypatch, database_url, *argv, language=language)

    codes = [
        await asyncio.to_thread(grant, "黨員聯絡員", "小區：幸福家园", "601", "zh_Hant"),
        await asyncio.to_thread(grant, "property staff", "compound:幸福家园", "602", "en"),
        await asyncio.to_thread(grant, "义务质量总监", "区:江岸区", "603", "zh_Hans"),
    ]
    assert codes == [0, 0, 0]
    out = capsys.readouterr().out
    assert "已授予 601 在小區:幸福家园的黨員聯絡員角色。" in out
    assert "Granted property staff over compound:幸福家园 to 602." in out
    assert "已授予 603 在区:江岸区的义务质量总监角色。" in out


async def test_the_staff_queue_filter_takes_service_names_in_every_language(world):
    """/tickets 保洁, /tickets 保潔 and /tickets cleaning are the same filter; the hints name the
    services in the reader's language."""
    _owner, _n, staff, _l, _s = await _cast(world)
    await staff.send("/tickets")
    assert "或服务类别（绿化养护、公共部位维修）" in staff.last_text
    for word in ("保洁", "保潔", "cleaning", "清扫保洁", "维修"):
        await staff.send(f"/tickets {word}")
        assert "没有“" not in staff.last_text, word
        assert "没有符合筛选条件的待处理工单" in staff.last_text or "筛选" in staff.last_text
    await staff.send("/tickets 魔法")
    text = staff.last_text
    assert "没有“魔法”这个筛选条件" in text
    assert "服务类别（绿化养护、清扫保洁、公共部位维修……）" in text
    assert "/tickets 我的 超时" in text and not english_words(text)

    await staff.send("/language")
    await staff.press("繁體中文")
    await staff.send("/tickets 魔法")
    assert "服務類別（綠化養護、清掃保潔、公共部位維修……）" in staff.last_text
    await staff.send("/language")
    await staff.press("English")
    await staff.send("/tickets")
    assert "a service (greening, common-area repair)" in staff.last_text
    await staff.send("/tickets 保洁")
    assert "No open tickets match the filter: cleaning" in staff.last_text


async def test_english_service_labels_start_a_line_with_a_capital(world):
    """The survey card (/rate) in English: "Cleaning: —", not "cleaning: —"; in Chinese the
    same labels as before."""
    await world.seed_roster()
    owner = world.user("徐丽")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await owner.send("/rate")
    assert "\n清扫保洁：—" in owner.last_text
    await owner.send("/language")
    await owner.press("English")
    await owner.send("/rate")
    text = owner.last_text
    assert "\nCleaning: —" in text and "\nCommon-area repair: —" in text
    assert "\nOverall service: —" in text and "\ncleaning" not in text
    assert "Cleaning" in owner.last_message.buttons()


async def test_export_headers_are_chinese_and_a_roster_headed_in_any_language_reads(
    database_url, monkeypatch, tmp_path, capsys
):
    """The invite list, the reads of personal data and the monthly workbook in zh_Hans: no
    English header; a roster whose header row is in Traditional Chinese or English reads."""
    await bot_has_started(database_url, "HappyHomesBot")
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    rows = list(csv.reader(SAMPLE_ROSTER.open(encoding="utf-8")))
    traditional = tmp_path / "roster-hant.csv"
    from core.i18n import translator
    from services.roster_columns import COLUMNS

    hant = translator("zh_Hant")
    header = [hant.plain(COLUMNS[name].label) for name in rows[0]]
    assert "樓棟" in header and "房號" in header
    with traditional.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([header, *rows[1:]])
    english = tmp_path / "roster-en.csv"
    with english.open("w", encoding="utf-8", newline="") as file:
        labels = [translator("en").plain(COLUMNS[name].label) for name in rows[0]]
        csv.writer(file).writerows([labels, *rows[1:]])

    def run() -> list[int]:
        def admin(*argv: str) -> int:
            return _cli(monkeypatch, database_url, "admin", *argv, language="zh_Hans")

        return [
            admin("import-roster", str(traditional)),
            admin("import-roster", str(english)),
            admin("invites", "幸福家园", "--home", "1-1-101", "--out", str(tmp_path)),
            admin("grant", "staff", "小区:幸福家园", "555"),
            admin("history", "幸福家园"),
            admin(
                "audit",
                "--compound",
                "幸福家园",
                "--since",
                "2020-01-01",
                "--out",
                str(tmp_path / "reads.xlsx"),
            ),
            admin(
                "audit",
                "--compound",
                "幸福家园",
                "--since",
                "2020-01-01",
                "--out",
                str(tmp_path / "reads.csv"),
            ),
            _cli(
                monkeypatch,
                database_url,
                "report",
                "--month",
                "2026-10",
                "--scope",
                "小区:幸福家园",
                "--out",
                str(tmp_path / "report.xlsx"),
                language="zh_Hans",
            ),
        ]

    codes = await asyncio.to_thread(run)
    out = capsys.readouterr()
    assert codes == [0, 0, 0, 0, 0, 0, 0, 0], out
    assert (
        "共 60 户，新增 60 户" in out.out
        and "共 60 户，新增 0 户，更新 0 户，未变 60 户" in out.out
    )
    headers: list[list[str]] = []
    (invites,) = tmp_path.glob("invites-*.csv")
    for path in (invites, tmp_path / "reads.csv"):
        headers.append(next(csv.reader(path.open(encoding="utf-8-sig"))))
    for path in (tmp_path / "reads.xlsx", tmp_path / "report.xlsx"):
        book = load_workbook(path)
        for sheet in book.worksheets:
            headers.append([str(c.value) for c in sheet[1] if c.value is not None])
            assert not english_words(sheet.title), sheet.title
    for header in headers:
        assert header and not english_words(" ".join(header)), header
    reads = list(csv.DictReader((tmp_path / "reads.csv").open(encoding="utf-8-sig")))
    assert {(r["查看人角色"], r["查看内容"]) for r in reads} == {("", "房屋和角色的历史记录")}
    assert Role.STAFF  # the roles' codes stay the machine keys (JSON, the database)
