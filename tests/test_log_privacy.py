"""Logs stay free of personal data even at LOG_LEVEL=DEBUG: through joining, a report with free
text, a payment, a notice with a failed send and a vote, no resident's name, phone number, message
text or update body reaches any log line (the libraries' debug output included)."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from core.logging import DATABASE_CONTENT, NOISY, TELEGRAM_BODIES, setup_logging
from jobs.fees import tick as fee_tick
from jobs.votes import tick as vote_tick
from models import Role
from tests.test_fees import _set_fee
from tests.test_notices import _compose
from tests.test_tickets import _report
from tests.test_votes import _draft_in_bot
from tests.utils.hostile import HOSTILE
from tests.utils.paths import SAMPLE_ROSTER
from tests.utils.world import TOKEN

# Markers no log line may carry: what people typed, their names, their numbers.
REPORT = "楼道灯不亮，邻居张三家门口 " + HOSTILE[0]
NOTICE = "明天停水，请联系李四 " + HOSTILE[1]
PHONE = "+86 139 2468 1357"
FIRST, LAST = "Xiaofang王芳", "Zhang张"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """LOG_LEVEL=DEBUG as bot.py sets it up; the levels and filters it sets are restored after."""
    touched = [logging.getLogger(n) for n in (*NOISY, *DATABASE_CONTENT, *TELEGRAM_BODIES)]
    saved = [(logger, logger.level, list(logger.filters)) for logger in touched]
    for name in NOISY:  # as in a fresh process (another test may have run bot.py at INFO)
        logging.getLogger(name).setLevel(logging.NOTSET)
    setup_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    yield caplog
    for logger, level, filters in saved:
        logger.setLevel(level)
        logger.filters[:] = filters


def _roster_people() -> tuple[set[str], set[str]]:
    with SAMPLE_ROSTER.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return {r["owner_name"] for r in rows if r["owner_name"]}, {
        r["owner_phone"] for r in rows if r["owner_phone"]
    }


async def test_no_personal_data_in_debug_logs(world, clock, debug_logs):
    world.runtime.settings.payment_provider_token = "284685063:TEST:provider"
    await world.restart()  # a bot starting under DEBUG logs its API URL (the token masked)
    await world.seed_roster()
    owner = world.user(FIRST, last_name=LAST)
    tenant, admin, liaison, committee = (
        world.user(n) for n in ("租客Wei", "管理员Gao", "刘书记Liu", "周委员Zhou")
    )
    await world.join_as(admin, Role.ADMIN)
    await world.join_as(liaison, Role.LIAISON)
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(tenant, "1栋 1单元 202", "tenant")

    await owner.send("/setphone")
    await owner.send_contact(PHONE)
    assert "已保存" in owner.last_text

    await _report(owner, text=REPORT, photo=False)
    await owner.press("提交报事")
    await world.deliver()

    await _set_fee(admin)
    await fee_tick(world.runtime)
    await owner.send("/bills")
    await owner.press("在 Telegram 中支付 ¥75.18")
    assert (await owner.pay())["answered"]["ok"] is True
    assert "已收到付款" in owner.last_text

    world.block(tenant)  # the notice to the tenant fails: 403
    await _compose(liaison, text=NOTICE)
    await liaison.press("确认发送")
    stats = await world.deliver()
    assert stats.unreachable >= 1
    assert any("停水" in t for t in owner.texts())

    await _draft_in_bot(committee)
    await committee.press("发布")
    await vote_tick(world.runtime)
    await world.deliver()
    clock.advance(days=16)
    await vote_tick(world.runtime)
    await world.deliver()
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("同意")
    assert "回执码" in owner.last_text

    names, phones = _roster_people()
    secrets = {
        REPORT: "report text",
        NOTICE: "notice text",
        "张三": "a name in a report",
        "李四": "a name in a notice",
        PHONE: "phone number",
        PHONE.replace(" ", ""): "phone number",
        FIRST: "Telegram name",
        LAST: "Telegram name",
        "1栋加装电梯": "vote text",
        TOKEN.split(":", 1)[1]: "bot token",
        **{n: "resident name" for n in names},
        **{p: "phone number" for p in phones},
    }
    lines = [f"{r.name}: {r.getMessage()}" for r in debug_logs.records]
    assert len(lines) > 50  # DEBUG was really on, the libraries' lines included, kept short
    assert any("Calling Bot API endpoint `sendMessage` with parameters [" in x for x in lines)
    assert any("Processing update" in x for x in lines)
    assert any(f"bot{TOKEN.split(':')[0]}:***" in x for x in lines)
    leaks = [
        (what, line[:300])
        for line in lines
        for secret, what in secrets.items()
        if secret in line or secret.replace("<", "&lt;") in line
    ]
    bodies = [line[:300] for line in lines if "'message': {" in line or "Update(" in line]
    assert not leaks, "\n".join(f"{what}: {line}" for what, line in leaks[:20])
    assert not bodies, "\n".join(bodies[:10])


async def test_a_database_error_does_not_carry_the_values_it_was_given(database_url):
    """What an error handler logs with its traceback: the statement, never the values."""
    from sqlalchemy.exc import IntegrityError

    from core.db import create_engine, session_factory, unit_of_work
    from models import OutboxMessage

    engine = create_engine(database_url)
    row = {"dedupe_key": f"call:{PHONE}", "purpose": FIRST, "chat_id": 1, "payload": {}}
    now = datetime.now(UTC)
    try:
        with pytest.raises(IntegrityError) as raised:
            for _ in range(2):
                async with unit_of_work(session_factory(engine)) as session:
                    session.add(OutboxMessage(**row, not_before=now, created_at=now))
    finally:
        await engine.dispose()
    assert "INSERT INTO outbox_message" in str(raised.value)
    assert PHONE not in str(raised.value) and FIRST not in str(raised.value)
