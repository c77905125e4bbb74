"""Response templates (常用回复): a compound's ready-made notes for residents, offered when staff
write a note. A compound without templates of its own offers the defaults; `…` marks the part
the staff member completes by typing, and a template ending in a colon is completed after it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, translator
from models import TicketTemplate
from services import audit, notify
from services.actors import Actor
from services.errors import DomainError
from services.policy import Permission, authorize

FILL = "…"  # the part of a template the staff member types
MAX_TEMPLATE = 300
MAX_TEMPLATES = 8  # offered as buttons, one a row
DEFAULTS = (
    N_("Contacted the maintenance contractor; they are expected on site by …."),
    N_("We need more information from you: "),
    N_("Someone has been assigned to handle it; please keep your phone on."),
)


def completes(template: str) -> bool:
    """Whether the staff member types the rest of this template."""
    return FILL in template or template.rstrip().endswith((":", "："))


def complete(template: str, text: str) -> str:
    """The template with the typed part in place of `…` (or after its colon)."""
    if FILL in template:
        return template.replace(FILL, text.strip(), 1)
    return template.rstrip() + text.strip()


def _defaults(session: AsyncSession) -> list[str]:
    """The default templates in the deployment's language (the residents read them)."""
    _ = translator(session.info.get(notify.LANGUAGE, "zh_Hans"))
    return [_.plain(msgid).strip() for msgid in DEFAULTS]


async def _rows(session: AsyncSession, compound_id: int) -> list[TicketTemplate]:
    return list(
        (
            await session.exec(
                select(TicketTemplate)
                .where(col(TicketTemplate.compound_id) == compound_id)
                .order_by(col(TicketTemplate.id))
            )
        ).all()
    )


async def texts(session: AsyncSession, compound_id: int) -> list[str]:
    """The compound's templates, or the defaults when it has none of its own."""
    rows = await _rows(session, compound_id)
    return [r.text for r in rows][:MAX_TEMPLATES] if rows else _defaults(session)


async def _own(
    session: AsyncSession, actor: Actor | None, compound_id: int, *, now: datetime
) -> list[TicketTemplate]:
    """The compound's stored templates; the defaults are stored first when it has none."""
    await authorize(session, actor, Permission.TICKET_SERVICE_LEVELS, compound_id)
    rows = await _rows(session, compound_id)
    if not rows:
        for text in _defaults(session):
            session.add(TicketTemplate(compound_id=compound_id, text=text, created_at=now))
        await session.flush()
        rows = await _rows(session, compound_id)
    return rows


async def add(
    session: AsyncSession, actor: Actor | None, compound_id: int, text: str, *, now: datetime
) -> list[str]:
    """A new template for the compound; its templates after the change."""
    rows = await _own(session, actor, compound_id, now=now)
    text = " ".join((text or "").split())
    if not text:
        raise DomainError(N_("A template needs some text."))
    if len(text) > MAX_TEMPLATE:
        raise DomainError(
            N_("Please keep a template under {limit} characters."), limit=MAX_TEMPLATE
        )
    if text in {r.text for r in rows}:
        raise DomainError(N_("The compound already has that template."))
    if len(rows) >= MAX_TEMPLATES:
        raise DomainError(N_("A compound can have at most {limit} templates."), limit=MAX_TEMPLATES)
    session.add(TicketTemplate(compound_id=compound_id, text=text, created_at=now))
    return await _changed(session, actor, compound_id, "add", now=now)


async def remove(
    session: AsyncSession, actor: Actor | None, compound_id: int, number: int, *, now: datetime
) -> list[str]:
    """Remove the template numbered as listed (from 1); the templates after the change."""
    rows = await _own(session, actor, compound_id, now=now)
    if not 1 <= number <= len(rows):
        raise DomainError(N_("There is no template number {number}."), number=number)
    await session.delete(rows[number - 1])
    return await _changed(session, actor, compound_id, "remove", now=now)


async def _changed(
    session: AsyncSession, actor: Actor | None, compound_id: int, change: str, *, now: datetime
) -> list[str]:
    """The change recorded (audit: compound.ticket_template.add or .remove); the templates."""
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action=f"compound.ticket_template.{change}",
        subject_type="compound",
        subject_id=compound_id,
    )
    await session.flush()
    return [r.text for r in await _rows(session, compound_id)]
