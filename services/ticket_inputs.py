"""The answers a ticket's buttons ask for, the next message: the ticket it is for (a typed
draft), what the message says and the photo sent with it, who may follow up on an open ticket,
and staff's notes (with the compound's response templates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Msg
from models import OPEN_STATUSES, Ticket, TicketEvent, TicketPhoto
from services import drafts, ticket_alerts, ticket_templates
from services.actors import Actor
from services.drafts import Draft
from services.errors import BadInput, DomainError, NotAllowed
from services.policy import Permission, authorize, rule
from services.ticket_alerts import Change
from services.ticket_reading import TicketCard, card_of, parties, visible_ticket

MAX_NOTE = 1000
NO_TEMPLATE = N_("That template is not one of the compound's any more; choose again.")
COMPLETE_IT = N_("This template is completed by what you type: write the rest in the box.")
WHOLE_TEMPLATE = N_(
    "This template is sent as it is: clear the box, or choose no template to send your own words."
)


class InputStep(StrEnum):
    """What a person's next message answers, after a button on a ticket asked for it."""

    REJECT = "reject"  # the reason, which the resident sees
    NOTE_PUBLIC = "note_pub"
    NOTE_INTERNAL = "note_int"
    AFTER_PHOTO = "done"  # a photo of the fixed state, or Skip
    COMMENT = "comment"  # a comment on the rating, or No comment
    REOPEN = "reopen"  # why the fix is not good: text, or a photo with a caption
    REMARK = "remark"  # a resident's comment or photo on an open ticket
    QUESTION = "question"  # staff: what the resident is asked (need more information)
    ANSWER = "answer"  # the resident's answer to that question


STAFF_STEPS = (
    InputStep.REJECT,
    InputStep.NOTE_PUBLIC,
    InputStep.NOTE_INTERNAL,
    InputStep.AFTER_PHOTO,
    InputStep.QUESTION,
)


class TicketInput(Draft, flow="ticket_input"):
    """The ticket the awaited answer is for (a note: the templates offered, and the one picked
    to be completed)."""

    ticket_id: int
    templates: list[str] = []
    template: str | None = None


@dataclass(frozen=True)
class Asked:
    ticket: Ticket
    step: InputStep
    templates: tuple[str, ...] = ()  # a note's response templates, offered as buttons
    template: str | None = None  # the template being completed


def still_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(N_("That ticket is already closed."))


async def resident_may_follow_up(
    session: AsyncSession, actor: Actor, ticket: Ticket, step: InputStep | None = None
) -> None:
    """The ticket's people (reporter, filer, followers, the home's members) comment on or urge
    an open ticket; they answer a question only when staff asked one."""
    if actor.resident_id not in await parties(session, ticket):
        raise NotAllowed(rule(Permission.TICKET_CONFIRM).refusal)
    still_open(ticket)
    if step == InputStep.ANSWER and await last_question(session, ticket) is None:
        raise DomainError(drafts.STALE)


async def last_question(session: AsyncSession, ticket: Ticket) -> TicketEvent | None:
    """The newest question staff asked the resident about this ticket."""
    return (
        await session.exec(
            select(TicketEvent)
            .where(col(TicketEvent.ticket_id) == ticket.id)
            .where(col(TicketEvent.kind) == "question")
            .order_by(col(TicketEvent.id).desc())
        )
    ).first()


async def answered(
    session: AsyncSession, actor: Actor, step: InputStep, ticket_id: int | None = None
) -> tuple[Ticket, TicketInput]:
    """The ticket the awaited answer is for, and the draft, which is done with (unless the use
    case fails)."""
    draft = await drafts.load(session, actor, TicketInput, step)
    if ticket_id is not None and ticket_id != draft.ticket_id:
        raise DomainError(drafts.STALE)
    await drafts.finish(session, actor, TicketInput)
    return await visible_ticket(session, actor, draft.ticket_id), draft


async def answered_ticket(
    session: AsyncSession, actor: Actor, step: InputStep, ticket_id: int | None = None
) -> Ticket:
    """The ticket the awaited answer is for (the draft is done with)."""
    return (await answered(session, actor, step, ticket_id))[0]


