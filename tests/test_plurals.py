"""Counts read right in English: every message with a count goes through ngettext (a static
check over the extracted messages, with an allowlist whose counts can never be 1), every plural
entry of the catalogs has its forms, and screens with 1 and 2 of something say "1 home" and
"2 homes"."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.i18n import translator
from core.settings import Settings
from models import Role
from services.console_votes import MAX_LINES as PAPER_BATCH_LINES
from services.invites import ATTEMPT_WINDOW
from services.kpi import Report, Unit
from services.kpi_figures import Figures
from services.notice_drafts import HEADER_RESERVE, MAX_CAPTION, MAX_TEXT
from services.reversals import REASON_LENGTH
from services.roster_columns import COLUMNS
from services.ticket_dispatch import MAX_REPEAT_MINUTES
from services.ticket_places import MAX_AREA, MAX_AREAS
from services.ticket_reports import MAX_DESCRIPTION, MAX_PHOTOS
from services.ticket_templates import MAX_TEMPLATE, MAX_TEMPLATES
from services.vote_rules import MAX_SETTING_DAYS, MIN_NOTICE_DAYS
from tests.test_cli import _cli
from tests.test_i18n import _extracted
from tests.test_ticket_queue import _add
from tests.test_vote_results import _open_vote, _ticked
from views.kpi import summary_lines

ROOT = Path(__file__).resolve().parents[1]

# English nouns the product counts, in the plural. A count placeholder right before one of them
# (or before one adjective and then one of them: "{count} open tickets") needs ngettext.
PLURAL_NOUNS = (
    "homes households people persons owners residents tenants neighbours members staff "
    "votes ballots candidates objections tickets photos reports notices messages reminders "
    "bills payments receipts credits adjustments rows lines problems files pages sheets "
    "reads codes invites templates areas buildings units grids floors rooms "
    "days hours minutes seconds weeks months years times characters points"
).split()
PLACEHOLDER = r"\{\w+(?:[:!][^}]*)?\}"
NOUN = "|".join(PLURAL_NOUNS)
COUNTED = re.compile(rf"{PLACEHOLDER}\s+(?:[a-z-]+\s+)?(?:{NOUN})\b|{PLACEHOLDER}\s*\w*\(s\)")

# Singular msgids the pattern finds whose count can never be 1, each with why and the smallest
# count it can show (checked below, so a constant lowered to 1 fails the test).
ALWAYS_PLURAL: dict[str, tuple[str, Callable[[], int]]] = {
    "A compound can have at most {limit} templates.": ("MAX_TEMPLATES", lambda: MAX_TEMPLATES),
    "A report can have at most {limit} photos.": ("MAX_PHOTOS", lambda: MAX_PHOTOS),
    "A batch takes at most {count} lines; enter the rest in another batch.": (
        "console_votes.MAX_LINES (paper ballots in one batch)",
        lambda: PAPER_BATCH_LINES,
    ),
    "Give between 1 and {limit} common areas.": ("MAX_AREAS", lambda: MAX_AREAS),
    "Please describe the place in fewer than {limit} characters.": ("MAX_AREA", lambda: MAX_AREA),
    "Please keep the description under {limit} characters.": (
        "MAX_DESCRIPTION",
        lambda: MAX_DESCRIPTION,
    ),
    "Please keep a template under {limit} characters.": ("MAX_TEMPLATE", lambda: MAX_TEMPLATE),
    "Please give the reason in {low} to {high} characters.": (
        "REASON_LENGTH: the upper bound governs the noun",
        lambda: REASON_LENGTH[1],
    ),
    "{column} is longer than {limit} characters": (
        "the shortest roster column limit",
        lambda: min(column.limit for column in COLUMNS.values()),
    ),
    "This text has {length} characters; the limit is {limit} ({what}). Please shorten it.": (
        "shown only when the text is longer than Telegram's limit less the category line",
        lambda: min(MAX_TEXT, MAX_CAPTION) - HEADER_RESERVE + 1,
    ),
    "Too many wrong invite codes. Please wait {minutes} minutes and try again.": (
        "ATTEMPT_WINDOW",
        lambda: int(ATTEMPT_WINDOW.total_seconds() // 60),
    ),
    "Urgent alerts repeat every 1 to {limit} minutes.": (
        "MAX_REPEAT_MINUTES",
        lambda: MAX_REPEAT_MINUTES,
    ),
    "Notice must be between {low} and {high} days: {low} days is the legal minimum, which a "
    "compound may raise but never lower.": (
        "MIN_NOTICE_DAYS (the legal 15) and MAX_SETTING_DAYS",
        lambda: min(MIN_NOTICE_DAYS, MAX_SETTING_DAYS),
    ),
    "The shortest voting period must be between {low} and {high} days.": (
        "MAX_SETTING_DAYS: the upper bound governs the noun",
        lambda: MAX_SETTING_DAYS,
    ),
    "The file has more than {limit} rows (IMPORT_MAX_ROWS); nothing was imported. Split it, or "
    "raise the setting.": (
        "IMPORT_MAX_ROWS is at least 100 (the setting's lower bound)",
        lambda: _lower_bound("import_max_rows"),
    ),
}

# Singular msgids the pattern finds where the placeholder is no count at all.
NOT_A_COUNT = {
    "Notice #{id} now reads:": "{id} is the notice's number and “reads” the verb",
    "{compound} paper ballots #{id}": "{compound} is the compound's name (the sheet's title)",
}


def _lower_bound(field: str) -> int:
    (bound,) = (m.ge for m in Settings.model_fields[field].metadata if hasattr(m, "ge"))
    return int(bound)


def _catalog(language: str):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


# --- (a) the static check -------------------------------------------------------------------
def test_no_singular_message_counts_a_plural_noun() -> None:
    found = sorted(
        message
        for message in _extracted()
        if isinstance(message, str)
        and COUNTED.search(message)
        and message not in ALWAYS_PLURAL
        and message not in NOT_A_COUNT
    )
    assert not found, "use ngettext for these counts:\n" + "\n".join(found)


def test_the_pattern_knows_a_count_when_it_sees_one() -> None:
    for counted in ("{count} homes", "{n} open tickets", "{count} home(s)", "{rows:,} rows"):
        assert COUNTED.search(counted), counted
    for label in ("Ticket #{id} has no photos.", "Homes: {count}", "{kpi} numerator"):
        assert not COUNTED.search(label), label


def test_the_allowlist_is_current_and_its_counts_are_never_one() -> None:
    extracted = _extracted()
    for msgid in NOT_A_COUNT:
        assert msgid in extracted, f"no longer extracted, remove it from NOT_A_COUNT: {msgid!r}"
    for msgid, (why, smallest) in ALWAYS_PLURAL.items():
        assert msgid in extracted, f"no longer extracted, remove it from ALWAYS_PLURAL: {msgid!r}"
        assert COUNTED.search(msgid), f"the pattern no longer finds it: {msgid!r}"
        assert smallest() >= 2, f"{why} can be {smallest()}; use ngettext for {msgid!r}"


# --- (b) the catalogs' plural entries -------------------------------------------------------
def test_every_plural_has_two_english_forms_and_the_first_reads_singular() -> None:
    english = _catalog("en")
    plurals = {m for m in _extracted() if isinstance(m, tuple)}
    assert len(plurals) > 50
    problems = []
    for singular, plural in sorted(plurals):
        entry = english.get(singular)
        forms = entry.string if entry is not None else ()
        if not isinstance(forms, tuple) or len(forms) != 2 or not all(forms):
            problems.append(f"not two forms: {singular!r}: {forms!r}")
            continue
        one, other = forms
        if COUNTED.search(singular) or COUNTED.search(one):
            problems.append(f"the singular reads plural: {one!r}")
        if one == other:
            problems.append(f"both forms alike: {one!r}")
        if str(translator("en").ngettext(singular, plural, 1)) != one:
            problems.append(f"1 does not choose the singular: {singular!r}")
        if str(translator("en").ngettext(singular, plural, 2)) != other:
            problems.append(f"2 does not choose the plural: {singular!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_chinese_has_one_form_for_every_count(language: str) -> None:
    catalog = _catalog(language)
    assert catalog.num_plurals == 1
    wrong = [
        entry.id
        for entry in catalog
        if isinstance(entry.id, tuple) and (len(entry.string) != 1 or not entry.string[0])
    ]
    assert not wrong, wrong


# --- (c) English screens with 1 and 2 -------------------------------------------------------
HEADER = (
    "city,district,sub_district,community,compound,building,unit,room,floor,registered_area,"
    "surveyed_area,contract_area,grid,owner_name,owner_phone,developer_unit\n"
)


def _roster(folder: Path, homes: int, first: int = 0) -> Path:
    """A compound 幸福家园 of `homes` homes in 1栋 1单元 (101, 102, …), one owner each."""
    path = folder / f"roster-{first}-{homes}.csv"
    rows = (
        f"武汉市,江岸区,后湖街道,幸福社区,幸福家园,1栋,1单元,{101 + n},1,90.00,,,第一网格,业主{n},,no\n"
        for n in range(first, first + homes)
    )
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


async def _notice(liaison, text: str) -> list[str]:
    """An English liaison sends a notice to all residents; the preview, the confirmation."""
    await liaison.send("/notice")
    await liaison.press("Service notice")
    await liaison.press("all residents")
    await liaison.send(text)
    await liaison.press("Yes, ask to confirm reading")
    await liaison.press("Send now")
    preview = liaison.last_text
    await liaison.press("Confirm and send")
    return [preview, liaison.last_text]


async def test_a_notice_and_its_delivery_report_to_one_and_two_homes(world, tmp_path):
    await world.seed_roster(_roster(tmp_path, 1))
    first, second = world.user("Ann", language="en"), world.user("Bob", language="en")
    liaison = world.user("Lee", language="en")
    await world.join_as(liaison, Role.LIAISON)
    await world.onboard(first, "1栋 1单元 101", "owner")

    preview, sent = await _notice(liaison, "Water off tomorrow")
    assert "Recipients: 1 person in 1 household" in preview.splitlines()
    assert sent == "Notice #1 is on its way to 1 person. /notices shows the delivery report."
    await world.deliver()
    await liaison.press("Delivery report")
    assert liaison.last_text.splitlines()[-1] == "0 of 1 household not reached"

    await world.seed_roster(_roster(tmp_path, 2))  # 1栋 1单元 102 joins the compound
    await world.onboard(second, "1栋 1单元 102", "owner")
    preview, sent = await _notice(liaison, "Lift repair on Friday")
    assert "Recipients: 2 people in 2 households" in preview.splitlines()
    assert sent == "Notice #2 is on its way to 2 people. /notices shows the delivery report."
    await world.deliver()
    await liaison.press("Delivery report")
    assert liaison.last_text.splitlines()[-1] == "0 of 2 households not reached"
    await liaison.send("/notices")
    statuses = {m.content.splitlines()[0] for m in liaison.bot_messages[-2:]}
    assert statuses == {"Your notice #1: sent to 1 person", "Your notice #2: sent to 2 people"}


async def test_the_staff_ticket_queue_counts_one_and_two_tickets(world, tmp_path):
    await world.seed_roster(_roster(tmp_path, 1))
    await world.onboard(world.user("王芳", language="en"), "1栋 1单元 101", "owner")
    staff = world.user("Sam", language="en")
    await world.join_as(staff, Role.STAFF)
    await _add(world, 1)
    await staff.send("/tickets")
    assert staff.last_text.splitlines()[0] == "1 open ticket (urgent first, then oldest)"
    await _add(world, 1)
    await staff.send("/tickets")
    assert staff.last_text.splitlines()[0] == "2 open tickets (urgent first, then oldest)"


@pytest.mark.parametrize(("homes", "line"), [(1, "1 owner"), (2, "2 owners")])
async def test_the_vote_opening_counts_one_and_two_owners(world, clock, tmp_path, homes, line):
    await world.seed_roster(_roster(tmp_path, homes))
    owner = world.user("Ann", language="en")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await _open_vote(world, clock)
    await _ticked(world)
    opened = [m.content for m in owner.bot_messages if m.content.startswith("Voting is open")]
    assert len(opened) == 1
    assert f"Total headcount: {line}" in opened[0].splitlines()


async def test_the_roster_import_counts_one_and_two_households(
    database_url, monkeypatch, tmp_path, capsys
):
    def run() -> list[int]:
        return [
            _cli(monkeypatch, database_url, "admin", "import-roster", str(path))
            for path in (_roster(tmp_path, 1), _roster(tmp_path, 2))
        ]

    assert await asyncio.to_thread(run) == [0, 0]
    assert capsys.readouterr().out.splitlines() == [
        "Roster imported: 1 household, 1 new, 0 updated, 0 unchanged.",
        "Roster imported: 2 households, 1 new, 0 updated, 1 unchanged.",
    ]


@pytest.mark.parametrize(
    ("engaged", "change"),
    [(41, "vs last month ↑1 point"), (42, "vs last month ↑2 points"), (40, "same as last month")],
)
def test_the_kpi_summary_counts_one_and_two_points(engaged: int, change: str) -> None:
    """The summary's lines as /kpi and the command line show them, for a month of 100 homes
    after one with 40 of them engaged (rendered directly: a trend needs two months of data)."""
    now, before = Figures(households=100, engaged=engaged), Figures(households=100, engaged=40)
    unit = Unit("compound", 1, "幸福家园", now, before)
    report = Report("2026-11", "幸福家园", {"compound": [unit]}, scope_level="compound")
    lines = [str(line) for line in summary_lines(report, translator("en"))]
    participation = next(line for line in lines if line.startswith("Participation"))
    assert participation.endswith(change)
