"""PIPL as promised (DOMAIN §8), as people live it: every time staff, a liaison or the office see
someone's name, phone or payments it is recorded (what, whose, by whom, when — never the data),
the person sees who looked in /mydata and the administrator exports it; /forgetme leaves the
person's name and phone nowhere but in the records the law keeps; /mydata exports everything."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import sqlalchemy as sa
from sqlmodel import col, select

import models
from jobs.fees import tick as fee_tick
from jobs.votes import tick as vote_tick
from models import (
    AuditEvent,
    AuditSubject,
    Notice,
    OutboxMessage,
    OutboxStatus,
    PaymentClaim,
    Resident,
    Role,
    TicketEvent,
)
from services import outbox, vote_lifecycle
from services.erasure import phone_pattern
from tests.test_cli import _cli
from tests.test_fees import _set_fee
from tests.test_tickets import _report

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAME, PHONE = "徐丽", "13806480894"  # as the roster has the owner of 1栋 1单元 101
NOT_VOTED = "未投票名单"
# What /forgetme may leave with the person's name or phone: the owner roster of their home, the
# property company's record under the service contract (PIPL Art. 13(2)), kept for billing and
# the vote's headcount, corrected or replaced by the office (a sale, a new roster) — not by the
# person's consent. Everything else is masked, deleted or anonymous (ids only).
KEPT = {("household", "owner_name"), ("household", "owner_phone")}


async def _people(world):
    await world.seed_roster()
    owner, staff, liaison, admin = (world.user(n) for n in (NAME, "陈师傅", "刘书记", "管理员"))
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(liaison, Role.LIAISON)
    await world.join_as(admin, Role.ADMIN)
    await owner.send("/setphone")
    await owner.send(PHONE)
    return owner, staff, liaison, admin


async def _id(world, person) -> int:
    async with world.session() as session:
        return (
            await session.exec(
                select(col(Resident.id)).where(col(Resident.telegram_id) == person.id)
            )
        ).one()


async def _open_vote(world, clock) -> None:
    now = clock.now()
    async with world.session() as session:
        await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="续聘物业服务企业",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=now + timedelta(days=30),
            now=now,
        )
    clock.advance(days=15, minutes=1)
    await vote_tick(world.runtime)
    await world.deliver()


async def _claim(world, person) -> None:
    """The person said "I have paid" for their home (the QR-code flow is tested in test_fees)."""
    home = await world.household_id("1栋", "1单元", "101")
    me = await _id(world, person)
    async with world.session() as session:
        session.add(
            PaymentClaim(
                household_id=home,
                compound_id=1,
                claimed_by=me,
                amount=Decimal("75.18"),
                method="wechat",
                claimed_at=world.clock.now(),
            )
        )


async def _reads(world) -> dict[str, tuple[int | None, set[int], set[int]]]:
    """what -> (reader, resident ids, household ids) of each people.read event."""
    async with world.session() as session:
        events = (
            await session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.action) == "people.read")
                .order_by(col(AuditEvent.id))
            )
        ).all()
        subjects = (await session.exec(select(AuditSubject))).all()
    found = {}
    for e in events:
        mine = [s for s in subjects if s.event_id == e.id]
        found[e.details["what"]] = (
            e.actor_id,
            {s.resident_id for s in mine if s.resident_id},
            {s.household_id for s in mine if s.household_id},
        )
    return found


async def test_every_look_at_someones_data_is_recorded_and_they_see_who_looked(
    world, clock, database_url, tmp_path
):
    owner, staff, liaison, admin = await _people(world)
    me, staff_id, liaison_id = [await _id(world, p) for p in (owner, staff, liaison)]
    home = await world.household_id("1栋", "1单元", "101")
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    assert f"报事人：{NAME} · {PHONE}" in staff.last_text
    await _open_vote(world, clock)
    await liaison.send("/vote")
    await liaison.press("#1")
    await liaison.press(NOT_VOTED)
    assert "58 户尚未投票" in liaison.last_text
    await _set_fee(admin)
    await fee_tick(world.runtime)
    clock.advance(days=40)
    await staff.send("/arrears")
    await _claim(world, owner)
    await staff.send("/claims")
    assert "1栋 1单元 101 报告已缴纳 ¥75.18" in staff.last_text

    reads = await _reads(world)
    assert set(reads) == {"reporter", "not_voted", "arrears", "claims"}
    assert reads["reporter"] == (staff_id, {me}, set())
    reader, people, homes = reads["not_voted"]
    assert (reader, people, len(homes)) == (liaison_id, set(), 58) and home in homes
    reader, people, homes = reads["arrears"]
    assert reader == staff_id and not people and home in homes and len(homes) > 50
    assert reads["claims"] == (staff_id, {me}, {home})
    async with world.session() as session:  # what was read, never the data itself
        events = (await session.exec(select(AuditEvent))).all()
    assert not any(NAME in json.dumps(e.details, ensure_ascii=False) for e in events)
    assert not any(PHONE in json.dumps(e.details) for e in events)

    # The person sees who looked: in the file, and the latest in the summary.
    await owner.send("/language")
    await owner.press("English")
    await owner.send("/mydata")
    summary = owner.texts()[-2]
    assert "Household: 1栋 1单元 101 (owner)" in summary
    assert "Others have seen your data 4 times; the latest:" in summary
    assert "property staff saw the reported payments waiting" in summary
    assert "Party-member liaison saw the list of homes that have not voted" in summary
    data = json.loads(world.emulator.file_bytes(owner.last_message.document["file_id"]))
    assert [(r["what"], r["reader"]) for r in data["read_by_others"]] == [
        ("reporter", ["staff"]),
        ("not_voted", ["liaison"]),
        ("arrears", ["staff"]),
        ("claims", ["staff"]),
    ]
    assert data["read_by_others"][0]["record"] == "ticket:1"

    # The administrator's workbook in the bot, and the export on the command line: one row per
    # person or home read, without the names or phones of those read.
    await staff.send("/audit")
    assert "只有本小区的管理员" in staff.last_text or "Only an administrator" in staff.last_text
    await admin.send("/audit 2026-11-01")
    book = openpyxl.load_workbook(
        io.BytesIO(world.emulator.file_bytes(admin.last_message.document["file_id"]))
    )
    assert book.sheetnames == ["幸福家园"] and book.active.max_row > 100
    assert not any(PHONE in str(c.value) for row in book.active.iter_rows() for c in row if c.value)
    out = tmp_path / "reads.csv"
    sheet = tmp_path / "reads.xlsx"

    async with world.session() as session:
        rows = len((await session.exec(select(AuditSubject))).all())
    done = await asyncio.to_thread(_export, database_url, out, sheet)
    assert done == (0, 0, 2)
    lines = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8").lstrip("\ufeff"))))
    assert lines[0] == [
        "Time",
        "Read by",
        "Reader's Telegram ID",
        "Reader's roles",
        "What was shown",
        "Record",
        "Whose: person no.",
        "Whose: home",
    ]
    assert len(lines) == 1 + rows
    assert lines[1][1:] == [  # the role and what was shown by their names
        "陈师傅",
        str(staff.id),
        "property staff",
        "the reporter's contact on a ticket card",
        "ticket:1",
        str(me),
        "1栋 1单元 101",
    ]
    assert [r[4] for r in lines[1:]].count("the list of homes that have not voted") == 58
    assert PHONE not in out.read_text(encoding="utf-8")
    book = openpyxl.load_workbook(sheet)
    assert book.active.max_row == 1 + rows and book.active["A2"].is_date


def _export(database_url: str, out: Path, sheet: Path) -> tuple[int, int, int]:
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        first = _cli(
            patch,
            database_url,
            "admin",
            "audit",
            "--compound",
            "幸福家园",
            "--since",
            "2026-11-01",
            "--out",
            str(out),
        )
        second = _cli(
            patch,
            database_url,
            "admin",
            "audit",
            "--compound",
            "幸福家园",
            "--since",
            "2026-11-01",
            "--out",
            str(sheet),
        )
        wrong = _cli(
            patch,
            database_url,
            "admin",
            "audit",
            "--compound",
            "幸福家园",
            "--since",
            "2026-11-01",
            "--out",
            str(out.with_suffix(".pdf")),
        )
    return first, second, wrong


def _texts(value: object) -> list[str]:
    """Every string in a stored value (a JSON document's keys and values too)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


def _textual(column: sa.Column) -> bool:
    kind = column.type
    impl = getattr(kind, "impl", kind)
    return isinstance(kind, sa.String | sa.Text | sa.JSON) or isinstance(
        impl, sa.String | sa.Text | sa.JSON
    )


async def _where_named(world) -> set[tuple[str, str]]:
    """(table, column) of every text and JSON column of every table holding the name or the
    phone, however it is written (spaces, dashes, +86)."""
    phone = phone_pattern(PHONE)
    assert phone is not None
    found = set()
    async with world.session() as session:
        connection = await session.connection()
        for table in models.metadata.sorted_tables:
            columns = [c for c in table.columns if _textual(c)]
            if not columns:
                continue
            for row in (await connection.execute(sa.select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str) and isinstance(column.type, sa.JSON):
                        value = json.loads(value)
                    if any(NAME in t or phone.search(t) for t in _texts(value)):
                        found.add((table.name, column.name))
    return found


async def test_forgetme_after_a_week_leaves_the_name_and_phone_only_where_the_law_keeps_them(
    world, clock
):
    owner, staff, _liaison, _admin = await _people(world)
    me = await _id(world, owner)
    # A week of activity: two reports with the name and phone in them, written two ways.
    await _report(owner, photo=False, text=f"我是{NAME}，电话 138 0648 0894，3楼楼道灯不亮")
    await owner.press("提交报事")
    await _report(owner, photo=False, text=f"{NAME}（+86 138-0648-0894）：楼下噪音")
    await owner.press("提交报事")
    await world.deliver()  # the staff were told, with the description
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("内部备注")
    await staff.send(f"已电话联系{NAME}（{PHONE}），明天上门")
    await staff.press("给住户的说明")
    await staff.send(f"{NAME}您好，灯管已订购")
    clock.advance(days=1)
    await owner.send("/rate")
    await owner.press("5", owner.last_message.message_id)
    await owner.press("补充意见")
    await owner.send(f"保洁很好——{NAME} {PHONE}")
    await _claim(world, owner)
    await staff.send("/claims")
    async with world.session() as session:  # a notice naming her, delivered to her and staff
        notice = Notice(
            compound_id=1,
            sender_id=await _id(world, staff),
            text=f"感谢{NAME}业主捐赠的花木",
            status="queued",
            created_at=clock.now(),
        )
        session.add(notice)
        await session.flush()
        people = (
            await session.exec(
                select(Resident).where(col(Resident.telegram_id).in_([owner.id, staff.id]))
            )
        ).all()
        await outbox.enqueue(
            session,
            f"notice:{notice.id}",
            [
                outbox.Outgoing(
                    chat_id=p.telegram_id, payload={"text": notice.text}, resident_id=p.id
                )
                for p in people
            ],
            now=clock.now(),
            quiet=None,
        )
    await world.deliver()
    await _open_vote(world, clock)
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("同意")
    assert "回执码" in owner.last_text
    async with world.session() as session:  # a message still waiting for staff names her too
        staff_row = (
            await session.exec(select(Resident).where(col(Resident.telegram_id) == staff.id))
        ).one()
        notify_later = outbox.Outgoing(
            chat_id=staff.id, payload={"text": f"回访{NAME} {PHONE}"}, resident_id=staff_row.id
        )
        await outbox.enqueue(
            session, "test:later", [notify_later], now=clock.now() + timedelta(days=3), quiet=None
        )
    assert await _where_named(world) == KEPT | {  # where she is before
        ("resident", "display_name"),
        ("resident", "phone"),
        ("ticket", "description"),
        ("ticket_event", "note"),
        ("survey_answer", "comment"),
        ("notice", "text"),
        ("outbox_message", "payload"),  # the message still waiting (delivered ones are blank)
    }

    await owner.send("/forgetme")
    await owner.press("是的，删除")
    assert "已删除" in owner.last_text
    assert await _where_named(world) == KEPT
    async with world.session() as session:
        resident = await session.get(Resident, me)
        assert resident is not None and resident.forgotten_at and not resident.display_name
        notes = (
            await session.exec(select(TicketEvent).where(col(TicketEvent.note).is_not(None)))
        ).all()
        assert {n.note for n in notes} >= {"已电话联系***（***），明天上门", "***您好，灯管已订购"}
        delivered = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.SENT)
            )
        ).all()
        assert delivered and all(m.payload == {} for m in delivered)  # blank once delivered
        waiting = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.purpose) == "test:later")
            )
        ).one()
        assert waiting.status == OutboxStatus.QUEUED and waiting.payload == {"text": "回访*** ***"}
        # The vote stays as an anonymous unit (Civil Code Art. 278: the count must be kept).
        ballots = (await session.exec(select(models.Ballot))).all()
        assert [b.cast_by for b in ballots] == [me]


