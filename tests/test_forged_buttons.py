"""Forged buttons, kind by kind: a modified client can send any callback data. Whatever it sends
(a wrong enum value, a non-numeric or huge or negative id, an empty field, extra fields, data
over 64 bytes), the press is answered, the person sees the stale-button or a refusal text, no
error is logged and nothing is stored. (tests/test_fuzz covers the same ground at random.)"""

from __future__ import annotations

import dataclasses
import logging

import pytest
from sqlalchemy import func, text
from sqlmodel import select

import models
from models import Role
from views.callbacks import MAX_BYTES, VERSION, callback_kinds

STALE = "此按钮已不再有效"
SORRY = "出了点问题"
WRONG = ("zzz", "role", "", "x1", "-1", "999999999999999999", "99999999999", "１２")


def _base(field: dataclasses.Field) -> str:
    return {"int": "1", "bool": "1"}.get(str(field.type), "zzz")


def forged_variants(kind: str) -> list[str]:
    """Every field wrong in turn (the others plausible), then too few, too many and too long."""
    fields = dataclasses.fields(callback_kinds()[kind])  # type: ignore[arg-type]
    base = [_base(f) for f in fields]
    found: list[str] = []
    for index, field in enumerate(fields):
        for wrong in WRONG:
            if wrong == base[index] or (str(field.type) == "str" and wrong == "zzz"):
                continue
            values = [*base[:index], wrong, *base[index + 1 :]]
            found.append(":".join([VERSION, kind, *values]))
    found.append(":".join([VERSION, kind, *base, "1"]))
    if base:
        found.append(":".join([VERSION, kind, *base[:-1]]))
    padded = ":".join([VERSION, kind, *base])
    found.append(padded + "9" * (MAX_BYTES + 1 - len(padded)))
    if any(str(f.type) == "str" for f in fields):
        found.append(":".join([VERSION, kind, *("zzz" for _ in base)]))
    return found


def test_every_kind_has_forged_variants() -> None:
    for kind in callback_kinds():
        variants = forged_variants(kind)
        assert variants and all(v.startswith(f"v1:{kind}") for v in variants)
        assert any(len(v.encode()) > MAX_BYTES for v in variants)


async def _row_counts(world) -> dict[str, int]:
    counts = {}
    async with world.session() as session:
        for table in models.metadata.sorted_tables:
            if table.name in ("processed_update", "audit_event", "conversation_state"):
                continue  # every update is recorded; refusals may be audited
            if table.name == "start_attempt":
                continue  # a forged consent code is a wrong guess: counted toward the lockout
            counts[table.name] = (await session.exec(select(func.count()).select_from(table))).one()
    return counts


async def _press_all(person, variants: list[str], caplog) -> None:
    for data in variants:
        answers = len(person.user.callback_answers)
        before = len(person.bot_messages)
        caplog.clear()
        await person.press_data(data, person.bot_messages[-1].message_id)
        assert len(person.user.callback_answers) > answers, f"{data}: the button spins"
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, f"{data}: {errors[0].getMessage()} {errors[0].exc_info}"
        new = person.texts()[before:]
        assert not any(SORRY in t for t in new), f"{data}: {new}"
        alert = person.user.callback_answers[-1].get("text") or ""
        said = alert or (new[-1] if new else person.last_text)
        assert said, f"{data}: no answer at all"


async def _cast(world):
    await world.seed_roster()
    owner, staff, admin = world.user("王芳"), world.user("陈会计"), world.user("管理员")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(admin, Role.ADMIN)
    return owner, staff, admin


@pytest.mark.parametrize("who", ["resident", "staff", "admin"])
async def test_forged_buttons_of_every_kind_are_refused_like_stale_ones(world, caplog, who):
    owner, staff, admin = await _cast(world)
    person = {"resident": owner, "staff": staff, "admin": admin}[who]
    await person.send("/whoami")
    before = await _row_counts(world)
    for kind in sorted(callback_kinds()):
        await _press_all(person, forged_variants(kind), caplog)
    assert await _row_counts(world) == before
    await person.send("/whoami")
    assert SORRY not in person.last_text


