"""The monthly report to subscribers: on the 1st at 08:00 (an APScheduler cron job, and once at
start-up to catch up after downtime) each subscriber gets last month's report of their scope —
text, chart and workbook — exactly once per month and scope, recorded in kpi_delivery in the same
transaction as the queued messages."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time

from sqlalchemy import exists
from sqlmodel import col, select

from core.db import insert_many, unit_of_work
from core.i18n import translator
from core.runtime import Runtime
from models import KpiDelivery, KpiSubscription, Resident, RoleGrant
from services import kpi, media, outbox
from services.places import scope_name
from services.surveys import month_of, previous_month
from views.kpi import chart, summary_text, workbook

log = logging.getLogger(__name__)
SEND_AT = time(8, 0)


async def deliver_monthly(runtime: Runtime) -> int:
    """Last month's report to every subscriber not served yet; nothing before the 1st at 08:00."""
    now = runtime.clock.now()
    tz = runtime.settings.tz
    local = now.astimezone(tz)
    send_time = datetime.combine(local.date().replace(day=1), SEND_AT, tzinfo=tz)
    if local < send_time:
        return 0
    month = previous_month(month_of(local.date()))
    queued = 0
    async with unit_of_work(runtime.sessions) as session:
        # Subscribed before this month's send time (a later subscriber has just seen the report) and
        # still holding a role that may read the scope (a transferred officer stops receiving it).
        still_allowed = exists().where(
            RoleGrant.resident_id == KpiSubscription.resident_id, col(RoleGrant.role).in_(kpi.VIEWER_ROLES),
            RoleGrant.scope_kind == KpiSubscription.scope_kind, RoleGrant.scope_id == KpiSubscription.scope_id,
        )  # fmt: skip
        pending = (await session.exec(
            select(KpiSubscription, Resident).join(Resident, Resident.id == KpiSubscription.resident_id)
            .where(col(Resident.telegram_id).is_not(None), KpiSubscription.created_at < send_time, still_allowed)
            .order_by(KpiSubscription.resident_id)
        )).all()  # fmt: skip
        done = set((await session.exec(
            select(KpiDelivery.resident_id, KpiDelivery.scope_kind, KpiDelivery.scope_id).where(KpiDelivery.month == month)
        )).all())  # fmt: skip
        reports: dict[tuple[str, int], kpi.Report] = {}
        deliveries = []
        for subscription, person in pending:
            key = (subscription.scope_kind, subscription.scope_id)
            if (person.id, *key) in done:
                continue
            if key not in reports:
                name = await scope_name(session, *key)
                reports[key] = await kpi.report(session, *key, name, month, tz)
            report = reports[key]
            _ = translator(person.language or "")
            drawn, book = await asyncio.gather(asyncio.to_thread(chart, report, _),
                                                asyncio.to_thread(workbook, report, _))  # fmt: skip
            png = await media.store(session, drawn, f"kpi-{month}-{key[0]}-{key[1]}.png", now=now)
            sheet = await media.store(session, book, f"kpi-{month}-{key[0]}-{key[1]}.xlsx", now=now)
            purpose = f"kpi:{month}:{key[0]}:{key[1]}"
            for part, payload in (("text", {"text": summary_text(report, _)}), ("chart", {"photo_media": png}),
                                  ("sheet", {"document_media": sheet})):  # fmt: skip
                queued += await outbox.enqueue(
                    session, f"{purpose}:{part}",
                    [outbox.Outgoing(chat_id=person.telegram_id, payload=payload, resident_id=person.id,
                                     recipient_key=str(person.id))],
                    now=now, quiet=None,
                )  # fmt: skip
            deliveries.append({"resident_id": person.id, "scope_kind": key[0], "scope_id": key[1], "month": month,
                               "queued_at": now})  # fmt: skip
        await insert_many(
            session,
            KpiDelivery,
            deliveries,
            skip_conflicts_on=["resident_id", "scope_kind", "scope_id", "month"],
        )
    if deliveries:
        log.info("monthly report %s queued for %s subscribers", month, len(deliveries))
        runtime.wake_outbox()
    return len(deliveries)
