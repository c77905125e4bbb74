"""The office's commands for people over time: `admin revoke`, `admin end-membership`,
`admin transfer-home`, `admin history` and `admin invites --home`, as an administrator runs them."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from models import Household, Invite, Membership
from services.invites import issue_household_invites, redeem_invite
from tests.test_cli import _cli
from tests.utils.identity import bot_has_started
from tests.utils.paths import SAMPLE_ROSTER


async def _resident_of(database_url: str, telegram_id: int, room: str = "101") -> None:
    """A resident registered as the tenant of 1栋 1单元 ROOM, the way an invite does it."""
    runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None))
    now = datetime.now(UTC)
    try:
        async with unit_of_work(runtime.sessions) as session:
            home = (
                await session.exec(
                    select(Household).where(Household.room == room).order_by(col(Household.id))
                )
            ).first()
            assert home is not None and home.id is not None
            issued = await issue_household_invites(
                session, home.compound_id, now=now, ttl=timedelta(days=1), household_ids=[home.id]
            )
            code = next(i.code for i in issued if i.kind == "tenant")
            await redeem_invite(
                session, code, telegram_id=telegram_id, display_name="李娜", language="en", now=now
            )
    finally:
        await runtime.close()


async def _count(database_url: str, statement) -> int:
    runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None))
    try:
        async with runtime.sessions() as session:
            return len((await session.exec(statement)).all())
    finally:
        await runtime.close()


async def test_revoke_a_role_and_see_it_in_the_history(database_url, monkeypatch, capsys):
    def run() -> tuple[int, ...]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        _cli(monkeypatch, database_url, "admin", "grant", "staff", "compound:幸福家园", "555")
        return (
            _cli(monkeypatch, database_url, "admin", "revoke", "staff", "compound:幸福家园", "555"),
            _cli(monkeypatch, database_url, "admin", "revoke", "staff", "compound:幸福家园", "555"),
            _cli(
                monkeypatch, database_url, "admin", "revoke", "wizard", "compound:幸福家园", "555"
            ),
            _cli(monkeypatch, database_url, "admin", "history", "幸福家园", "--person", "555"),
            _cli(monkeypatch, database_url, "admin", "history", "幸福家园", "--roles"),
        )

    assert await asyncio.to_thread(run) == (0, 1, 2, 0, 0)
    captured = capsys.readouterr()
    # the role by its name, typed by its code
    assert "Revoked property staff over compound:幸福家园 from 555." in captured.out
    assert "555 does not hold property staff over compound:幸福家园." in captured.err
    assert "Unknown role wizard" in captured.out
    history = [line for line in captured.out.splitlines() if " · property staff · " in line]
    assert len(history) == 2 and all("ended by the office" in line for line in history)


async def test_end_a_membership_from_the_office(database_url, monkeypatch, capsys):
    await asyncio.to_thread(
        _cli, monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER)
    )
    await _resident_of(database_url, 777)

    def run() -> tuple[int, ...]:
        return (
            _cli(
                monkeypatch, database_url, "admin", "end-membership", "幸福家园", "1-1-101", "777"
            ),
            _cli(
                monkeypatch, database_url, "admin", "end-membership", "幸福家园", "1-1-101", "777"
            ),
            _cli(
                monkeypatch, database_url, "admin", "history", "幸福家园", "--home", "1栋1单元101"
            ),
        )

    assert await asyncio.to_thread(run) == (0, 1, 0)
    captured = capsys.readouterr()
    assert "777 is no longer registered with 1栋 1单元 101." in captured.out
    assert "777 is not registered with that home." in captured.err
    assert "tenant · 李娜 (777)" in captured.out and "(ended by the office)" in captured.out
    assert await _count(database_url, select(Membership)) == 0


async def test_transfer_a_home_prints_the_buyers_invites(
    database_url, monkeypatch, capsys, tmp_path
):
    await bot_has_started(database_url)
    await asyncio.to_thread(
        _cli, monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER)
    )
    await _resident_of(database_url, 888, room="102")

    def run() -> tuple[int, ...]:
        out = ["--out", str(tmp_path)]
        return (
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "transfer-home",
                "幸福家园",
                "1-1-101",
                "2099-01-15",
                "--buyer-name",
                "孙新",
                *out,
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "transfer-home",
                "幸福家园",
                "1-1-101",
                "2099-02-01",
                *out,
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "transfer-home",
                "幸福家园",
                "1-1-102",
                "2020-01-01",
                *out,
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "transfer-home",
                "幸福家园",
                "1-1-103",
                "15.1.2099",
                *out,
            ),
            _cli(monkeypatch, database_url, "admin", "history", "幸福家园", "--home", "1-1-101"),
        )

    assert await asyncio.to_thread(run) == (0, 1, 0, 2, 0)
    captured = capsys.readouterr()
    assert "1栋 1单元 101 will be transferred on Jan 15, 2099" in captured.out
    assert "A transfer of this home on Jan 15, 2099 is already recorded." in captured.err
    assert "1栋 1单元 102 transferred to its new owner on Jan 1, 2020" in captured.out
    assert "YYYY-MM-DD" in captured.out
    assert "Sale on" in captured.out and "→ 孙新 (to come)" in captured.out
    rows = list(csv.DictReader((tmp_path / "invites-1-1.csv").open(encoding="utf-8-sig")))
    assert {r["Invite for"] for r in rows} == {"owner", "tenant"} and len(rows) == 2
    # 1-1-102 is sold already: its tenant stays (a sale does not end a lease).
    assert await _count(database_url, select(Membership)) == 1


async def test_reissue_one_homes_invites(database_url, monkeypatch, capsys, tmp_path):
    await bot_has_started(database_url)

    def run() -> tuple[int, int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        out = ["--out", str(tmp_path)]
        return (
            _cli(monkeypatch, database_url, "admin", "invites", "幸福家园", *out),
            _cli(
                monkeypatch, database_url, "admin", "invites", "幸福家园", "--home", "1-1-101", *out
            ),
        )

    assert await asyncio.to_thread(run) == (0, 0)
    out = capsys.readouterr().out
    assert "120 invite codes" in out and "2 invite codes for 幸福家园." in out
    rows = list(csv.DictReader((tmp_path / "invites-1-1.csv").open(encoding="utf-8-sig")))
    assert [r["Invite for"] for r in rows] == ["owner", "tenant"]
    revoked = select(Invite).where(col(Invite.revoked_at).is_not(None))
    assert await _count(database_url, revoked) == 2  # only the home's two old codes
