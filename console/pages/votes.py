"""Owners' votes: the compound's votes with their status; a vote's page with its live turnout
(headcount and area, never a choice) and its documents; paper ballots entered in a batch."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from aiohttp import web

from console.app import NO_PAGE, Ctx, Render, redirect
from core.i18n import N_
from services import console_votes, vote_cards, vote_documents, vote_records
from services.console_votes import LineState
from services.errors import BadInput, DomainError, NotFound
from services.inputs import id_number
from services.policy import Permission, anywhere
from services.tally import Choice
from services.vote_drafts import VoteForm
from views import vote_drafting
from views import votes as vote_texts
from views.documents import ballot_sheet, result_sheet
from views.vote_results import CHOICE
from views.vote_turnout import turnout_text

if TYPE_CHECKING:
    from console.app import Console

BATCH_TEXT = 40_000  # 500 lines of a code and a word
RECORD_FILES = {"xlsx", "zip", "json"}
TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "json": "application/json",
}


def _file(content: bytes, name: str) -> web.Response:
    kind = TYPES[name.rsplit(".", 1)[-1]]
    return web.Response(
        body=content,
        content_type=kind,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _values(**values: object) -> dict[str, object]:
    return {
        "status_text": vote_texts.status_text,
        "matter_text": vote_texts.matter_text,
        "choice_text": vote_texts.choice_text,
        "turnout_text": turnout_text,
        **values,
    }


async def votes(ctx: Ctx) -> Render:
    found = await console_votes.votes(ctx.session, ctx.actor)
    may_draft = anywhere(ctx.actor, Permission.VOTE_DRAFT)
    return Render("votes_list.html", _values(polls=found, may_draft=may_draft))


async def vote(ctx: Ctx) -> Render:
    card = await vote_cards.card(ctx.session, ctx.actor, ctx.path_id("poll_id"))
    done = ctx.request.query.get("done", "")[:20]
    return Render("votes_vote.html", _values(card=card, poll=card.poll, now=ctx.now(), done=done))


FORM_FIELDS = ("compound_id", "title", "body", "kind", "matter", "candidates", "seats")
TIMES = ("notice_at", "opens_at", "closes_at")


async def _vote_form(ctx: Ctx) -> VoteForm:
    posted = await ctx.request.post()
    buildings = [str(b)[:12] for b in posted.getall("buildings", []) if str(b).strip()][:300]
    limits = {"body": 3100, "candidates": 2000, "title": 210}
    return VoteForm(
        **{k: ctx.field(k, limits.get(k, 20)) for k in FORM_FIELDS},
        buildings=buildings,
        **{k: ctx.field(k, 20) for k in TIMES},
    )


async def _new_page(ctx: Ctx, form: VoteForm | None, **extra: object) -> Render:
    places = await console_votes.draft_places(ctx.session, ctx.actor)
    values = _values(
        places=places,
        form=form,
        special=vote_texts.SPECIAL_ITEM,
        errors={},
        preview=None,
        token="",
    )
    values.update(extra)
    return Render("votes_new.html", values, status=400 if extra.get("errors") else 200)


async def new_vote(ctx: Ctx) -> Render:
    return await _new_page(ctx, None)


async def new_vote_post(ctx: Ctx) -> Render | web.Response:
    form = await _vote_form(ctx)
    tz = ctx.console.runtime.settings.tz
    try:
        if ctx.field("do", 10) == "publish":
            poll = await console_votes.publish_vote(
                ctx.session, ctx.actor, form, ctx.field("token", 40), now=ctx.now(), tz=tz
            )
            return redirect(ctx, "votes_vote", poll_id=poll.id, query={"done": "published"})
        question, token = await console_votes.preview_vote(
            ctx.session, ctx.actor, form, now=ctx.now(), tz=tz
        )
    except BadInput as error:
        return await _new_page(ctx, form, errors={error.field: error.render(ctx._)})
    assert question.preview is not None
    shown = vote_drafting.preview(question.preview, question.draft, ctx._, tz).text
    return await _new_page(ctx, form, preview=shown, token=token)


async def ballots_pdf(ctx: Ctx) -> web.Response:
    found = await vote_documents.paper_ballots(
        ctx.session, ctx.actor, ctx.path_id("poll_id"), now=ctx.now()
    )
    tz = ctx.console.runtime.settings.tz
    content = await asyncio.to_thread(ballot_sheet.ballots_pdf, found, ctx._, tz)
    return _file(content, f"vote-{found.poll.id}-paper-ballots.pdf")


async def result_pdf(ctx: Ctx) -> web.Response:
    notice = await vote_documents.result_notice(ctx.session, ctx.actor, ctx.path_id("poll_id"))
    tz = ctx.console.runtime.settings.tz
    content = result_sheet.result_pdf(notice, ctx._, tz, today=ctx.now())
    return _file(content, f"vote-{notice.poll.id}-result.pdf")


async def record(ctx: Ctx) -> web.Response:
    kind = ctx.request.match_info.get("kind", "")
    if kind not in RECORD_FILES:
        raise NotFound(NO_PAGE)
    poll_id = ctx.path_id("poll_id")
    tz = ctx.console.runtime.settings.tz
    found = await vote_records.export_record(ctx.session, ctx.actor, poll_id, tz=tz, now=ctx.now())
    files = dict(vote_records.record_files(poll_id, found.tables, ctx._))
    name = next(n for n in files if n.endswith(f".{kind}"))
    return _file(files[name], name)


def _paper(ctx: Ctx, poll: object, **extra: object) -> Render:
    values = _values(
        poll=poll,
        choices=[(c.value, CHOICE[c]) for c in Choice],
        lines="",
        default="",
        batch=None,
        entered=None,
        errors={},
        states=LineState,
    )
    values.update(extra)
    return Render("votes_paper.html", values, status=400 if extra.get("errors") else 200)


async def paper(ctx: Ctx) -> Render:
    poll = await console_votes.paper_poll(ctx.session, ctx.actor, ctx.path_id("poll_id"))
    return _paper(ctx, poll)


REPLACE = re.compile(r"replace_([0-9]{1,4})")
NOT_OFFERED = N_(
    "That confirmation of a replacement is not one the checked batch offered: nothing was "
    "entered. Check the batch again."
)


def _replacing(ctx: Ctx) -> dict[int, int]:
    """The lines confirmed as replacements: line number → the earlier ballot each names."""
    found: dict[int, int] = {}
    for key, value in ctx.form.items():
        named = REPLACE.fullmatch(key)
        if named is None:
            if key.startswith("replace"):
                raise DomainError(NOT_OFFERED)
            continue
        ballot = id_number(value if isinstance(value, str) else None)
        if ballot is None:
            raise DomainError(NOT_OFFERED)
        found[int(named.group(1))] = ballot
    return found


async def paper_post(ctx: Ctx) -> Render:
    poll_id = ctx.path_id("poll_id")
    text = ctx.field("lines", BATCH_TEXT)
    default = ctx.field("default", 20)
    try:
        if ctx.field("do", 10) == "enter":
            replacing = _replacing(ctx)
            batch, entered = await console_votes.enter(
                ctx.session,
                ctx.actor,
                poll_id,
                text,
                default,
                ctx.field("token", 40),
                ctx._,
                now=ctx.now(),
                replacing=replacing,
            )
            # What is left to fix stays in the box; what was entered is listed with references.
            left = "\n".join(line.text for line in batch.lines if line.state == LineState.PROBLEM)
            return _paper(ctx, batch.poll, entered=entered, lines=left, default=default, batch=None)
        batch = await console_votes.check(
            ctx.session, ctx.actor, poll_id, text, default, ctx._, now=ctx.now()
        )
    except BadInput as error:
        poll = await console_votes.paper_poll(ctx.session, ctx.actor, poll_id)
        return _paper(
            ctx, poll, errors={error.field: error.render(ctx._)}, lines=text, default=default
        )
    return _paper(ctx, batch.poll, batch=batch, lines=text, default=default)


def register(console: Console) -> None:
    console.get("/votes", "votes", votes)
    console.get("/votes/new", "votes_new", new_vote)
    console.post("/votes/new", "votes_new_post", new_vote_post)
    console.get("/votes/{poll_id}", "votes_vote", vote)
    console.get("/votes/{poll_id}/ballots.pdf", "votes_ballots", ballots_pdf)
    console.get("/votes/{poll_id}/result.pdf", "votes_result", result_pdf)
    console.get("/votes/{poll_id}/record.{kind}", "votes_record", record)
    console.get("/votes/{poll_id}/paper", "votes_paper", paper)
    console.post("/votes/{poll_id}/paper", "votes_paper_post", paper_post)
