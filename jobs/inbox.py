"""Inbox workers: handle the updates the receiver stored (handlers/intake.py), exactly once.

A worker claims the oldest pending update of each user ("lane") whose earlier updates are all
finished, with a lease it renews while it works, and hands it to the bot Application as
Telegram's own updates are (the unit of work, handlers/context.py). The row is marked done in the
same transaction as the update's effects, so an update whose effects committed is never applied
again, whichever worker picks its row up after a kill -9.

One lane at a time per user, lanes in parallel: a user's updates are handled strictly in order.
Several worker processes (and machines) share a PostgreSQL inbox: claims take the rows with
FOR UPDATE SKIP LOCKED, and only the head of a lane can be claimed, so two workers never hold the
same user. A killed worker's leases expire and another worker takes its updates. On SQLite run
one worker process (SQLite has one writer; its claims are not locked across processes).

An update whose handler raised is marked failed at once (the user was told, by the error
handler). One that never finishes, because the worker handling it dies or hangs every time, is
claimed at most MAX_ATTEMPTS times; then it is marked failed, the user is told, and their next
updates go on. Failed rows stay for the operator; done rows are pruned by housekeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, case, exists, func, null, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import Application, ConversationHandler

from core.db import dialect, is_outage
from core.i18n import translator
from core.runtime import Runtime
from handlers.context import (
    HandledElsewhere,
    Receipt,
    Unit,
    UnitOfWorkProcessor,
    WriteTracker,
    pick_language,
)
from models import ConversationState, InboxState, InboxUpdate
from services.actors import load_actor
from views.common import update_given_up

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # claims of one update before it is given up (its workers kept dying)
# People whose conversation states this process knows to be current (see InboxWorker.receive);
# beyond this many, the longest-unseen are forgotten (their next update reads them again).
FRESH_LANES = 100_000


@dataclass(frozen=True)
class Claimed:
    bot_id: int
    update_id: int
    lane: int
    payload: dict[str, Any]
    # Handed over by the receiver of this process, claimed at insert (InboxWorker.receive): the
    # update as received, so it is not read back from its payload.
    update: Update | None = field(default=None, compare=False)


_TABLE = cast(Any, InboxUpdate).__table__
_NOW = bindparam("now", type_=_TABLE.c.lease_until.type)


def _one_row(statement: Any) -> Any:
    return statement.where(_TABLE.c.bot_id == bindparam("bot")).where(
        _TABLE.c.update_id == bindparam("update")
    )


# Run for every update: built once (see services.actors._ACTOR), on the table rather than the
# mapped class (no InboxUpdate objects are in a unit's session, nothing to synchronise).
_MARK_HOLDING = (
    _one_row(update(_TABLE))
    .where(_TABLE.c.state == InboxState.PENDING.value)
    .values(state=bindparam("state"), done_at=bindparam("done_at", type_=_NOW.type))
)
_MARK = _MARK_HOLDING.values(claim_token=None, lease_until=None)
_FREE_LANE = (
    _one_row(update(_TABLE))
    .where(_TABLE.c.claim_token == bindparam("token"))
    .values(claim_token=None, lease_until=None)
)


def _claim_statement() -> Any:
    """One statement: the heads of up to `limit` lanes nobody holds (the oldest pending update
    of each person whose earlier updates are all finished), locked with SKIP LOCKED so two
    workers never take the same row, claimed for `token` until `lease` and returned. A row
    claimed MAX_ATTEMPTS times already (its workers kept dying) is marked failed instead."""
    head, earlier = _TABLE.alias("head"), _TABLE.alias("earlier")
    heads = (
        sa_select(head.c.update_id)
        .where(head.c.bot_id == bindparam("bot"))
        .where(head.c.state == InboxState.PENDING.value)
        .where(or_(head.c.claim_token.is_(None), head.c.lease_until < _NOW))
        .where(
            ~exists().where(
                earlier.c.bot_id == head.c.bot_id,
                earlier.c.lane == head.c.lane,
                earlier.c.update_id < head.c.update_id,
                or_(
                    earlier.c.state == InboxState.PENDING.value,
                    # done early but still being finished by a live worker (_mark_handled)
                    earlier.c.lease_until >= _NOW,
                ),
            )
        )
        .order_by(head.c.update_id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True, of=head)
    )
    given_up = _TABLE.c.attempts >= MAX_ATTEMPTS
    return (
        update(_TABLE)
        .where(_TABLE.c.bot_id == bindparam("bot"))
        # A CTE, evaluated once: PostgreSQL may run a plain IN (subquery) again for every row it
        # looks at, and with SKIP LOCKED each run finds other rows (more than `limit` claimed).
        .where(_TABLE.c.update_id.in_(sa_select(heads.cte("heads").c.update_id)))
        .values(
            attempts=case((given_up, _TABLE.c.attempts), else_=_TABLE.c.attempts + 1),
            state=case((given_up, InboxState.FAILED.value), else_=_TABLE.c.state),
            claim_token=case(
                (given_up, null()), else_=bindparam("token", type_=_TABLE.c.claim_token.type)
            ),
            lease_until=case((given_up, null()), else_=bindparam("lease", type_=_NOW.type)),
            done_at=case((given_up, _NOW), else_=_TABLE.c.done_at),
            last_error=case(
                (given_up, f"never finished in {MAX_ATTEMPTS} attempts"),
                else_=_TABLE.c.last_error,
            ),
        )
        .returning(_TABLE.c.update_id, _TABLE.c.lane, _TABLE.c.payload, _TABLE.c.state)
    )


_CLAIM = _claim_statement()


def lane_of(update: Update) -> int:
    """The user an update belongs to (their updates are handled in order), else its chat."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return 0


