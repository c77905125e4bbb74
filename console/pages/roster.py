"""The roster (业主名册): upload, a preview of what would change with every problem by row, then
"apply" as a background job whose page follows it; invite cards (PDF) and their list (CSV) per
compound or per home; where the compounds are, for the KPI map. The rules are
services/console_roster's, services/compound_location's and the command line's."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote

from aiohttp import web
from aiohttp.web_request import FileField
from babel.lists import format_list

from console.app import Ctx, Render, redirect
from console.roster_desk import DESK, Job, RosterDesk, Upload
from core.db import gated_unit_of_work
from core.i18n import N_
from models import ScopeKind
from services import compound_location, console_roster
from services.actors import load_actor
from services.errors import BadInput, DomainError, NotAllowed
from services.file_limits import FileLimits
from services.inputs import id_number
from services.invite_list import invite_csv
from services.roster import column_label, describe_one
from services.roster_columns import COLUMNS
from views.invite_cards import invite_cards

if TYPE_CHECKING:
    from console.app import Console

NO_FILE = N_("Choose the roster file (.csv, .xlsx, .xls or .ods) to upload.")
GONE = N_(
    "This upload is no longer kept (it was applied already, or it is more than an hour old). "
    "Upload the file again."
)
NO_JOB = N_("There is no such import in this browser's session.")
NO_FILES = N_("These invite files are no longer kept (half an hour). Issue the invites again.")
PICK_COMPOUND = N_("Pick one of the compounds listed.")
# NOTE: in the roster's preview, what changes in a home besides its areas, owner, phone, grid.
OTHER = N_("other details")
NEW_PLACES = (
    ScopeKind.CITY,
    ScopeKind.DISTRICT,
    ScopeKind.SUB_DISTRICT,
    ScopeKind.COMMUNITY,
    ScopeKind.COMPOUND,
    ScopeKind.BUILDING,
)


def _page(ctx: Ctx, template: str, values: dict[str, object], status: int = 200) -> Render:
    """A page of this area: its templates also count (ngettext)."""
    return Render(template, values, status=status)


def _desk(ctx: Ctx) -> RosterDesk:
    return ctx.console.app[DESK]


def _limits(ctx: Ctx) -> FileLimits:
    return FileLimits.of(ctx.console.runtime.settings)


def _session_id(ctx: Ctx) -> int:
    return ctx.viewer.session.id or 0


def _upload_page(ctx: Ctx, error: str = "", status: int = 200) -> Render:
    limits = _limits(ctx)
    values = {"error": error, "max_mb": limits.max_mb, "max_rows": limits.max_rows}
    return _page(ctx, "roster_upload.html", values, status)


async def upload_page(ctx: Ctx) -> Render:
    console_roster.may_import(ctx.actor)
    return _upload_page(ctx)


def _file_name(sent: str) -> str:
    """The name the browser gave, without any folder (shown and used for its kind only)."""
    # aiohttp's client (and some browsers) send a Chinese name percent-encoded
    name = PurePosixPath(unquote(sent or "").replace("\\", "/")).name.strip()
    return name[:200] or "roster.csv"


async def upload(ctx: Ctx) -> Render:
    """Read the file, show what it would change; nothing is written before "apply"."""
    console_roster.may_import(ctx.actor)
    posted = await ctx.request.post()  # read once already: the same parts
    sent = next((f for f in posted.getall("file", []) if isinstance(f, FileField)), None)
    limits = _limits(ctx)
    if sent is None or not sent.filename:
        return _upload_page(ctx, ctx._(NO_FILE), 400)
    data = await asyncio.to_thread(sent.file.read, limits.max_bytes + 1)
    filename = _file_name(sent.filename)
    if not data:
        return _upload_page(ctx, ctx._(NO_FILE), 400)
    try:
        found = await console_roster.review(ctx.session, ctx.actor, data, filename, limits=limits)
    except NotAllowed:
        raise
    except DomainError as error:  # too big, unreadable: said on the form
        return _upload_page(ctx, error.render(ctx._), 400)
    held = None
    if found.ok:
        held = _desk(ctx).hold(_session_id(ctx), filename, data, ctx.now(), found.result.rows)
    return _page(
        ctx,
        "roster_preview.html",
        {
            **_upload_page(ctx).values,
            "filename": filename,
            "review": found,
            "problems": _problems(ctx, found.result),
            "upload_id": held.id if held else "",
            "new_places": [(k, found.new_places[k]) for k in NEW_PLACES if found.new_places[k]],
            "field_labels": lambda fields: _field_labels(ctx, fields),
        },
        200 if found.ok else 400,
    )


def _field_labels(ctx: Ctx, fields: tuple[str, ...]) -> str:
    names = [ctx._.plain(COLUMNS[f].label) if f in COLUMNS else ctx._.plain(OTHER) for f in fields]
    return format_list(names, locale=ctx._.locale)


def _problems(ctx: Ctx, result: object) -> list[tuple[int, str, str]]:
    """Every problem kept: its row, its column and the sentence the command line prints."""
    problems = getattr(result, "problems", [])
    return [(p.row, column_label(p, ctx._), describe_one(p, ctx._)) for p in problems]


async def apply(ctx: Ctx) -> web.Response | Render:
    """Start the import of the previewed file; its page follows it."""
    console_roster.may_import(ctx.actor)
    desk = _desk(ctx)
    held = desk.take(ctx.field("upload", 40), _session_id(ctx), ctx.now())
    if held is None:
        return Render("message.html", {"text": ctx._(GONE)}, status=410)
    job = Job(secrets.token_urlsafe(12), _session_id(ctx), held.filename, ctx.now(), held.rows)
    telegram_id = ctx.actor.telegram_id
    console = ctx.console
    limits = _limits(ctx)

    async def work(job: Job) -> None:
        await _import(console, telegram_id, held, job, limits)

    desk.start(job, work, held)
    return redirect(ctx, "roster_job", job_id=job.id)


async def _import(
    console: Console, telegram_id: int, held: Upload, job: Job, limits: FileLimits
) -> None:
    runtime = console.runtime
    data = await asyncio.to_thread(held.path.read_bytes)

    def progress(written: int) -> None:
        job.state = "writing"
        job.written = written

    try:
        async with gated_unit_of_work(runtime.sessions, runtime.write_gate) as session:
            actor = await load_actor(session, telegram_id)
            checked, done = await console_roster.apply(
                session,
                actor,
                data,
                held.filename,
                now=runtime.clock.now(),
                limits=limits,
                progress=progress,
            )
            if done is None:
                job.state, job.outcome = "refused", checked.result
                await session.rollback()
                return
            job.written = done.rows
    except DomainError as error:
        job.state, job.outcome = "refused", error
        return
    job.state, job.outcome = "done", done


async def job_page(ctx: Ctx) -> Render:
    found = _desk(ctx).job(ctx.request.match_info.get("job_id", "")[:40], _session_id(ctx))
    if found is None:
        return Render("message.html", {"text": ctx._(NO_JOB)}, status=404)
    problems: list[tuple[int, str, str]] = []
    refusal = ""
    if found.state == "refused":
        if isinstance(found.outcome, DomainError):
            refusal = found.outcome.render(ctx._)
        else:
            problems = _problems(ctx, found.outcome)
    values = {"job": found, "problems": problems, "refusal": refusal}
    return _page(ctx, "roster_job.html", values)


# --- invites ------------------------------------------------------------------------------------
async def _invites_page(ctx: Ctx, status: int = 200, **extra: object) -> Render:
    compounds = await console_roster.invite_compounds(ctx.session, ctx.actor)
    values: dict[str, object] = {
        "compounds": compounds,
        "errors": {},
        "entered": {"compound": ctx.request.query.get("compound", "")[:12]},
        "days": ctx.console.runtime.settings.invite_ttl_days,
    }
    values.update(extra)
    return _page(ctx, "roster_invites.html", values, status)


async def invites_page(ctx: Ctx) -> Render:
    return await _invites_page(ctx)


async def issue(ctx: Ctx) -> Render | web.Response:
    """Issue the codes (a write, audited), then draw the cards and the list for download."""
    entered = {k: ctx.field(k, 60) for k in ("compound", "home", "phone")}
    settings = ctx.console.runtime.settings
    compound_id = id_number(entered["compound"])
    try:
        if compound_id is None:
            raise BadInput("compound", PICK_COMPOUND)
        made = await console_roster.issue_invites(
            ctx.session,
            ctx.actor,
            compound_id,
            home=entered["home"],
            now=ctx.now(),
            ttl=timedelta(days=settings.invite_ttl_days),
        )
    except BadInput as error:
        errors = {error.field: error.render(ctx._)}
        return await _invites_page(ctx, 400, errors=errors, entered=entered)
    # The codes are committed with this page; the files are drawn after, in the background (a
    # compound's cards take minutes), so the database is not held while they are.
    place = made.compound
    phone = entered["phone"] or place.duty_phone
    tz = settings.tz
    _ = ctx._
    desk = _desk(ctx)
    session_id = _session_id(ctx)
    job = Job(
        secrets.token_urlsafe(12), session_id, place.name, ctx.now(), len(made.issued), "writing"
    )
    name = f"invites-{place.id}"
    if made.home is not None:
        name += f"-{made.issued[0].household_id}"
    now = ctx.now()

    async def work(job: Job) -> None:
        def drawn(cards: int) -> None:
            job.written = cards

        sheet = await asyncio.to_thread(
            invite_cards, made.issued, made.username, place.name, phone, tz, _, drawn
        )
        listing = invite_csv(made.issued, made.username, tz, _).encode("utf-8")
        held = desk.keep_files(
            session_id,
            now,
            {
                "pdf": (f"{name}.pdf", "application/pdf", sheet),
                "csv": (f"{name}.csv", "text/csv; charset=utf-8", listing),
            },
        )
        job.state, job.outcome = "done", (made.home, held.id)

    desk.start(job, work)
    return redirect(ctx, "invites_job", job_id=job.id)


async def invites_job(ctx: Ctx) -> Render:
    found = _desk(ctx).job(ctx.request.match_info.get("job_id", "")[:40], _session_id(ctx))
    if found is None:
        return _page(ctx, "message.html", {"text": ctx._(NO_JOB)}, 404)
    home, files = found.outcome if found.state == "done" else (None, "")
    if files and _desk(ctx).file(files, _session_id(ctx), ctx.now()) is None:
        return _page(ctx, "message.html", {"text": ctx._(NO_FILES)}, 404)
    return _page(ctx, "roster_invites_job.html", {"job": found, "home": home, "files": files})


async def download(ctx: Ctx) -> web.Response | Render:
    held = _desk(ctx).file(
        ctx.request.match_info.get("files_id", "")[:40], _session_id(ctx), ctx.now()
    )
    kind = ctx.request.match_info.get("kind", "")
    if held is None or kind not in held.parts:
        return Render("message.html", {"text": ctx._(NO_FILES)}, status=404)
    name, content_type, data = held.parts[kind]
    return web.Response(
        body=data,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


# --- where the compounds are (the KPI map) ---------------------------------------------------
async def _locations_page(ctx: Ctx, **extra: object) -> Render:
    found = await compound_location.office_compounds(ctx.session, ctx.actor)
    values: dict[str, object] = {
        "compounds": found,
        "form_of": None,
        "errors": {},
        "entered": "",
        "done": id_number(ctx.request.query.get("done", "")[:20]),
    }
    values.update(extra)
    return _page(ctx, "roster_locations.html", values, 400 if extra.get("errors") else 200)


async def locations(ctx: Ctx) -> Render:
    return await _locations_page(ctx)


async def locate(ctx: Ctx) -> Render | web.Response:
    """A compound's coordinates, as typed or pasted from a map app (or taken off the map)."""
    compound_id = ctx.path_id("compound_id")
    typed = ctx.field("location", 80)
    try:
        await compound_location.locate(
            ctx.session,
            ctx.actor,
            compound_id,
            typed,
            clear=ctx.field("do", 10) == "clear",
            now=ctx.now(),
        )
    except BadInput as error:
        errors = {error.field: error.render(ctx._)}
        return await _locations_page(ctx, form_of=compound_id, errors=errors, entered=typed)
    return redirect(ctx, "roster_locations", query={"done": compound_id})


def register(console: Console) -> None:
    desk = RosterDesk()
    console.app[DESK] = desk
    console.app.on_cleanup.append(desk.close)
    console.get("/roster", "roster", upload_page)
    console.post("/roster", "roster_upload", upload)
    console.post("/roster/apply", "roster_apply", apply)
    console.get("/roster/jobs/{job_id}", "roster_job", job_page)
    console.get("/roster/locations", "roster_locations", locations)
    console.post("/roster/locations/{compound_id}", "roster_locate", locate)
    console.get("/invites", "invites", invites_page)
    console.post("/invites", "invites_issue", issue)
    console.get("/invites/jobs/{job_id}", "invites_job", invites_job)
    console.get("/invites/files/{files_id}/{kind}", "invites_file", download)
