"""Receiving updates into the inbox (models/inbox.py) before Telegram is told they arrived.

Polling: our own getUpdates loop instead of PTB's Updater. It stores a batch and commits, and only
then asks for the next offset (which is what confirms the batch to Telegram). Webhook: the
endpoint (handlers/webhook.py) stores and commits the update before it answers 200. A receiver
killed at any moment loses nothing: Telegram delivers again what was not confirmed, and a
duplicate is ignored. Workers (jobs/inbox.py) handle the stored updates.

`serve` is a bot process: receiver and worker together (`bot.py run`), only the receiver
(`bot.py receive`) or only a worker (`bot.py work`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from core.db import dialect, is_outage
from core.heap import settle_heap
from core.runtime import Runtime
from jobs.inbox import InboxWorker, inbox_row, insert_rows, notify_workers, writing

log = logging.getLogger(__name__)

POLL_TIMEOUT = 30  # seconds a getUpdates call waits for something to arrive
POLL_BATCH = 100


async def store_updates(runtime: Runtime, bot_id: int, updates: Sequence[Update]) -> int:
    """Insert the updates into the inbox and commit; one already there is ignored (Telegram
    delivered it again). Returns how many were new."""
    if not updates:
        return 0
    now = runtime.clock.now()
    rows = [inbox_row(bot_id, update, now) for update in updates]
    async with writing(runtime) as session:
        postgres = dialect(session) == "postgresql"
        stored = await insert_rows(session, rows)
        if postgres:  # wakes the workers of other processes at the commit (jobs.inbox)
            await notify_workers(session, bot_id)
        await session.commit()
    return len(stored)


class PollingReceiver:
    """getUpdates in a loop: store, commit, then ask for the next offset. With a `worker` of the
    same process (`bot.py run`), a batch is stored already claimed by it and handed to it
    directly (InboxWorker.receive); otherwise `on_stored` is called after each commit."""

    def __init__(
        self,
        runtime: Runtime,
        bot: Bot,
        allowed_updates: list[str] | None,
        on_stored: Callable[[], None] | None = None,
        timeout: int = POLL_TIMEOUT,
        worker: InboxWorker | None = None,
    ) -> None:
        self.runtime = runtime
        self.bot = bot
        self.allowed_updates = allowed_updates
        self.on_stored = on_stored
        self.timeout = timeout
        self.worker = worker
        self.received = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="inbox-receiver")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        offset: int | None = None
        delay = 0.5
        log.info("receiving updates by polling")
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    limit=POLL_BATCH,
                    timeout=self.timeout,
                    allowed_updates=self.allowed_updates,
                )
            except RetryAfter as error:
                await asyncio.sleep(float(error.retry_after))  # type: ignore[arg-type]
                continue
            except InvalidToken:
                raise
            except (NetworkError, Conflict, TelegramError) as error:
                log.warning("getUpdates failed (%s); trying again", type(error).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 0.5
            if not updates:
                continue
            await self._store(updates)
            offset = updates[-1].update_id + 1  # the next call confirms this batch to Telegram

    async def _store(self, updates: Sequence[Update]) -> None:
        """Store a batch, waiting out a database outage (the batch stays unconfirmed)."""
        delay = 0.25
        while True:
            try:
                if self.worker is not None:
                    self.received += await self.worker.receive(updates)
                else:
                    self.received += await store_updates(self.runtime, self.bot.id, updates)
                break
            except Exception as error:
                if not is_outage(error):
                    raise
                log.warning(
                    "inbox: database unavailable (%s); holding the batch", type(error).__name__
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        if self.on_stored is not None:
            self.on_stored()


async def serve(
    app: Application,
    runtime: Runtime,
    *,
    receive: bool,
    work: bool,
    allowed_updates: list[str],
    serve_webhook: Callable[[Application, Callable[[Update], Awaitable[None]]], Awaitable[Any]]
    | None = None,
) -> None:
    """A bot process until SIGINT or SIGTERM: receiver and/or worker around the Application, with
    PTB's start and stop steps (post_init, start, stop, post_stop, shutdown). `serve_webhook`:
    receive by webhook instead of polling; called with the app and the store function, it starts
    the endpoint and returns an awaitable that stops it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    worker: InboxWorker | None = None
    receiver: PollingReceiver | None = None
    stop_webhook: Any = None
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        if work:
            worker = InboxWorker(runtime, app)
            worker.start()
        wake = worker.wake if worker is not None else None
        if receive and serve_webhook is not None:

            async def store(update: Update) -> None:
                await store_updates(runtime, app.bot.id, [update])
                if wake is not None:
                    wake()

            stop_webhook = await serve_webhook(app, store)
        elif receive:
            await app.bot.delete_webhook()
            receiver = PollingReceiver(runtime, app.bot, allowed_updates, wake, worker=worker)
            receiver.start()
        settle_heap()
        log.info("bot process ready (%s)", _roles(receive, work))
        await stop.wait()
        if receiver is not None:
            await receiver.stop()
        if stop_webhook is not None:
            await stop_webhook()
        if worker is not None:
            await worker.stop()  # the updates in hand finish; the others wait in the inbox
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    finally:
        if receiver is not None:
            await receiver.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
    log.info("bot stopped")


def _roles(receive: bool, work: bool) -> str:
    return " and ".join(name for name, on in (("receiver", receive), ("worker", work)) if on)
