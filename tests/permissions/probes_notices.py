"""Probes of the notice permissions."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from core.i18n import translator
from models import Notice, NoticeAck, NoticeCategory, NoticeStatus, TargetKind, pk
from services.policy import Permission as P
from tests.permissions.cast import Cast
from tests.permissions.probe import Probe, compound_id, preparing, probe, resident_id, saw
from tests.utils.world import Person, World
from views.notice_office import NoticeChoice
from views.notices import AckNotice, NoticeManage

_ = translator("zh_Hans")


def _last(person: Person) -> int | None:
    return person.bot_messages[-1].message_id if person.bot_messages else None


async def _compose(world: World, person: Person, text: str) -> None:
    """/notice to the whole compound, now, without acknowledgement — answered by buttons."""
    await person.send("/notice")
    answers = [
        ("compound", str(await compound_id(world))),
        ("category", NoticeCategory.SERVICE.value),
        ("target", TargetKind.COMPOUND.value),
    ]
    for step, value in answers:
        await person.press_data(NoticeChoice(step, value).pack(), _last(person))
    await person.send(text)
    for step, value in (("ack", "1"), ("when", "now"), ("preview", "1")):
        await person.press_data(NoticeChoice(step, value).pack(), _last(person))
    await person.send("/cancel")


@probe(P.NOTICE_SEND)
async def send(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    marker = f"停水通知 {person.id}"
    await _compose(world, person, marker)
    me = await resident_id(world, person)
    async with world.session() as session:
        found = await session.exec(
            select(col(Notice.id))
            .where(col(Notice.sender_id) == me, col(Notice.compound_id) == await compound_id(world))
            .where(col(Notice.text).contains(marker))
        )
        return me is not None and found.first() is not None


async def _liaisons_notice(world: World, cast: Cast, status: NoticeStatus) -> int:
    """A notice of 幸福家园 sent (or scheduled) by its liaison."""
    now = world.clock.now()
    async with world.session() as session:
        notice = Notice(
            compound_id=await compound_id(world),
            sender_id=await resident_id(world, cast["liaison"]) or 0,
            category=NoticeCategory.SERVICE,
            status=status,
            text="明天上午停水",
            ask_ack=True,
            send_at=now + timedelta(days=1) if status == NoticeStatus.SCHEDULED else None,
            created_at=now,
            queued_at=now if status == NoticeStatus.QUEUED else None,
        )
        session.add(notice)
        await session.flush()
        return pk(notice)


@probe(P.NOTICE_EDIT_OWN, author="liaison")
async def edit_own(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    notice_id = int(str(probe.state["notice"]))
    async with world.session() as session:
        row = await session.get(Notice, notice_id)
        assert row is not None
        row.status = NoticeStatus.SCHEDULED
    await person.press_data(NoticeManage("cancel", notice_id).pack(), _last(person))
    async with world.session() as session:
        row = await session.get(Notice, notice_id)
        assert row is not None
        return row.status == NoticeStatus.CANCELLED


@preparing(P.NOTICE_EDIT_OWN)
async def _scheduled(probe: Probe, world: World, cast: Cast) -> None:
    probe.state["notice"] = await _liaisons_notice(world, cast, NoticeStatus.SCHEDULED)


@probe(P.NOTICE_REPORT)
async def report(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    notice_id = int(str(probe.state["notice"]))
    before = len(person.bot_messages)
    await person.press_data(NoticeManage("report", notice_id).pack(), _last(person))
    title = _("<b>Delivery report</b> — notice #{id}").format(id=notice_id).striptags()
    return saw(person, title, before)


@preparing(P.NOTICE_REPORT)
async def _queued(probe: Probe, world: World, cast: Cast) -> None:
    probe.state["notice"] = await _liaisons_notice(world, cast, NoticeStatus.QUEUED)


@probe(P.NOTICE_ACKNOWLEDGE, parties=("owner", "tenant"))
async def acknowledge(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    notice_id = int(str(probe.state["notice"]))
    await person.press_data(AckNotice(notice_id).pack(), _last(person))
    me = await resident_id(world, person)
    async with world.session() as session:
        found = await session.exec(
            select(col(NoticeAck.id)).where(
                col(NoticeAck.notice_id) == notice_id, col(NoticeAck.resident_id) == me
            )
        )
        return me is not None and found.first() is not None


@preparing(P.NOTICE_ACKNOWLEDGE)
async def _sent_to_the_compound(probe: Probe, world: World, cast: Cast) -> None:
    """The liaison sends a notice asking for acknowledgement; it reaches 幸福家园's residents."""
    await _compose(world, cast["liaison"], "请确认已阅")
    await world.deliver()
    async with world.session() as session:
        probe.state["notice"] = (
            await session.exec(
                select(col(Notice.id)).where(col(Notice.text).contains("请确认已阅"))
            )
        ).one()