async def test_mydata_exports_every_section_with_its_content(world, clock):
    owner, staff, _liaison, admin = await _people(world)
    me, staff_id = await _id(world, owner), await _id(world, staff)
    await _report(owner, photo=False, text="3楼楼道灯不亮")
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("内部备注")
    await staff.send("需要买新灯管")  # internal: not hers to see
    await staff.press("给住户的说明")
    await staff.send("灯管已订购")
    await owner.send("/rate")
    await owner.press("5", owner.last_message.message_id)
    await owner.press("补充意见")
    await owner.send("保洁很好")
    await _set_fee(admin)
    await fee_tick(world.runtime)
    await _claim(world, owner)
    await staff.send("/claims")
    await staff.press("款项已到账")
    async with world.session() as session:
        notice = Notice(
            compound_id=1,
            sender_id=staff_id,
            text="停水通知",
            status="queued",
            created_at=clock.now(),
        )
        session.add(notice)
        await session.flush()
        await outbox.enqueue(
            session,
            f"notice:{notice.id}",
            [outbox.Outgoing(chat_id=owner.id, payload={"text": notice.text}, resident_id=me)],
            now=clock.now(),
            quiet=None,
        )
        session.add(models.NoticeAck(notice_id=notice.id, resident_id=me, at=clock.now()))
    await world.deliver()
    await _open_vote(world, clock)
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("同意")
    await world.join_as(owner, Role.LIAISON, "grid:第一网格")

    await owner.send("/mydata")
    summary = owner.texts()[-2]
    assert "1栋 1单元 101" in summary and "第一网格" in summary  # the homes and roles by name
    data = json.loads(world.emulator.file_bytes(owner.last_message.document["file_id"]))
    assert set(data) == {
        "exported_at",
        "resident",
        "households",
        "past_households",
        "roles",
        "past_roles",
        "tickets",
        "survey_answers",
        "ballots",
        "objections",
        "claims",
        "payments",
        "notices_received",
        "unfinished_inputs",
        "kpi_subscriptions",
        "read_by_others",
        "activity",
    }
    assert (data["resident"]["display_name"], data["resident"]["phone"]) == (NAME, PHONE)
    assert [(h["household"], h["membership"]) for h in data["households"]] == [
        ("1栋 1单元 101", "owner")
    ]
    assert data["households"][0]["since"]
    assert [r["role"] for r in data["roles"]] == ["liaison"]
    (ticket,) = data["tickets"]
    assert (ticket["id"], ticket["description"], ticket["home"]) == (
        1,
        "3楼楼道灯不亮",
        "1栋 1单元 101",
    )
    notes = [e["note"] for e in ticket["history"] if e["note"]]
    assert notes == ["灯管已订购"]  # the internal note is the office's, not shown to her
    (answer,) = data["survey_answers"]
    assert (answer["home"], answer["comment"], answer["answered_by_me"]) == (
        "1栋 1单元 101",
        "保洁很好",
        True,
    )
    assert 5 in answer["scores"].values() and set(answer["scores"]) >= {"overall", "cleaning"}
    (ballot,) = data["ballots"]
    assert ballot["choice"] == ["agree"] and ballot["channel"] == "bot" and ballot["receipt_hash"]
    assert ballot["title"] == "续聘物业服务企业"
    (claim,) = data["claims"]
    assert (claim["amount"], claim["method"], claim["status"]) == ("75.18", "wechat", "confirmed")
    (payment,) = data["payments"]
    assert (payment["amount"], payment["receipt_no"], payment["reversed"]) == ("75.18", 1, False)
    (received,) = data["notices_received"]
    assert received["delivered_at"] and received["acknowledged_at"]
    reads = [(r["what"], r["reader"]) for r in data["read_by_others"]]
    assert ("reporter", ["staff"]) in reads and ("claims", ["staff"]) in reads
    assert any(a["action"] == "resident.set_phone" for a in data["activity"])