def inbox_row(
    bot_id: int,
    update: Update,
    now: datetime,
    *,
    claim_token: str | None = None,
    lease_until: datetime | None = None,
) -> dict[str, Any]:
    """An update's row as the receiver stores it: pending, unclaimed unless `claim_token` (the
    worker of the receiver's own process, InboxWorker.receive)."""
    return {
        "bot_id": bot_id,
        "update_id": update.update_id,
        "lane": lane_of(update),
        "payload": update.to_dict(),
        "received_at": now,
        "state": InboxState.PENDING.value,
        "attempts": 1 if claim_token else 0,
        "claim_token": claim_token,
        "lease_until": lease_until,
    }


async def insert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> set[int]:
    """Insert inbox rows; one already there is skipped (Telegram delivered it again). Returns
    the update ids that were new."""
    insert = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    result = await session.exec(
        insert(InboxUpdate)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        .returning(col(InboxUpdate.update_id))
    )
    return set(result.scalars())


async def inbox_depth(session: AsyncSession, now: datetime | None = None) -> tuple[int, float]:
    """(pending updates, age in seconds of the oldest pending one) for the metrics; `now` is the
    domain clock's time (the session's info has none), the database's own time otherwise."""
    row = (
        await session.exec(
            select(func.count(), func.min(col(InboxUpdate.received_at))).where(
                col(InboxUpdate.state) == InboxState.PENDING
            )
        )
    ).one()
    count, oldest = int(row[0] or 0), row[1]
    if oldest is None:
        return count, 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return count, max(0.0, (now - oldest).total_seconds())


@contextlib.asynccontextmanager
async def writing(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """A session for a short write of our own, taking the SQLite write gate like a unit does (a
    connection first, then the gate at the first write)."""
    async with runtime.sessions() as session:
        await session.connection()
        writes = WriteTracker(session, runtime.write_gate)
        try:
            yield session
        finally:
            writes.release()


NOTIFY_CHANNEL = "red_property_inbox"


async def notify_workers(session: AsyncSession, bot_id: int) -> None:
    """PostgreSQL: tell the listening workers of every process, when this transaction commits,
    that `bot_id` has new updates (they would otherwise find them at their next look)."""
    await session.exec(
        sa_select(func.pg_notify(NOTIFY_CHANNEL, str(bot_id)))  # type: ignore[call-overload]
    )


class InboxListener:
    """PostgreSQL LISTEN on the inbox channel, on its own connection: the receiver's commit wakes
    this process's workers at once. Reconnects after an outage; meanwhile the workers' own look
    every INBOX_POLL_SECONDS keeps them going."""

    def __init__(self, database_url: str, wake: Callable[[int], None]) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self.dsn = url.render_as_string(hide_password=False)
        self.wake = wake
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="inbox-listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self.wake(int(payload))

    async def _run(self) -> None:
        import asyncpg  # PostgreSQL only

        delay = 0.5
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self.dsn, timeout=10)
                await connection.add_listener(NOTIFY_CHANNEL, self._heard)
                delay = 0.5
                while not connection.is_closed():
                    await asyncio.sleep(1.0)
                    await connection.execute("SELECT 1")  # notices a dropped connection
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("inbox: cannot listen for new updates (%s)", type(error).__name__)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