def add_photo(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    file_id: str,
    *,
    now: datetime,
    after: bool = False,
) -> None:
    """A photo someone sent with an answer, kept with the ticket's photos."""
    assert ticket.id is not None
    session.add(
        TicketPhoto(
            ticket_id=ticket.id,
            file_id=file_id[:200],
            after=after,
            added_by=actor.resident_id,
            at=now,
        )
    )


def said(text: str | None, caption: str | None = None) -> str:
    """What a message says: its text, or a photo's caption."""
    return ((text or caption or "").strip())[:MAX_NOTE]


def text_or_photo(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    text: str | None,
    photo: str | None,
    *,
    now: datetime,
    missing: Msg,
) -> str:
    """A resident's answer that may be words, a photo or both: what it says (the photo is kept
    with the ticket's photos); `missing` refuses an answer with neither."""
    note = said(text)
    if not note and not photo:
        raise DomainError(missing)
    if photo:
        add_photo(session, ticket, actor, photo, now=now)
    return note


async def pick_template(
    session: AsyncSession, actor: Actor, ticket_id: int, number: int, *, now: datetime
) -> TicketCard | Asked:
    """A response template picked for the note: sent as it is, or (with `…` or a colon) kept
    for the staff member to complete by typing."""
    draft = await drafts.load(session, actor, TicketInput, InputStep.NOTE_PUBLIC)
    if draft.ticket_id != ticket_id or not 0 <= number < len(draft.templates):
        raise DomainError(drafts.STALE)
    template = draft.templates[number]
    if ticket_templates.completes(template):
        ticket = await visible_ticket(session, actor, ticket_id)
        await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
        await drafts.save(session, actor, drafts.replace(draft, template=template), now=now)
        return Asked(ticket, InputStep.NOTE_PUBLIC, template=template)
    return await note(session, actor, InputStep.NOTE_PUBLIC, template, now=now, whole=True)


async def note(
    session: AsyncSession,
    actor: Actor,
    step: str,
    text: str,
    *,
    now: datetime,
    whole: bool = False,
) -> TicketCard:
    """A note for the resident (they are told) or an internal one (staff only); typed after a
    template was picked, the text completes that template (`whole`: the template itself)."""
    if step not in (InputStep.NOTE_PUBLIC, InputStep.NOTE_INTERNAL):
        raise DomainError(drafts.STALE)
    ticket, draft = await answered(session, actor, InputStep(step))
    if draft.template and not whole and (text or "").strip():
        text = ticket_templates.complete(draft.template, text.strip())
    return await _write_note(
        session, actor, ticket, text, public=step == InputStep.NOTE_PUBLIC, now=now
    )


async def write_note(
    session: AsyncSession,
    actor: Actor,
    ticket_id: int,
    text: str,
    *,
    public: bool,
    now: datetime,
    template: str = "",
) -> TicketCard:
    """A note in one step (the office console's form): for the resident (they are told) or
    internal (staff only); for the resident, optionally one of the compound's response
    templates, completed by the text where it asks for it (as picking one in the bot)."""
    ticket = await visible_ticket(session, actor, ticket_id)
    if template:
        await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
        text = await _from_template(session, ticket, template, text)
    return await _write_note(session, actor, ticket, text, public=public, now=now)


async def _from_template(session: AsyncSession, ticket: Ticket, template: str, text: str) -> str:
    """The note a template makes: the template with the typed part (`…`, or after its colon),
    or the template as it is, as in the bot (where one that needs no typing is sent at once)."""
    if template not in await ticket_templates.texts(session, ticket.compound_id):
        raise BadInput("template", NO_TEMPLATE)
    if ticket_templates.completes(template):
        if not (text or "").strip():
            raise BadInput("note", COMPLETE_IT)
        return ticket_templates.complete(template, text.strip())
    if (text or "").strip():
        raise BadInput("note", WHOLE_TEMPLATE)
    return template


async def _write_note(
    session: AsyncSession, actor: Actor, ticket: Ticket, text: str, *, public: bool, now: datetime
) -> TicketCard:
    assert ticket.id is not None
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    text = (text or "").strip()
    if not text:
        raise BadInput("note", N_("Please write the note as text."))
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_id=actor.resident_id,
        kind="note",
        note=text[:MAX_NOTE],
        visible=public,
    )
    session.add(event)
    await session.flush()
    await ticket_alerts.tell_residents(
        session, Change(ticket, event), now=now, exclude=actor.resident_id
    )
    return await card_of(session, actor, ticket, now=now)