async def test_a_delivered_file_with_names_is_deleted_a_day_after_nothing_waits_for_it(
    world, clock
):
    from jobs.housekeeping import prune
    from services import media

    await world.seed_roster()
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    async with world.session() as session:
        sheet = await media.store(session, "徐丽,13806480894".encode(), "list.csv", now=clock.now())
        later = await media.store(session, b"for tomorrow", "later.csv", now=clock.now())
        people = (
            await session.exec(select(Resident).where(col(Resident.telegram_id) == liaison.id))
        ).one()

        def message(media_id: int) -> outbox.Outgoing:
            return outbox.Outgoing(
                chat_id=liaison.id,
                payload={"text": "名单", "document_media": media_id},
                resident_id=people.id,
            )

        await outbox.enqueue(session, "list:now", [message(sheet)], now=clock.now(), quiet=None)
        await outbox.enqueue(
            session, "list:later", [message(later)], now=clock.now() + timedelta(days=5), quiet=None
        )
    await world.deliver()
    assert liaison.last_message.kind == "document"
    clock.advance(days=2)
    await prune(world.runtime)
    async with world.session() as session:
        kept = {m.id for m in (await session.exec(select(models.Media))).all()}
        sent = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.purpose) == "list:now")
            )
        ).one()
    assert kept == {later}  # the delivered one is gone; the one still waiting stays
    assert sent.status == OutboxStatus.SENT and sent.payload == {} and sent.sent_at


def test_a_phone_is_found_however_it_is_written_and_a_latin_name_only_as_a_word():
    from services.erasure import Masker

    masker = Masker(["Li", NAME, "王"], [PHONE])
    assert (
        masker.text(
            f"Li: the Lift; {NAME} +86 138-0648-0894, 138 0648 08945, 8613806480894 (138.0648.0894)"
        )
        == "***: the Lift; *** ***, 138 0648 08945, *** (***)"
    )
    assert masker.text("王师傅") == "王师傅"  # a one-character name would mask every word
    assert masker.document({"text": f"{NAME}", "n": 1, "list": [PHONE]}) == {
        "text": "***",
        "n": 1,
        "list": ["***"],
    }