def poison_text(language: str) -> str:
    return str(update_given_up(translator(language)).text)


class InboxWorker:
    """Claims inbox rows and hands them to the Application, until stopped."""

    def __init__(
        self,
        runtime: Runtime,
        app: Application,
        *,
        lease: float | None = None,
        poll: float | None = None,
        concurrency: int | None = None,
    ) -> None:
        self.runtime = runtime
        self.app = app
        self.lease = timedelta(seconds=lease or runtime.settings.inbox_lease_seconds)
        self.poll = poll or runtime.settings.inbox_poll_seconds
        self.concurrency = concurrency or runtime.settings.inbox_in_hand
        self.token = uuid.uuid4().hex
        self.processor = cast(UnitOfWorkProcessor, app.update_processor)
        self.processor.before_update.append(self.load_conversations)
        self.handled = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._listener: InboxListener | None = None
        # Updates handed over by this process's receiver (receive), and the people whose
        # conversation states in memory are current: only this process handled their updates
        # since it last read them (see receive and load_conversations).
        self._in_hand: set[int] = set()
        self._direct: set[int] = set()
        self._fresh: OrderedDict[int, None] = OrderedDict()
        self._slots = asyncio.Semaphore(self.concurrency)
        self._starved = False  # the claim loop may have rows to claim once a slot frees
        self.processor.after_update.append(self._after_update)

    @property
    def bot_id(self) -> int:
        return self.app.bot.id

    def wake(self) -> None:
        """New rows were stored (by a receiver in this process): look now."""
        self._wake.set()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._loop_task = loop.create_task(self._run(), name="inbox-worker")
        self._heartbeat_task = loop.create_task(self._heartbeat(), name="inbox-lease")
        if self.runtime.engine.dialect.name == "postgresql":
            self._listener = InboxListener(
                self.runtime.settings.database_url,
                lambda bot_id: self.wake() if bot_id == self.bot_id else None,
            )
            self._listener.start()
        log.info("inbox worker started (lease %.0f s)", self.lease.total_seconds())

    async def stop(self) -> None:
        """Claim nothing more; let the updates in hand finish."""
        self._stopping = True
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat_task
            self._heartbeat_task = None

    async def run_forever(self) -> None:
        self.start()
        assert self._loop_task is not None
        await self._loop_task

    async def drain(self) -> int:
        """Handle pending updates until none can be claimed (tests, one-off runs)."""
        handled = 0
        while True:
            rows = await self.claim(self.concurrency)
            if not rows:
                return handled
            await asyncio.gather(*(self.handle(row) for row in rows))
            handled += len(rows)

    async def _run(self) -> None:
        delay = self.poll
        while not self._stopping:
            self._wake.clear()
            free = self.concurrency - len(self._tasks)
            rows: list[Claimed] = []
            if free > 0:
                try:
                    rows = await self.claim(free)
                    delay = self.poll
                except Exception as error:
                    if not is_outage(error):
                        log.exception("inbox: could not claim updates")
                    else:
                        log.warning("inbox: database unavailable (%s)", type(error).__name__)
                    delay = min(delay * 2, 10.0)
            # No free slot, or as many rows as slots: there may be more to claim once a slot
            # frees, also one taken by an update our receiver handed over.
            self._starved = free <= 0 or (bool(rows) and len(rows) == free)
            for row in rows:
                self._in_hand.add(row.update_id)
                task = asyncio.get_running_loop().create_task(self.handle(row))
                self._tasks.add(task)
                task.add_done_callback(self._finished)
            # Then wait: for new rows (the receiver wakes us), for a slot (an update finished:
            # its lane's next one may be claimable), or for the next look. A claim that got
            # fewer rows than it asked for found nothing more to take.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # the lane's next update may be claimed now

    def _finished_direct(self, task: asyncio.Task[None]) -> None:
        """An update our receiver handed over is over: the person's next ones were handed over
        too, so there is nothing to claim behind it; a slot is free for a claim that waited."""
        self._tasks.discard(task)
        if self._starved:
            self._wake.set()

    async def _heartbeat(self) -> None:
        """Renew the leases of the updates in hand, so a slow update is not taken over."""
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            if not self._tasks:
                continue
            try:
                async with writing(self.runtime) as session:
                    await session.exec(
                        update(InboxUpdate)  # pending, or done early and still in hand
                        .where(col(InboxUpdate.claim_token) == self.token)
                        .values(lease_until=self.runtime.clock.now() + self.lease)
                    )
                    await session.commit()
            except Exception as error:
                log.warning("inbox: could not renew leases (%s)", type(error).__name__)

    async def receive(self, updates: Sequence[Update]) -> int:
        """Store a batch from this process's own receiver (polling) and hand it straight to this
        worker, claimed in the same commit: no claim query and no reading back per update. A
        person with an update in the inbox that this worker does not hold (another worker's, or
        one waiting since before a restart) gets theirs stored unclaimed instead, to be claimed
        in order behind it. Returns how many updates were new."""
        if not updates:
            return 0
        now = self.runtime.clock.now()
        lanes = {lane_of(update) for update in updates}
        async with writing(self.runtime) as session:
            others = (
                await session.exec(
                    sa_select(InboxUpdate.lane, InboxUpdate.update_id)  # type: ignore[call-overload]
                    .where(col(InboxUpdate.bot_id) == self.bot_id)
                    .where(col(InboxUpdate.lane).in_(lanes))
                    .where(
                        or_(
                            col(InboxUpdate.state) == InboxState.PENDING,
                            col(InboxUpdate.lease_until) >= now,  # done early, still in hand
                        )
                    )
                )
            ).all()
            behind = {lane for lane, update_id in others if update_id not in self._in_hand}
            lease_until = now + self.lease
            rows = [
                inbox_row(self.bot_id, update, now)
                if lane_of(update) in behind
                else inbox_row(
                    self.bot_id, update, now, claim_token=self.token, lease_until=lease_until
                )
                for update in updates
            ]
            stored = await insert_rows(session, rows)
            if dialect(session) == "postgresql" and behind:  # wakes other processes' workers
                await notify_workers(session, self.bot_id)
            await session.commit()
        for lane in behind:
            self._fresh.pop(lane, None)
        loop = asyncio.get_running_loop()
        for incoming, row in zip(updates, rows, strict=True):
            if incoming.update_id not in stored or row["claim_token"] is None:
                continue
            claimed = Claimed(self.bot_id, incoming.update_id, row["lane"], {}, incoming)
            self._direct.add(incoming.update_id)
            self._in_hand.add(incoming.update_id)
            task = loop.create_task(self.handle(claimed))
            self._tasks.add(task)
            task.add_done_callback(self._finished_direct)
        if behind:
            self.wake()
        return len(stored)

    async def _after_update(self, update: Update, unit: Unit) -> None:
        """Under the person's lock, after their update: this process's memory of their
        conversations is current, unless another worker's commit took the update (lost)."""
        user = update.effective_user
        if user is None:
            return
        if unit.lost:
            self._fresh.pop(user.id, None)
            return
        self._fresh[user.id] = None
        self._fresh.move_to_end(user.id)
        while len(self._fresh) > FRESH_LANES:
            self._fresh.popitem(last=False)

    async def claim(self, limit: int) -> list[Claimed]:
        """The heads of up to `limit` lanes nobody holds, claimed for this worker."""
        now = self.runtime.clock.now()
        params = {
            "bot": self.bot_id,
            "now": now,
            "limit": limit,
            "token": self.token,
            "lease": now + self.lease,
        }
        claimed: list[Claimed] = []
        given_up: list[Claimed] = []
        async with writing(self.runtime) as session:
            rows = (await session.exec(_CLAIM, params=params)).all()
            if rows:
                await session.commit()
        for update_id, lane, payload, state in sorted(rows, key=lambda row: row[0]):
            item = Claimed(self.bot_id, update_id, lane, dict(payload))
            (given_up if state == InboxState.FAILED.value else claimed).append(item)
        for item in given_up:
            log.error("inbox: gave up update %s after %s attempts", item.update_id, MAX_ATTEMPTS)
            await self._tell_given_up(item)
        if given_up and not claimed:  # their lanes' next updates may be claimed now
            return await self.claim(limit)
        return claimed

    async def handle(self, row: Claimed) -> None:
        """One claimed update through the Application; its row ends done or failed."""
        try:
            async with self._slots:
                await self._handle(row)
        finally:
            self._in_hand.discard(row.update_id)
            self._direct.discard(row.update_id)

    async def _handle(self, row: Claimed) -> None:
        incoming = row.update
        if incoming is None:
            try:
                incoming = Update.de_json(row.payload, self.app.bot)
            except Exception as error:  # stored by an older version, or damaged: keep it
                log.error(
                    "inbox: update %s cannot be read (%s)", row.update_id, type(error).__name__
                )
                await self._finish(row, failed=f"unreadable: {type(error).__name__}")
                return
        if row.update is not None:
            # Handed over by our receiver: the person's later updates are handed to this worker
            # too (claimed at insert, behind this one in the person's lock), so the row needs
            # no holding of the lane after a commit before a reply: one statement less.
            receipt = Receipt(record=lambda session, _final: self._mark_handled(session, row, True))
        else:
            receipt = Receipt(
                record=lambda session, final: self._mark_handled(session, row, final),
                release=lambda session: self._free_lane(session, row),
            )
        self.processor.receipts[row.update_id] = receipt
        try:
            await self.processor.process_update(incoming, self.app.process_update(incoming))
        except Exception as error:
            # Not a handler's error (the error handler takes those): e.g. the database away
            # while we finish. Give the row back; the attempts count stays.
            log.warning("inbox: update %s not finished (%s)", row.update_id, type(error).__name__)
            await self._release(row, type(error).__name__)
            return
        finally:
            self.processor.receipts.pop(row.update_id, None)
        if receipt.failed:
            await self._finish(row, failed="the handler raised")
        elif not receipt.recorded:  # not through a unit (no user), or lost to another worker
            await self._finish(row, failed=None)
        if receipt.held:  # done early, and the update's end did not commit: free the lane now
            await self._free_lane_alone(row)
        self.handled += 1

    async def _mark_handled(self, session: AsyncSession, row: Claimed, final: bool) -> None:
        """In the update's own transaction: its row done. No row changed: another worker's commit
        marked it first (our lease ran out), so this attempt must roll back. Not `final` (the
        update commits before a reply and goes on): the row stays ours and holds the person's
        lane, so their next update, in any process, waits for this one's conversation state."""
        if await self._mark(session, row, InboxState.DONE, hold=not final) == 0:
            raise HandledElsewhere(row.update_id)

    async def _mark(
        self, session: AsyncSession, row: Claimed, state: InboxState, *, hold: bool = False
    ) -> int:
        result = await session.exec(
            _MARK_HOLDING if hold else _MARK,
            params={
                "bot": row.bot_id,
                "update": row.update_id,
                "state": state.value,
                "done_at": self.runtime.clock.now(),
            },
        )
        return int(result.rowcount or 0)

    async def _free_lane(self, session: AsyncSession, row: Claimed) -> None:
        """A row done early (see `_mark_handled`) lets go of its lane."""
        await session.exec(
            _FREE_LANE, params={"bot": row.bot_id, "update": row.update_id, "token": self.token}
        )

    async def _free_lane_alone(self, row: Claimed) -> None:
        try:
            async with writing(self.runtime) as session:
                await self._free_lane(session, row)
                await session.commit()
        except Exception as error:  # the lease runs out instead
            log.warning(
                "inbox: could not free lane of update %s (%s)", row.update_id, type(error).__name__
            )

    async def _finish(self, row: Claimed, *, failed: str | None) -> None:
        """Mark a row done (a read-only update, or one whose unit was rolled back) or failed, if
        the update's own commit did not mark it already; tried again while the database is away."""
        delay = 0.25
        while True:
            try:
                async with writing(self.runtime) as session:
                    await self._mark(session, row, InboxState.FAILED if failed else InboxState.DONE)
                    if failed:
                        await session.exec(
                            update(InboxUpdate)
                            .where(col(InboxUpdate.bot_id) == row.bot_id)
                            .where(col(InboxUpdate.update_id) == row.update_id)
                            .where(col(InboxUpdate.state) == InboxState.FAILED)
                            .values(last_error=failed[:300])
                        )
                    await session.commit()
                return
            except Exception as error:
                if not is_outage(error) or self._stopping:
                    log.warning(
                        "inbox: could not finish update %s (%s); its lease will expire",
                        row.update_id,
                        type(error).__name__,
                    )
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _release(self, row: Claimed, error: str) -> None:
        with contextlib.suppress(Exception):
            async with writing(self.runtime) as session:
                await session.exec(
                    update(InboxUpdate)
                    .where(col(InboxUpdate.bot_id) == row.bot_id)
                    .where(col(InboxUpdate.update_id) == row.update_id)
                    .where(col(InboxUpdate.claim_token) == self.token)
                    .values(claim_token=None, lease_until=None, last_error=error[:300])
                )
                await session.commit()

    async def _tell_given_up(self, row: Claimed) -> None:
        """The user's update was given up: say so, in their language, never stay silent."""
        try:
            incoming = Update.de_json(row.payload, self.app.bot)
        except Exception:
            return
        chat, user = incoming.effective_chat, incoming.effective_user
        if chat is None:
            return
        language = self.runtime.settings.default_language
        try:
            if user is not None:
                async with self.runtime.sessions() as session:
                    actor = await load_actor(session, user.id)
                language = pick_language(actor, user.language_code, language)
            await self.app.bot.send_message(chat.id, poison_text(language))
        except Exception as error:
            log.warning("inbox: could not tell chat %s (%s)", chat.id, type(error).__name__)

    # --- conversations kept by PTB in memory ----------------------------------------------
    def _conversations(self) -> list[ConversationHandler]:
        return [
            h
            for group in self.app.handlers.values()
            for h in group
            if isinstance(h, ConversationHandler) and h.persistent
        ]

    async def load_conversations(self, incoming: Update) -> None:
        """Before a user's update: their conversation states as the database has them (another
        worker process may have handled their last step), into PTB's in-memory dicts. Not for an
        update handed over by this process's receiver when only this process has handled the
        person's updates since it last read them: memory is current then."""
        user = incoming.effective_user
        if incoming.update_id in self._direct and user is not None and user.id in self._fresh:
            return
        handlers: list[tuple[ConversationHandler, Any, str]] = []
        for handler in self._conversations():
            try:
                key = handler._get_key(incoming)
            except RuntimeError:
                continue
            handlers.append((handler, key, json.dumps(list(key))))
        if not handlers:
            return
        persistence = self.app.persistence
        pending: dict[tuple[str, str], object] = getattr(persistence, "pending", {})
        names = {h.name or "" for h, _, _ in handlers}
        keys = {text for _, _, text in handlers}
        async with self.runtime.sessions() as session:
            rows = (
                await session.exec(
                    select(ConversationState)
                    .where(col(ConversationState.name).in_(names))
                    .where(col(ConversationState.key).in_(keys))
                )
            ).all()
        stored = {(row.name, row.key): row.state for row in rows}
        for handler, key, text in handlers:
            name = handler.name or ""
            if (name, text) in pending:  # a newer change of ours, not written yet
                continue
            states = handler._conversations
            data = getattr(states, "data", states)  # a TrackingDict: write without tracking
            if (name, text) in stored:
                data[key] = stored[(name, text)]
            else:
                data.pop(key, None)
