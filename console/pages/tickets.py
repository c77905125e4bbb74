"""Tickets: the staff queue as a board (columns by status, a GET form of filters, closed ones on
their own), a ticket's page (description, place, the reporter's contact for staff as an audited
read, photos, history, due time) with the staff's actions as forms, and its photos served from
the Bot API. Each action goes through the same service as the bot's button."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.web_request import FileField

from console import telegram_files
from console.app import Ctx, Render, Then, redirect
from core.i18n import N_, Msg, plain
from models import OPEN_STATUSES, Ticket, TicketCategory, TicketStatus
from services import (
    ticket_dispatch,
    ticket_followups,
    ticket_inputs,
    ticket_queue,
    ticket_reading,
    ticket_templates,
    tickets,
)
from services.errors import BadInput, DomainError, NotAllowed, NotFound
from services.ticket_queue import Flag, QueuePage
from services.ticket_rules import CLOSED, TicketAction, WorkAction
from views.emergencies import urgent_text

if TYPE_CHECKING:
    from console.app import Console

S = TicketStatus
# The board's columns, as the office calls them.
COLUMNS: dict[str, Msg] = {
    S.NEW: N_("New"),
    S.ACKNOWLEDGED: N_("Acknowledged"),
    S.IN_PROGRESS: N_("In progress"),
    S.DONE: N_("Done, waiting for the resident's confirmation"),
    S.REOPENED: N_("Reopened"),
}
BOARD_SIZE = 100  # tickets on one page of the board
CLOSED_SIZE = 50
MOVES = (TicketAction.ACKNOWLEDGE, TicketAction.START)  # the actions that need nothing more
BAD_FILTER = N_("That filter is not one of those offered; choose again from the form.")
NO_PHOTO = N_("That photo does not exist.")
PHOTO_UNAVAILABLE = N_("Telegram did not give this photo just now. Try again in a minute.")
NOT_A_PHOTO = N_("Upload a photo (JPEG, PNG or WebP) of at most 10 MB.")
NO_UPLOAD = N_(
    "The photo could not be sent through the bot, so the ticket was not marked done. Make "
    "sure you have not blocked the bot, then try again, or finish it without a photo."
)
NO_BOT = N_("This console cannot reach the bot of this compound; finish it without a photo.")
# NOTE: the caption of the photo the console sends to the staff member's own chat.
OWN_COPY = N_(
    "The photo of the fixed state for ticket #{id}, uploaded in the office console; the "
    "resident is sent it with the request to confirm."
)
DONE = {
    "acknowledge": N_("The ticket is acknowledged; the resident was told in the bot."),
    "start": N_("Work on the ticket has started; the resident was told in the bot."),
    "assign": N_("The ticket is assigned; your colleague was told in the bot."),
    "note_pub": N_("The note was sent to the resident in the bot."),
    "note_int": N_("The internal note was added."),
    "done": N_("The ticket is marked done; the resident was asked in the bot to confirm."),
    "reject": N_("The ticket is rejected; the resident was told the reason in the bot."),
    "question": N_(
        "The question was sent to the resident in the bot; their answer comes to you in the bot "
        "and is kept in the history."
    ),
    "take": N_("You have taken the ticket; it is assigned to you."),
}


@dataclass(frozen=True)
class Filters:
    """The board's filter form as sent (the values only; the service checks them)."""

    compound: str = ""
    building: str = ""
    category: str = ""
    who: str = ""  # "", "mine", "unassigned" or a colleague's "a<id>"
    urgent: bool = False
    overdue: bool = False
    closed: bool = False

    def key(self) -> str:
        """The filter as the queue's key; a value no form offers is refused."""
        parts = [f.value for f in (Flag.URGENT, Flag.OVERDUE) if getattr(self, f.value)]
        if self.who in (Flag.MINE, Flag.UNASSIGNED):
            parts.append(self.who)
        elif self.who:
            parts.append(_numbered("a", self.who.removeprefix("a")))
        if self.compound:
            parts.append(_numbered("c", self.compound))
        if self.building:
            parts.append(_numbered("b", self.building))
        if self.category:
            if self.category not in {c.value for c in TicketCategory}:
                raise DomainError(BAD_FILTER)
            parts.append(self.category)
        return "_".join(parts)


