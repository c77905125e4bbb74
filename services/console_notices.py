"""The office console's notices: a compound's notices with their delivery and acknowledgement
figures, for those who follow notices up (NOTICE_REPORT: liaisons, staff, administrators), and
one notice's delivery report with the households not reached grouped by grid and its liaisons
(services.notice_reports, an audited read where it names them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Compound, Notice, NoticeAck, OutboxMessage, OutboxStatus, pk
from services import notice_documents, notice_reports
from services.actors import Actor
from services.errors import NotAllowed
from services.notice_documents import DoorGroup
from services.notice_reports import DeliveryReport
from services.notices import SHOWN, purpose
from services.policy import Permission, authorize, compounds, rule

SHOWN_NOTICES = 50


@dataclass(frozen=True)
class NoticeRow:
    notice: Notice
    queued: int  # still on their way
    sent: int  # delivered to Telegram
    missed: int  # failed or unreachable
    acknowledged: int


@dataclass(frozen=True)
class NoticeList:
    compound: Compound
    compounds: list[Compound]  # those the viewer follows notices up in
    rows: list[NoticeRow]


@dataclass(frozen=True)
class NoticePage:
    report: DeliveryReport
    compound: str
    groups: list[DoorGroup]


async def notice_list(session: AsyncSession, actor: Actor, compound_id: int | None) -> NoticeList:
    """The newest notices of a compound the viewer follows notices up in (their first when
    none is named), each with its delivery counts and acknowledgements."""
    mine = await compounds(session, actor, Permission.NOTICE_REPORT)
    if not mine:
        raise NotAllowed(rule(Permission.NOTICE_REPORT).refusal)
    if compound_id is None:
        compound = mine[0]
    else:
        await authorize(session, actor, Permission.NOTICE_REPORT, compound_id)
        compound = next(c for c in mine if c.id == compound_id)
    notices = (
        await session.exec(
            select(Notice)
            .where(col(Notice.compound_id) == compound.id)
            .where(col(Notice.status).in_(SHOWN))
            .order_by(col(Notice.id).desc())
            .limit(SHOWN_NOTICES)
        )
    ).all()
    by_purpose = {purpose(n.id): n.id for n in notices}
    counts: dict[int | None, dict[str, int]] = {}
    if by_purpose:
        for found_purpose, status, count in await session.exec(
            select(col(OutboxMessage.purpose), col(OutboxMessage.status), func.count())
            .where(col(OutboxMessage.purpose).in_(list(by_purpose)))
            .group_by(col(OutboxMessage.purpose), col(OutboxMessage.status))
        ):
            counts.setdefault(by_purpose[found_purpose], {})[status] = int(count)
    acks = dict(
        (
            await session.exec(
                select(col(NoticeAck.notice_id), func.count())
                .where(col(NoticeAck.notice_id).in_([n.id for n in notices]))
                .group_by(col(NoticeAck.notice_id))
            )
        ).all()
    )
    rows = []
    for found in notices:
        by_status = counts.get(found.id, {})
        rows.append(
            NoticeRow(
                found,
                queued=by_status.get(OutboxStatus.QUEUED, 0)
                + by_status.get(OutboxStatus.SENDING, 0),
                sent=by_status.get(OutboxStatus.SENT, 0),
                missed=by_status.get(OutboxStatus.FAILED, 0)
                + by_status.get(OutboxStatus.UNREACHABLE, 0),
                acknowledged=int(acks.get(pk(found), 0)),
            )
        )
    return NoticeList(compound, mine, rows)


async def notice_page(
    session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime
) -> NoticePage:
    """One notice's delivery report (the bot's: it checks NOTICE_REPORT and audits the read of
    the households not reached), those households by grid with the grid's liaisons."""
    report = await notice_reports.delivery_report(session, actor, notice_id, now=now)
    compound = await session.get(Compound, report.notice.compound_id)
    groups = await notice_documents.door_groups(session, report)
    return NoticePage(report, compound.name if compound else "", groups)
