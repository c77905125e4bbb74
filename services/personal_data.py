"""What the bot holds about one person (PIPL Art. 45, /mydata), as one JSON document, and who
read their data (the `people.read` audit events naming them or the homes they own).

The document (keys stable, times ISO 8601 UTC, money as decimal strings):
  exported_at; resident {telegram_id, display_name, phone, language, consent_at, registered_at};
  households [{household_id, household, membership, since}]; past_households [... until, reason];
  roles [{role, scope, since}]; past_roles [... until, reason];
  tickets [{id, category, status, home, area, description, created_at, done_at, closed_at,
            rating, rating_comment, reject_reason, history [{at, kind, from, to, note}]}];
  survey_answers [{home, month, scores {...}, comment}];
  ballots [{poll, title, choice, channel, cast_at, receipt_hash, counted_version}];
  objections [{poll, home, text, at}];
  claims [{home, amount, method, status, claimed_at, decided_at}];
  payments [{home, amount, method, paid_on, receipt_no, reversed}];
  notices_received [{notice, category, delivered_at, acknowledged_at}];
  unfinished_inputs; kpi_subscriptions;
  read_by_others [{at, what, record, reader, home}]  — never what was shown;
  activity [{at, action, subject}]  — the person's own audited actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    AuditEvent,
    AuditSubject,
    Ballot,
    Draft,
    KpiSubscription,
    Membership,
    MembershipHistory,
    MembershipKind,
    Notice,
    NoticeAck,
    OutboxMessage,
    OutboxStatus,
    Payment,
    PaymentClaim,
    Poll,
    Resident,
    RoleGrant,
    RoleGrantHistory,
    SurveyAnswer,
    Ticket,
    TicketEvent,
    VoteObjection,
)
from services.actors import Actor
from services.audit import PEOPLE_READ
from services.places import household_labels, scope_name

OWNERS = (MembershipKind.OWNER, MembershipKind.CO_OWNER)
SCORES = ("cleaning", "greening", "order", "repair", "facility", "overall")


@dataclass(frozen=True)
class Read:
    """Someone else saw this person's data: when, what (a `what` code), in which record, by
    whom (their roles, or None for the command line and scheduled jobs)."""

    at: datetime
    what: str
    record: str
    reader_roles: tuple[str, ...]
    by_office: bool  # the command line or a job, not a person in the bot


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


async def reads_of(session: AsyncSession, actor: Actor) -> list[Read]:
    """Every read of the person's data by someone else, oldest first: of the resident, and of
    the roster entries (owner name and phone) of the homes they own."""
    me = actor.resident_id
    homes = [t.household_id for t in actor.households if t.kind in OWNERS]
    whose = [col(AuditSubject.resident_id) == me]
    if homes:
        whose.append(col(AuditSubject.household_id).in_(homes))
    events = (
        await session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action) == PEOPLE_READ)
            .where(col(AuditEvent.id).in_(select(col(AuditSubject.event_id)).where(or_(*whose))))
            .where(or_(col(AuditEvent.actor_id).is_(None), col(AuditEvent.actor_id) != me))
            .order_by(col(AuditEvent.at), col(AuditEvent.id))
        )
    ).all()
    readers = {e.actor_id for e in events if e.actor_id is not None}
    roles: dict[int, set[str]] = {}
    if readers:
        for who, role in await session.exec(
            select(col(RoleGrant.resident_id), col(RoleGrant.role)).where(
                col(RoleGrant.resident_id).in_(readers)
            )
        ):
            roles.setdefault(who, set()).add(role)
        for who, role in await session.exec(
            select(col(RoleGrantHistory.resident_id), col(RoleGrantHistory.role)).where(
                col(RoleGrantHistory.resident_id).in_(readers)
            )
        ):
            roles.setdefault(who, set()).add(role)
    return [
        Read(
            e.at,
            str(e.details.get("what", "")),
            f"{e.subject_type}:{e.subject_id}",
            tuple(sorted(roles.get(e.actor_id, set()))) if e.actor_id is not None else (),
            e.actor_id is None,
        )
        for e in events
    ]


async def document(
    session: AsyncSession,
    actor: Actor,
    resident: Resident,
    roles: list[tuple[str, str, str]],
    reads: list[Read],
    now: datetime,
) -> dict[str, Any]:
    """Everything held about the person (the structure is in the module's docstring)."""
    me = resident.id
    home_ids = [t.household_id for t in actor.households]
    past_homes = (
        await session.exec(
            select(MembershipHistory)
            .where(col(MembershipHistory.resident_id) == me)
            .order_by(col(MembershipHistory.started_at))
        )
    ).all()
    past_roles = (
        await session.exec(
            select(RoleGrantHistory)
            .where(col(RoleGrantHistory.resident_id) == me)
            .order_by(col(RoleGrantHistory.started_at))
        )
    ).all()
    tickets = (
        await session.exec(
            select(Ticket).where(col(Ticket.reporter_id) == me).order_by(col(Ticket.id))
        )
    ).all()
    history: dict[int, list[TicketEvent]] = {}
    if tickets:
        for event in (
            await session.exec(
                select(TicketEvent)
                .where(col(TicketEvent.ticket_id).in_([t.id for t in tickets]))
                .where(col(TicketEvent.visible))
                .order_by(col(TicketEvent.at), col(TicketEvent.id))
            )
        ).all():
            history.setdefault(event.ticket_id, []).append(event)
    answers = (
        await session.exec(
            select(SurveyAnswer)
            .where(
                or_(
                    col(SurveyAnswer.resident_id) == me,
                    col(SurveyAnswer.household_id).in_(home_ids),
                )
            )
            .order_by(col(SurveyAnswer.month), col(SurveyAnswer.id))
        )
    ).all()
    ballots = (
        await session.exec(
            select(Ballot, Poll)
            .join(Poll, col(Poll.id) == col(Ballot.poll_id))
            .where(col(Ballot.cast_by) == me)
            .order_by(col(Ballot.cast_at), col(Ballot.id))
        )
    ).all()
    objections = (
        await session.exec(
            select(VoteObjection)
            .where(col(VoteObjection.resident_id) == me)
            .order_by(col(VoteObjection.id))
        )
    ).all()
    claims = (
        await session.exec(
            select(PaymentClaim)
            .where(
                or_(
                    col(PaymentClaim.claimed_by) == me,
                    col(PaymentClaim.household_id).in_(home_ids),
                )
            )
            .order_by(col(PaymentClaim.id))
        )
    ).all()
    payments = (
        await session.exec(
            select(Payment).where(col(Payment.household_id).in_(home_ids)).order_by(col(Payment.id))
        )
    ).all()
    delivered = (
        await session.exec(
            select(col(OutboxMessage.purpose), col(OutboxMessage.sent_at))
            .where(col(OutboxMessage.resident_id) == me)
            .where(col(OutboxMessage.purpose).startswith("notice:"))
            .where(col(OutboxMessage.status) == OutboxStatus.SENT)
            .order_by(col(OutboxMessage.id))
        )
    ).all()
    acks = {
        a.notice_id: a.at
        for a in (await session.exec(select(NoticeAck).where(col(NoticeAck.resident_id) == me)))
    }
    notice_ids = sorted(
        {int(p.split(":")[1]) for p, _at in delivered if p.split(":")[1].isdigit()} | set(acks)
    )
    notices = {
        n.id: n
        for n in (await session.exec(select(Notice).where(col(Notice.id).in_(notice_ids)))).all()
    }
    sent_at: dict[int, datetime | None] = {}
    for purpose, at in delivered:
        number = purpose.split(":")[1]
        if number.isdigit():
            sent_at.setdefault(int(number), at)
    labels = await household_labels(
        session,
        sorted(
            {h.household_id for h in past_homes}
            | {t.household_id for t in tickets if t.household_id}
            | {a.household_id for a in answers}
            | {o.household_id for o in objections}
            | {c.household_id for c in claims}
            | {p.household_id for p in payments}
            | set(home_ids)
        ),
    )
    unfinished = (await session.exec(select(Draft).where(col(Draft.resident_id) == me))).all()
    subscriptions = (
        await session.exec(select(KpiSubscription).where(col(KpiSubscription.resident_id) == me))
    ).all()
    events = (
        await session.exec(
            select(AuditEvent)
            .where(
                or_(
                    col(AuditEvent.actor_id) == me,
                    (col(AuditEvent.subject_type) == "resident")
                    & (col(AuditEvent.subject_id) == str(me)),
                )
            )
            .order_by(col(AuditEvent.at), col(AuditEvent.id))
        )
    ).all()
    since = {
        m.household_id: m.created_at
        for m in (
            await session.exec(select(Membership).where(col(Membership.resident_id) == me))
        ).all()
    }
    return {
        "exported_at": now.isoformat(),
        "resident": {
            "telegram_id": resident.telegram_id,
            "display_name": resident.display_name,
            "phone": resident.phone,
            "language": resident.language,
            "consent_at": _iso(resident.consent_at),
            "registered_at": resident.created_at.isoformat(),
        },
        "households": [
            {
                "household_id": t.household_id,
                "household": t.label,
                "membership": t.kind,
                "since": _iso(since.get(t.household_id)),
            }
            for t in actor.households
        ],
        "past_households": [
            {
                "household_id": h.household_id,
                "household": labels.get(h.household_id, ""),
                "membership": h.kind,
                "since": _iso(h.started_at),
                "until": _iso(h.ended_at),
                "reason": h.reason,
            }
            for h in past_homes
        ],
        "roles": [{"role": role, "scope": f"{kind}:{name}"} for role, kind, name in roles],
        "past_roles": [
            {
                "role": h.role,
                "scope": f"{h.scope_kind}:{await scope_name(session, h.scope_kind, h.scope_id)}",
                "since": _iso(h.started_at),
                "until": _iso(h.ended_at),
                "reason": h.reason,
            }
            for h in past_roles
        ],
        "tickets": [
            {
                "id": t.id,
                "category": t.category,
                "urgent_kind": t.urgent_kind,
                "status": t.status,
                "home": labels.get(t.household_id) if t.household_id else None,
                "area": t.area,
                "description": t.description,
                "created_at": _iso(t.created_at),
                "done_at": _iso(t.done_at),
                "closed_at": _iso(t.closed_at),
                "rating": t.rating,
                "rating_comment": t.rating_comment,
                "reject_reason": t.reject_reason,
                "history": [
                    {
                        "at": _iso(e.at),
                        "kind": e.kind,
                        "from": e.from_status,
                        "to": e.to_status,
                        "note": e.note,
                    }
                    for e in history.get(t.id or 0, [])
                ],
            }
            for t in tickets
        ],
        "survey_answers": [
            {
                "home": labels.get(a.household_id, ""),
                "month": a.month,
                "scores": {s: getattr(a, s) for s in SCORES},
                "comment": a.comment,
                "answered_by_me": a.resident_id == me,
            }
            for a in answers
        ],
        "ballots": [
            {
                "poll": p.id,
                "title": p.title,
                "choice": list(b.choice),
                "channel": b.channel,
                "version": b.version,
                "cast_at": _iso(b.cast_at),
                "receipt_hash": b.receipt_hash,
            }
            for b, p in ballots
        ],
        "objections": [
            {
                "poll": o.poll_id,
                "home": labels.get(o.household_id, ""),
                "text": o.text,
                "at": _iso(o.created_at),
            }
            for o in objections
        ],
        "claims": [
            {
                "home": labels.get(c.household_id, ""),
                "amount": _money(c.amount),
                "method": c.method,
                "status": c.status,
                "claimed_by_me": c.claimed_by == me,
                "claimed_at": _iso(c.claimed_at),
                "decided_at": _iso(c.decided_at),
            }
            for c in claims
        ],
        "payments": [
            {
                "home": labels.get(p.household_id, ""),
                "amount": _money(p.amount),
                "method": p.method,
                "paid_on": _iso(p.paid_on),
                "receipt_no": p.receipt_no,
                "reversed": p.reversed_at is not None,
            }
            for p in payments
        ],
        "notices_received": [
            {
                "notice": n,
                "category": notices[n].category if n in notices else None,
                "delivered_at": _iso(sent_at.get(n)),
                "acknowledged_at": _iso(acks.get(n)),
            }
            for n in notice_ids
        ],
        "unfinished_inputs": [
            {"flow": d.flow, "step": d.step, "answers": d.data, "at": _iso(d.updated_at)}
            for d in unfinished
        ],
        "kpi_subscriptions": [
            {"scope": f"{s.scope_kind}:{s.scope_id}", "since": _iso(s.created_at)}
            for s in subscriptions
        ],
        "read_by_others": [
            {
                "at": _iso(r.at),
                "what": r.what,
                "record": r.record,
                "reader": list(r.reader_roles) if not r.by_office else "office",
            }
            for r in reads
        ],
        "activity": [
            {"at": _iso(e.at), "action": e.action, "subject": f"{e.subject_type}:{e.subject_id}"}
            for e in events
        ],
    }