def _numbered(prefix: str, value: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise DomainError(BAD_FILTER)
    return f"{prefix}{int(value)}"


def _filters(ctx: Ctx) -> Filters:
    query = ctx.request.query

    def text(name: str) -> str:
        return query.get(name, "").strip()[:20]

    return Filters(
        compound=text("compound"),
        building=text("building"),
        category=text("category"),
        who=text("who"),
        urgent=query.get("urgent") == "1",
        overdue=query.get("overdue") == "1",
        closed=query.get("view") == "closed",
    )


def _page_number(ctx: Ctx) -> int:
    value = ctx.request.query.get("page", "1")
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise DomainError(BAD_FILTER)
    return max(int(value), 1) - 1


async def board(ctx: Ctx) -> Render:
    chosen = _filters(ctx)
    choices = await ticket_queue.filter_choices(ctx.session, ctx.actor)
    try:
        found = await ticket_queue.filter_from_key(ctx.session, ctx.actor, chosen.key())
        page: QueuePage = await ticket_queue.queue(
            ctx.session,
            ctx.actor,
            found,
            now=ctx.now(),
            page=_page_number(ctx),
            size=CLOSED_SIZE if chosen.closed else BOARD_SIZE,
            statuses=CLOSED if chosen.closed else (*OPEN_STATUSES, S.DONE),
            newest_first=chosen.closed,
        )
    except NotAllowed:
        raise
    except DomainError:  # a value no form offers, or a page that is not there (any more)
        raise DomainError(BAD_FILTER) from None
    counts = await ticket_queue.status_counts(
        ctx.session, ctx.actor, found, now=ctx.now(), statuses=tuple(COLUMNS)
    )
    columns: dict[str, list[Ticket]] = {s: [] for s in COLUMNS}
    for ticket in page.tickets:
        columns.setdefault(ticket.status, []).append(ticket)
    assignees = {t.assignee_id for t in page.tickets if t.assignee_id is not None}
    query = {k: v for k, v in ctx.request.query.items() if k != "page"}
    return Render(
        "tickets_board.html",
        {
            "chosen": chosen,
            "choices": choices,
            "page": page,
            "columns": []
            if chosen.closed
            else [(m, columns[s], counts.get(s, 0)) for s, m in COLUMNS.items()],
            "buildings": {b.id: b.name for b in choices.buildings},
            "compounds": {c.id: c.name for c in choices.compounds},
            "names": await ticket_reading.names(ctx.session, assignees),
            "categories": list(TicketCategory),
            "me": ctx.actor.resident_id,
            "now": ctx.now(),
            "query": query,
            "total": ctx._.ngettext("{count} ticket", "{count} tickets", page.total).format(
                count=ctx._.number(page.total)
            ),
        },
    )


async def _ticket_page(
    ctx: Ctx, ticket_id: int, *, errors: dict[str, Any] | None = None, entered: Any = None
) -> Render:
    session, actor, now = ctx.session, ctx.actor, ctx.now()
    card = await ticket_reading.card(session, actor, ticket_id, now=now)
    found = await ticket_reading.history(session, actor, ticket_id)
    staff = []
    templates: list[str] = []
    if WorkAction.ASSIGN in card.actions:
        staff = (await tickets.colleagues(session, actor, ticket_id))[1]
    if WorkAction.NOTE_PUBLIC in card.actions:
        templates = await ticket_templates.texts(session, card.ticket.compound_id)
    done = ctx.request.query.get("done", "")[:20]
    return Render(
        "tickets_ticket.html",
        {
            "card": card,
            "ticket": card.ticket,
            "history": found.entries,
            "photos": card.photos,
            "urgent_text": urgent_text,
            "staff": staff,
            "templates": templates,
            "completes": ticket_templates.completes,
            "me": actor.resident_id,
            "moves": [m for m in MOVES if m in card.actions],
            "can": set(card.actions),
            "done": DONE.get(done),
            "errors": errors or {},
            "entered": entered or {},
        },
        status=400 if errors else 200,
    )


async def ticket(ctx: Ctx) -> Render:
    return await _ticket_page(ctx, ctx.path_id("ticket_id"))


async def _refused_in_form(
    ctx: Ctx, ticket_id: int, error: BadInput, entered: dict[str, str]
) -> Render:
    return await _ticket_page(
        ctx, ticket_id, errors={error.field: error.render(ctx._)}, entered=entered
    )


async def move(ctx: Ctx) -> web.Response:
    """Acknowledge or start work (the buttons that need nothing more)."""
    ticket_id = ctx.path_id("ticket_id")
    action = ctx.field("action", 20)
    if action not in MOVES:
        raise NotFound(N_("There is no such page in the console."))
    await tickets.act(ctx.session, ctx.actor, ticket_id, action, now=ctx.now())
    return redirect(ctx, "tickets_one", ticket_id=ticket_id, query={"done": action})


async def assign(ctx: Ctx) -> web.Response:
    ticket_id = ctx.path_id("ticket_id")
    chosen = ctx.field("assignee", 20)
    if not chosen.isascii() or not chosen.isdigit() or len(chosen) > 12:
        raise DomainError(N_("Choose a staff member of this compound."))
    await tickets.assign(ctx.session, ctx.actor, ticket_id, int(chosen), now=ctx.now())
    return redirect(ctx, "tickets_one", ticket_id=ticket_id, query={"done": "assign"})


async def note(ctx: Ctx) -> Render | web.Response:
    ticket_id = ctx.path_id("ticket_id")
    public = ctx.field("kind", 10) != "internal"
    text = ctx.field("note", ticket_inputs.MAX_NOTE)
    template = ctx.field("template", ticket_templates.MAX_TEMPLATE + 10) if public else ""
    try:
        await ticket_inputs.write_note(
            ctx.session, ctx.actor, ticket_id, text, public=public, now=ctx.now(), template=template
        )
    except BadInput as error:
        field = error.field if public else "note_internal"
        entered = {"note" if public else "note_internal": text, "template": template}
        return await _refused_in_form(ctx, ticket_id, BadInput(field, error.msgid), entered)
    done = WorkAction.NOTE_PUBLIC if public else WorkAction.NOTE_INTERNAL
    return redirect(ctx, "tickets_one", ticket_id=ticket_id, query={"done": done.value})


async def question(ctx: Ctx) -> Render | web.Response:
    """Need more information: the resident is asked in the bot and answers there."""
    ticket_id = ctx.path_id("ticket_id")
    text = ctx.field("question", ticket_inputs.MAX_NOTE)
    try:
        await ticket_followups.ask_resident(ctx.session, ctx.actor, ticket_id, text, now=ctx.now())
    except BadInput as error:
        return await _refused_in_form(ctx, ticket_id, error, {"question": text})
    return redirect(ctx, "tickets_one", ticket_id=ticket_id, query={"done": "question"})


async def take(ctx: Ctx) -> web.Response:
    """抢单: the ticket no one has yet is assigned to the one who takes it (the first one)."""
    ticket_id = ctx.path_id("ticket_id")
    await ticket_dispatch.take(ctx.session, ctx.actor, ticket_id, now=ctx.now())
    return redirect(ctx, "tickets_one", ticket_id=ticket_id, query={"done": "take"})


async def reject(ctx: Ctx) -> Render | web.Response:
    ticket_id = ctx.path_id("ticket_id")
    reason = ctx.field("reason", tickets.MAX_REASON)
    try:
        await tickets.reject_ticket(ctx.session, ctx.actor, ticket_id, reason, now=ctx.now())
    except BadInput as error:
        return await _refused_in_form(ctx, ticket_id, error, {"reason": reason})
    return redirect(ctx, "tickets_one", ticket_id=ticket_id, query={"done": "reject"})


async def finish(ctx: Ctx) -> Render | web.Response | Then:
    """Done, with an uploaded photo or without one. The bot's flows keep a photo as Telegram's
    file id, so the photo is first sent to the staff member's own chat by the bot (a copy they
    keep), after this unit of work; the ticket is marked done with its file id in another."""
    ticket_id = ctx.path_id("ticket_id")
    caption = ctx.field("caption", ticket_inputs.MAX_NOTE)
    upload = ctx.form.get("photo")
    if not isinstance(upload, FileField) or not upload.filename:
        await tickets.finish_ticket(ctx.session, ctx.actor, ticket_id, photo=None, now=ctx.now())
        return redirect(ctx, "tickets_one", ticket_id=ticket_id, query={"done": "done"})
    ticket = await tickets.may_finish(ctx.session, ctx.actor, ticket_id)
    content = upload.file.read(telegram_files.MAX_PHOTO + 1)
    if len(content) > telegram_files.MAX_PHOTO or telegram_files.image_type(content) is None:
        error = BadInput("photo", NOT_A_PHOTO)
        return await _refused_in_form(ctx, ticket_id, error, {"caption": caption})
    console = ctx.console
    settings = console.runtime.settings
    token = await telegram_files.token_for(ctx.session, settings, ticket.compound_id)
    chat = ctx.viewer.resident.telegram_id
    if token is None or chat is None:
        return await _refused_in_form(ctx, ticket_id, BadInput("photo", NO_BOT), {})
    _ = ctx._
    own_copy = plain(_(OWN_COPY).format(id=ticket_id))
    request, values, viewer = ctx.request, ctx.form, ctx.viewer

    async def upload_then_finish() -> web.StreamResponse:
        try:
            file_id = await telegram_files.send_photo(
                settings, token, chat, content, upload.filename, own_copy
            )
        except telegram_files.TelegramUnavailable:
            return console.message(request, _, _(NO_UPLOAD), 502, viewer)
        second = partial(_finish_with, ticket_id=ticket_id, photo=file_id, caption=caption)
        response = await console.within(request, second, values, form=True)
        assert isinstance(response, web.StreamResponse)
        return response

    return Then(upload_then_finish)


async def _finish_with(ctx: Ctx, *, ticket_id: int, photo: str, caption: str) -> web.Response:
    await tickets.finish_ticket(
        ctx.session, ctx.actor, ticket_id, photo=photo, caption=caption, now=ctx.now()
    )
    return redirect(ctx, "tickets_one", ticket_id=ticket_id, query={"done": "done"})


async def photo(ctx: Ctx) -> Then:
    """The ticket's n-th photo (from 1), for whoever may open the ticket, fetched from the Bot
    API after the permission check's unit of work."""
    ticket_id, number = ctx.path_id("ticket_id"), ctx.path_id("number")
    ticket, photos = await ticket_reading.photo_ids(ctx.session, ctx.actor, ticket_id)
    if not 1 <= number <= len(photos):
        raise NotFound(NO_PHOTO)
    settings = ctx.console.runtime.settings
    token = await telegram_files.token_for(ctx.session, settings, ticket.compound_id)
    file_id = photos[number - 1]
    console, request, _, viewer = ctx.console, ctx.request, ctx._, ctx.viewer

    async def fetch() -> web.StreamResponse:
        try:
            if token is None:
                raise telegram_files.TelegramUnavailable("no token")
            content = await telegram_files.download(settings, token, file_id)
        except telegram_files.TelegramUnavailable:
            return console.message(request, _, _(PHOTO_UNAVAILABLE), 502, viewer)
        # Telegram keeps photos as JPEG; with nosniff nothing else is read from the bytes
        kind = telegram_files.image_type(content) or "image/jpeg"
        return web.Response(body=content, content_type=kind)

    return Then(fetch)


def register(console: Console) -> None:
    console.get("/tickets", "tickets", board)
    console.get("/tickets/{ticket_id}", "tickets_one", ticket)
    console.get("/tickets/{ticket_id}/photo/{number}", "tickets_photo", photo)
    console.post("/tickets/{ticket_id}/move", "tickets_move", move)
    console.post("/tickets/{ticket_id}/assign", "tickets_assign", assign)
    console.post("/tickets/{ticket_id}/note", "tickets_note", note)
    console.post("/tickets/{ticket_id}/question", "tickets_question", question)
    console.post("/tickets/{ticket_id}/take", "tickets_take", take)
    console.post("/tickets/{ticket_id}/finish", "tickets_finish", finish)
    console.post("/tickets/{ticket_id}/reject", "tickets_reject", reject)
