"""Fees (物业费): bank statements uploaded and booked (a job with a page that follows it), the
review of the rows no single home matched, arrears with the collection rate, payments at the
desk with reversal and receipts, and the fee schedules: a new price or an end, and a bill run."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from console.app import NO_PAGE, Ctx, Render, redirect
from core.db import gated_unit_of_work
from core.i18n import N_, from_iso_month, iso_month
from services import console_fees, fee_form, fee_setting, receipts, reversals, statement_review
from services.actors import Actor
from services.console_fees import ImportSummary
from services.errors import BadInput, DomainError, NotAllowed, NotFound
from services.fee_flows import STAFF_METHODS
from services.fee_form import FeeForm
from services.file_limits import FileLimits
from services.inputs import id_number
from services.receipts import receipt_label
from views import receipt_sheet
from views.bills import PERIOD, method_text
from views.fee_setting import confirm_lines, late_charge_label, schedule_text, subsidy_label

if TYPE_CHECKING:
    from console.app import Console

log = logging.getLogger(__name__)

NO_FILE = N_("Choose the bank statement file (.csv, .xlsx or .xls, as the bank exports it).")
PICK_HOME = N_("Pick one of the homes, or type the home, for example 1栋 1单元 101.")
PART = 200  # transfers booked per unit of work
KEPT = timedelta(hours=12)  # a finished job's page stays this long
J = TypeVar("J", bound="Job")


@dataclass
class Job:
    """A long job of this module (a statement booked, a bill run) after its request has
    answered: its page, seen only by the person who started it, refreshes itself until done."""

    id: str
    resident_id: int | None
    started: datetime
    done: int = 0
    total: int = 0
    finished: bool = False
    error: DomainError | None = None
    failed: bool = False

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total


@dataclass
class StatementJob(Job):
    """One upload being booked."""

    filename: str = ""
    summary: ImportSummary | None = None


@dataclass
class BillJob(Job):
    """A bill run for one compound, made PART homes per unit of work."""

    compound: str = ""
    run: console_fees.BillRun | None = None


JOBS: dict[str, Job] = {}
_RUNNING: set[asyncio.Task[None]] = set()


def _forget_old(now: datetime) -> None:
    for key in [k for k, job in JOBS.items() if job.finished and now - job.started > KEPT]:
        del JOBS[key]


def _start(job: Job, work: Coroutine[Any, Any, None]) -> None:
    """Keep the job for its page and run `work` after the request has answered."""
    _forget_old(job.started)
    JOBS[job.id] = job
    task = asyncio.create_task(work)
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


def _job(ctx: Ctx, kind: type[J]) -> J:
    """The job of the address, if it is of this kind and the viewer started it."""
    job = JOBS.get(ctx.request.match_info.get("job_id", "")[:40])
    if not isinstance(job, kind) or job.resident_id != ctx.actor.resident_id:
        raise NotFound(NO_PAGE)
    return job


# --- arrears and the collection rate ---------------------------------------------------------
async def overview(ctx: Ctx) -> Render:
    today = ctx.now().astimezone(ctx.console.runtime.settings.tz).date()
    month = ctx.request.query.get("month", "").strip()[:7] or iso_month(today)
    chosen = ctx.request.query.get("compound", "")[:20]
    compound_id = id_number(chosen) if chosen else None
    if chosen and compound_id is None:
        raise NotFound(NO_PAGE)
    page = await console_fees.arrears_page(
        ctx.session, ctx.actor, compound_id, month, today=today, now=ctx.now()
    )
    return Render(
        "fees_overview.html", {"page": page, "report": page.report, "month": from_iso_month(month)}
    )


# --- bank statements ------------------------------------------------------------------------
async def _upload_page(ctx: Ctx, **extra: Any) -> Render:
    found = await console_fees.statement_compounds(ctx.session, ctx.actor)
    values: dict[str, Any] = {"compounds": found, "errors": {}, "chosen": ""}
    values.update(extra)
    return Render("fees_statements.html", values, status=400 if extra.get("errors") else 200)


async def statements(ctx: Ctx) -> Render:
    return await _upload_page(ctx)


async def upload(ctx: Ctx) -> Render | web.Response:
    chosen = ctx.field("compound", 20)
    compound_id = id_number(chosen) if chosen else None
    await console_fees.may_book(ctx.session, ctx.actor, compound_id)
    sent = ctx.form.get("file")
    data = b""
    filename = ""
    if isinstance(sent, web.FileField):
        filename = (sent.filename or "")[:200]
        data = await asyncio.to_thread(sent.file.read)
    if not data:
        return await _upload_page(ctx, errors={"file": ctx._(NO_FILE)}, chosen=chosen)
    job = StatementJob(
        secrets.token_urlsafe(12), ctx.actor.resident_id, ctx.now(), filename=filename
    )
    _start(job, _book(ctx.console, job, ctx.actor, data, compound_id))
    return redirect(ctx, "statements_job", job_id=job.id)


async def _book(
    console: Console, job: StatementJob, actor: Actor, data: bytes, compound_id: int | None
) -> None:
    """The import after the upload's page has answered: read, then booked PART transfers per
    unit of work (on SQLite the write gate is let go between parts, so the bot and the other
    pages go on); a reference booked in an earlier part is skipped, so a stopped import is
    finished by uploading the file again."""
    runtime = console.runtime
    settings = runtime.settings
    try:
        async with gated_unit_of_work(runtime.sessions, runtime.write_gate) as session:
            prepared = await console_fees.prepare_statement(
                session,
                actor,
                data,
                job.filename,
                compound_id,
                today=job.started.astimezone(settings.tz).date(),
                limits=FileLimits.of(settings),
            )
        summary = prepared.summary()
        job.progress(0, prepared.size)
        for start in range(0, prepared.size, PART):
            async with gated_unit_of_work(runtime.sessions, runtime.write_gate) as session:
                report = await console_fees.book_part(
                    session,
                    actor,
                    prepared,
                    start,
                    start + PART,
                    now=job.started,
                    progress=job.progress,
                )
            summary.add(report)
            runtime.wake_outbox()  # the homes booked are told their money arrived
        job.summary = summary
    except DomainError as error:  # the file's problem or a refusal
        job.error = error
    except Exception:
        log.exception("bank statement import failed")
        job.failed = True
    finally:
        job.finished = True


async def statement_job(ctx: Ctx) -> Render:
    return Render("fees_statement_job.html", {"job": _job(ctx, StatementJob)})


# --- the review of rows no single home matched ------------------------------------------------
async def _review_page(ctx: Ctx, **extra: Any) -> Render:
    items, count = await statement_review.waiting(ctx.session, ctx.actor, now=ctx.now())
    values: dict[str, Any] = {
        "items": items,
        "count": count,
        "errors": {},
        "entered": {},
        "answered": None,
    }
    answered = id_number(ctx.request.query.get("answered", "")[:20])
    if answered is not None and not extra:
        values["answered"] = await console_fees.answered(ctx.session, ctx.actor, answered)
    values.update(extra)
    return Render("fees_review.html", values, status=400 if extra.get("errors") else 200)


async def review(ctx: Ctx) -> Render:
    return await _review_page(ctx)


async def book_row(ctx: Ctx) -> Render | web.Response:
    row_id = ctx.path_id("row_id")
    picked, typed = ctx.field("home", 20), ctx.field("typed", 60)
    try:
        if picked:
            home = id_number(picked)
            if home is None:
                raise NotFound(NO_PAGE)
            result = await statement_review.book(
                ctx.session, ctx.actor, row_id, home, now=ctx.now()
            )
        elif typed:
            result = await statement_review.book_typed(
                ctx.session, ctx.actor, row_id, typed, now=ctx.now()
            )
        else:
            raise BadInput("home", PICK_HOME)
    except (NotAllowed, NotFound):
        raise
    except DomainError as error:  # no such home typed, or none picked: said next to the row
        errors = {row_id: error.render(ctx._)}
        return await _review_page(ctx, errors=errors, entered={row_id: typed})
    if result.already:
        return await _already(ctx, result)
    return redirect(ctx, "statements_review", query={"answered": row_id})


async def dismiss_row(ctx: Ctx) -> Render | web.Response:
    row_id = ctx.path_id("row_id")
    result = await statement_review.dismiss(ctx.session, ctx.actor, row_id, now=ctx.now())
    if result.already:
        return await _already(ctx, result)
    return redirect(ctx, "statements_review", query={"answered": row_id})


async def _already(ctx: Ctx, result: statement_review.Reviewed) -> Render:
    """A second answer (a double click, or a colleague's): nothing more is booked."""
    label = await statement_review.booked_label(ctx.session, result.row)
    return Render("fees_already.html", {"row": result.row, "home": label}, status=409)


# --- the desk: payments, reversals and receipts ----------------------------------------------
async def _desk_page(ctx: Ctx, text: str, **extra: Any) -> Render:
    values: dict[str, Any] = {
        "home": text,
        "found": None,
        "errors": {},
        "entered": {},
        "methods": [m.value for m in STAFF_METHODS],
        "method_text": method_text,
        "labels_receipt": receipt_label,
        "reference": console_fees.desk_reference(),
        "done": ctx.request.query.get("done", "")[:20],
        "receipt": ctx.request.query.get("receipt", "")[:20],
    }
    values.update(extra)
    if text:
        try:
            values["found"] = await console_fees.desk_home(ctx.session, ctx.actor, text)
        except BadInput as error:
            values["errors"] = {error.field: error.render(ctx._)}
    else:
        await console_fees.statement_compounds(ctx.session, ctx.actor)  # staff only
    return Render("fees_payments.html", values, status=400 if values["errors"] else 200)


async def desk(ctx: Ctx) -> Render:
    return await _desk_page(ctx, ctx.request.query.get("home", "").strip()[:60])


async def record(ctx: Ctx) -> Render | web.Response:
    household_id = ctx.path_id("household_id")
    entered = {k: ctx.field(k, 40) for k in ("amount", "method")}
    today = ctx.now().astimezone(ctx.console.runtime.settings.tz).date()
    try:
        booking = await console_fees.desk_payment(
            ctx.session,
            ctx.actor,
            household_id,
            reference=ctx.field("reference", 60),
            today=today,
            now=ctx.now(),
            **entered,
        )
    except BadInput as error:
        label = ctx.field("label", 60)
        return await _desk_page(
            ctx, label, errors={error.field: error.render(ctx._)}, entered=entered
        )
    receipt = receipt_label(booking.payment.receipt_no)
    query = {"home": booking.label, "done": "booked" if booking.new else "again"}
    return redirect(ctx, "payments", query={**query, "receipt": receipt})


async def reverse(ctx: Ctx) -> Render | web.Response:
    payment_id = ctx.path_id("payment_id")
    result = await reversals.reverse_payment(
        ctx.session, ctx.actor, payment_id, ctx.field("reason", 300), now=ctx.now()
    )
    if result.already:
        return Render("fees_reversed_before.html", {"result": result}, status=409)
    query = {"home": result.label, "done": "reversed", "receipt": result.receipt}
    return redirect(ctx, "payments", query=query)


async def receipt_pdf(ctx: Ctx) -> web.Response:
    found = await receipts.receipt(ctx.session, ctx.actor, ctx.path_id("payment_id"))
    body = await asyncio.to_thread(
        receipt_sheet.receipt_pdf, found, ctx._, ctx.console.runtime.settings.tz
    )
    name = f"receipt-{found.number}.pdf"
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- fee schedules and a bill run -------------------------------------------------------------
FEE_FIELDS = ("price", "period", "due_day", "subsidy", "late_charge", "starts_on", "ends_on")


def _today(ctx: Ctx) -> date:
    return ctx.now().astimezone(ctx.console.runtime.settings.tz).date()


async def _schedules_page(ctx: Ctx, **extra: Any) -> Render:
    today = _today(ctx)
    found = await console_fees.schedules_page(ctx.session, ctx.actor, today)
    values: dict[str, Any] = {
        "found": found,
        "today": today,
        "schedule_text": schedule_text,
        "periods": [(p.value, PERIOD[p]) for p in fee_setting.PERIODS],
        "due_days": fee_setting.DUE_DAYS,
        "subsidies": [(p, subsidy_label(p, ctx._)) for p in fee_setting.SUBSIDY_PERCENTS],
        "late_charges": [(v, late_charge_label(v, ctx._)) for v in fee_setting.LATE_CHARGES],
        "first_day": fee_setting.start_days(today)[1].isoformat(),
        "last_day": fee_setting.end_days(today)[0].isoformat(),
        "form_of": None,  # the compound whose form is shown again (errors, preview)
        "entered": {},
        "errors": {},
        "preview": None,
        "token": "",
        "saved": id_number(ctx.request.query.get("saved", "")[:20]),
    }
    values.update(extra)
    return Render("fees_schedules.html", values, status=400 if extra.get("errors") else 200)


async def schedules(ctx: Ctx) -> Render:
    return await _schedules_page(ctx)


async def set_fee(ctx: Ctx) -> Render | web.Response:
    """The fee form of a compound: previewed (what saving does), then saved once."""
    compound_id = ctx.path_id("compound_id")
    ending = ctx.field("do", 10) in ("end", "save_end")
    entered = {k: ctx.field(k, 20) for k in FEE_FIELDS}
    form = FeeForm(compound_id, **entered, ending=ending)
    today = _today(ctx)
    shown = {"form_of": compound_id, "entered": entered}
    try:
        if ctx.field("do", 10) in ("save", "save_end"):
            await fee_form.save(
                ctx.session, ctx.actor, form, ctx.field("token", 40), today=today, now=ctx.now()
            )
            return redirect(ctx, "schedules", query={"saved": compound_id})
        checked = await fee_form.preview(ctx.session, ctx.actor, form, today=today, now=ctx.now())
    except BadInput as error:
        return await _schedules_page(ctx, errors={error.field: error.render(ctx._)}, **shown)
    lines = confirm_lines(checked.question, ctx._, today)
    return await _schedules_page(
        ctx, preview={"ending": ending, "lines": lines}, token=checked.token, **shown
    )


async def bill_run(ctx: Ctx) -> web.Response:
    plan = await console_fees.plan_bill_run(ctx.session, ctx.actor, ctx.path_id("compound_id"))
    job = BillJob(
        secrets.token_urlsafe(12), ctx.actor.resident_id, ctx.now(), compound=plan.compound
    )
    job.progress(0, plan.size)
    _start(job, _bill(ctx.console, job, ctx.actor, plan))
    return redirect(ctx, "schedules_job", job_id=job.id)


async def _bill(console: Console, job: BillJob, actor: Actor, plan: console_fees.BillPlan) -> None:
    """The bill run after its request has answered: PART homes per unit of work (on SQLite the
    write gate is let go between parts, so the bot and the other pages go on), then the
    scheduler's run for the compound, which finds those homes billed and bills any added since.
    Bills are unique per schedule, home and period: a stopped run is finished by running again."""
    runtime = console.runtime
    today = job.started.astimezone(runtime.settings.tz).date()
    made = 0
    try:
        for start in range(0, plan.size, PART):
            async with gated_unit_of_work(runtime.sessions, runtime.write_gate) as session:
                made += await console_fees.bill_part(
                    session, actor, plan, start, start + PART, today=today, now=job.started
                )
            job.progress(min(start + PART, plan.size), plan.size)
        async with gated_unit_of_work(runtime.sessions, runtime.write_gate) as session:
            job.run = await console_fees.finish_bill_run(
                session, actor, plan, made, today=today, now=job.started
            )
    except DomainError as error:  # a refusal (the role taken away meanwhile)
        job.error = error
    except Exception:
        log.exception("bill run failed")
        job.failed = True
    finally:
        job.finished = True


async def bill_job(ctx: Ctx) -> Render:
    return Render("fees_bill_job.html", {"job": _job(ctx, BillJob)})


def register(console: Console) -> None:
    console.get("/fees", "fees", overview)
    console.get("/fees/payments", "payments", desk)
    console.get("/fees/schedules", "schedules", schedules)
    console.post("/fees/schedules/{compound_id}/bills", "schedules_bill", bill_run)
    console.post("/fees/schedules/{compound_id}/fee", "schedules_fee", set_fee)
    console.get("/fees/schedules/jobs/{job_id}", "schedules_job", bill_job)
    console.post("/fees/payments/homes/{household_id}", "payments_record", record)
    console.post("/fees/payments/{payment_id}/reverse", "payments_reverse", reverse)
    console.get("/fees/payments/{payment_id}/receipt", "payments_receipt", receipt_pdf)
    console.get("/fees/statements", "statements", statements)
    console.post("/fees/statements", "statements_upload", upload)
    console.get("/fees/statements/jobs/{job_id}", "statements_job", statement_job)
    console.get("/fees/statements/review", "statements_review", review)
    console.post("/fees/statements/rows/{row_id}/book", "statements_book", book_row)
    console.post("/fees/statements/rows/{row_id}/dismiss", "statements_dismiss", dismiss_row)