# The steps of a conversation with buttons, and the forged answers pressed while it waits.
STEP_VALUES = (
    "zzz",
    "",
    "-1",
    "999999999999999999",
    "99999999999",
    "１",
    "²",
    "1e9",
    "<b>&",
    "cat",
)


def _step_variants(kind: str, steps: list[str]) -> list[str]:
    return [f"{VERSION}:{kind}:{step}:{value}" for step in steps for value in STEP_VALUES] + [
        f"{VERSION}:{kind}:zzz:1",
        f"{VERSION}:{kind}:cat:role",
        f"{VERSION}:{kind}:{steps[0]}",
        f"{VERSION}:{kind}:{steps[0]}:1:1",
    ]


async def test_forged_answers_inside_every_conversation_keep_the_draft(world, caplog):
    """At each question with buttons, forged answers of every step are refused and the flow
    goes on from the same question."""
    from services.fee_flows import PaymentStep
    from services.fee_setting import FeeStep
    from services.notice_drafts import NoticeStep
    from services.ticket_reports import ReportStep
    from services.vote_drafts import VoteStep

    owner, staff, admin = await _cast(world)
    await world.join_as(liaison := world.user("刘书记"), Role.LIAISON)

    await owner.send("/report")
    question = owner.last_message.message_id
    await _press_all(owner, _step_variants("rp", list(ReportStep)), caplog)
    await owner.press("设施设备运行")
    assert "情况紧急吗" in _shown(owner, question)  # the same question, answered
    await owner.press("不紧急")
    await owner.send("灯坏了")
    await owner.press("不加照片")
    await owner.press("在楼栋里")
    await _press_all(owner, _step_variants("rp", [ReportStep.BUILDING]), caplog)  # ids
    await owner.press("1栋")
    await _press_all(owner, _step_variants("rp", [ReportStep.UNIT]), caplog)
    await owner.press("2单元")
    await owner.send("3")
    follow = [f"v1:rp:summary:follow-{n}" for n in ("99999999999", "²", "-1", "", "x")]
    await _press_all(owner, [*_step_variants("rp", [ReportStep.SUMMARY]), *follow], caplog)
    await owner.press("提交报事")
    assert await _rows(world, "ticket") == 1

    await liaison.send("/notice")
    await _press_all(liaison, _step_variants("nq", list(NoticeStep)), caplog)
    await liaison.press("服务通知")
    await _press_all(liaison, _step_variants("nq", list(NoticeStep)), caplog)
    await liaison.press("全体住户")
    await _press_all(liaison, _step_variants("nq", list(NoticeStep)), caplog)
    await liaison.send("明天停水")
    assert "是否需要住户确认已阅读" in liaison.last_text
    await _press_all(liaison, _step_variants("nq", list(NoticeStep)), caplog)
    await liaison.press("否")
    await _press_all(liaison, _step_variants("nq", list(NoticeStep)), caplog)
    await liaison.press("立即发送")
    await _press_all(liaison, _step_variants("nq", list(NoticeStep)), caplog)
    assert await _rows(world, "notice") == 0

    await admin.send("/newvote")
    await _press_all(admin, _step_variants("vd", list(VoteStep)), caplog)
    await admin.send("/cancel")

    await admin.send("/fees")
    await _press_all(admin, _step_variants("fs", list(FeeStep)), caplog)
    await admin.send("1.20")
    await _press_all(admin, _step_variants("fs", list(FeeStep)), caplog)
    await admin.press("按月")
    await admin.send("/cancel")

    await staff.send("/payment")
    await staff.send("1栋 1单元 101")
    await staff.send("100")
    await _press_all(staff, _step_variants("fs", list(PaymentStep)), caplog)
    assert await _rows(world, "payment") == 0


def _shown(person, message_id: int) -> str:
    return person.user.chat.by_id[message_id].content


async def _rows(world, table: str) -> int:
    async with world.session() as session:
        return (await session.exec(text(f"SELECT count(*) FROM {table}"))).one()[0]
