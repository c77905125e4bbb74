"""The outbox sender: drains queued messages within Telegram's limits and records each outcome.

Rows are claimed in a transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so several senders can
share one queue); a claim older than the lease is taken back, so after a kill -9 nothing is lost
and duplicates are bounded by one batch. The limits are kept by a pacer (jobs/pacing.py), shared
through Redis when REDIS_URL is set.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMediaPhoto
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from core.db import dialect, unit_of_work
from core.runtime import Runtime
from core.screen import MAX_ALBUM
from handlers.transport import stale_file_id
from jobs.pacing import Pacer, build_pacer
from models import Media, OutboxMessage, OutboxStatus, Resident, pk
from services import bots
from services.rights import MENU_PURPOSE, is_menu_refresh

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    id: int
    status: str
    not_before: datetime | None = None
    error: str | None = None
    message_id: int | None = None
    resident_id: int | None = None
    not_attempted: bool = False  # deferred before sending: the claim's attempt does not count


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    retried: int = 0
    rate_limited: int = 0  # 429s received
    deferred: int = 0  # put back to respect the per-chat limit
    pacing_fallbacks: int = 0  # sends paced locally because the shared pacer (Redis) failed
    batches: int = 0
    errors: list[str] = field(default_factory=list)


class OutboxSender:
    def __init__(
        self,
        runtime: Runtime,
        bot: Bot,
        *,
        rate: float | None = None,
        chat_interval: float | None = None,
        batch_size: int | None = None,
        lease: timedelta | None = None,
        max_attempts: int = 5,
        concurrency: int = 64,
        monotonic: Callable[[], float] = time.monotonic,
        pacer: Pacer | None = None,
    ) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.bot = bot
        self.rate = rate or settings.outbox_rate
        self.chat_interval = (
            settings.outbox_chat_interval if chat_interval is None else chat_interval
        )
        self.batch_size = batch_size or max(1, min(settings.outbox_batch, int(self.rate)))
        self.lease = lease or timedelta(seconds=settings.outbox_lease_seconds)
        self.max_attempts = max_attempts
        self.monotonic = monotonic
        self.stats = SenderStats()
        self.bot_id = bots.bot_id_of(bot.token)  # pacing keys, metrics and claims are per bot
        self.pacer = pacer or build_pacer(
            settings.redis_url,
            settings.redis_prefix,
            str(self.bot_id),
            self.rate,
            self.chat_interval,
            monotonic,
        )
        runtime.metrics.watch_sender(str(self.bot_id), self.stats)
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._recording: asyncio.Task[None] | None = None
        self._prefetch: asyncio.Task[list[OutboxMessage]] | None = None
        self._media_ids: dict[int, str] = {}
        # The claims this sender holds and has not yet recorded: never taken back by itself,
        # however slow a batch is (only a dead sender's claims are stale).
        self._held: set[str] = set()
        self._media_locks: dict[int, asyncio.Lock] = {}

    # --- claiming ----------------------------------------------------------------------
    async def reclaim_stale(self) -> int:
        """Put back claims older than the lease: their sender died before recording the outcome."""
        now = self.runtime.clock.now()
        async with unit_of_work(self.runtime.sessions) as session:
            result = await session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.status) == OutboxStatus.SENDING)
                .where(col(OutboxMessage.claimed_at) < now - self.lease)
                .where(col(OutboxMessage.claim_token).not_in(self._held or {""}))
                .values(status=OutboxStatus.QUEUED, claim_token=None)
            )
        if result.rowcount:
            log.warning("reclaimed %s outbox messages from a sender that stopped", result.rowcount)
        return result.rowcount

    async def claim(self, limit: int) -> list[OutboxMessage]:
        now = self.runtime.clock.now()
        token = uuid.uuid4().hex
        async with unit_of_work(self.runtime.sessions) as session:
            due = (
                select(col(OutboxMessage.id))
                .where(col(OutboxMessage.status) == OutboxStatus.QUEUED)
                .where(col(OutboxMessage.not_before) <= now)
                .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
                .limit(limit)
            )
            # A city's bots each send their own rows.
            due = due.where(
                bots.outbox_rows_of(self.bot_id, default=self.runtime.bot_account is None)
            )
            if self.runtime.menu_refresh is None:  # a sender without the bot leaves menus to it
                due = due.where(col(OutboxMessage.purpose).not_like(f"{MENU_PURPOSE}%"))
            if dialect(session) == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list((await session.exec(due)).all())
            if not ids:
                return []
            await session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .where(col(OutboxMessage.status) == OutboxStatus.QUEUED)
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_at=now,
                    claim_token=token,
                    attempts=col(OutboxMessage.attempts) + 1,
                )
            )
            rows = await session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.claim_token) == token)
                .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
            )
            claimed = list(rows.all())
        self._held.add(token)
        return claimed

    # --- sending -----------------------------------------------------------------------
    async def run_once(self) -> int:
        """Claim one batch, send it within the limits, record every outcome. Returns batch size."""
        if self._prefetch is not None:
            prefetch, self._prefetch = self._prefetch, None
            batch = await prefetch
        else:
            batch = await self.claim(self.batch_size)
        if not batch:
            await self._flush()
            return 0
        if not self._stopping:
            # Claim the next batch while this one goes out (the loop never waits on the database).
            self._prefetch = asyncio.create_task(self.claim(self.batch_size))
        self.stats.batches += 1
        tasks = []
        last_for_chat: dict[int, asyncio.Task[Outcome]] = {}
        outcomes: list[Outcome] = []
        # Paid broadcasts are reserved all at once, on their own pace (jobs/pacing.py).
        paid = [m for m in batch if m.paid_broadcast]
        reserved = dict(
            zip(
                (pk(m) for m in paid),
                await self.pacer.reserve_paid([m.chat_id for m in paid]),
                strict=True,
            )
        )
        started = self.monotonic()
        for message in batch:
            send_in = 0.0
            if message.paid_broadcast:
                wait, send_in = reserved[pk(message)].chat_wait, reserved[pk(message)].send_in
                send_in -= self.monotonic() - started
            else:
                wait = await self.pacer.acquire(message.chat_id)
            self.stats.pacing_fallbacks = self.pacer.fallbacks
            if wait > 0:
                self.stats.deferred += 1
                deferred = self._requeue(message, wait, None)
                deferred.not_attempted = True
                outcomes.append(deferred)
                continue
            if send_in > 0:
                await asyncio.sleep(send_in)
            await self._slots.acquire()
            # Two messages for one chat in a batch go out one after the other, in queue order.
            previous = last_for_chat.get(message.chat_id)
            task = asyncio.create_task(self._deliver(message, after=previous))
            last_for_chat[message.chat_id] = task
            tasks.append(task)
        outcomes += await asyncio.gather(*tasks)
        # Writing this batch's outcomes overlaps with sending the next one, so the database
        # round trip does not eat into the send rate; at most two batches are ever in flight.
        await self._flush()
        self._recording = asyncio.create_task(self._record(outcomes, _token(batch)))
        return len(batch)

    def _requeue(self, message: OutboxMessage, seconds: float, error: str | None) -> Outcome:
        return Outcome(
            pk(message),
            OutboxStatus.QUEUED,
            not_before=self.runtime.clock.now() + timedelta(seconds=seconds),
            error=error,
        )

    async def _deliver(
        self, message: OutboxMessage, after: asyncio.Task[Outcome] | None = None
    ) -> Outcome:
        if after is not None:
            await asyncio.wait([after])
        try:
            if is_menu_refresh(message.payload) and self.runtime.menu_refresh is not None:
                await self.runtime.menu_refresh(self.bot, message.chat_id)
                return Outcome(pk(message), OutboxStatus.SENT)
            sent = await self._send(message)
            self.stats.sent += 1
            return Outcome(pk(message), OutboxStatus.SENT, message_id=sent.message_id)
        except RetryAfter as error:
            seconds = _seconds(error.retry_after)
            self.stats.rate_limited += 1
            await self.pacer.pause(seconds)
            log.warning("Telegram asked to wait %ss (429)", seconds)
            return self._requeue(message, seconds, "429")
        except Forbidden as error:
            self.stats.unreachable += 1
            return Outcome(
                pk(message),
                OutboxStatus.UNREACHABLE,
                error=str(error)[:300],
                resident_id=message.resident_id,
            )
        except BadRequest as error:
            self.stats.failed += 1
            return Outcome(pk(message), OutboxStatus.FAILED, error=str(error)[:300])
        except (TelegramError, OSError) as error:
            if message.attempts >= self.max_attempts:
                self.stats.failed += 1
                return Outcome(pk(message), OutboxStatus.FAILED, error=str(error)[:300])
            self.stats.retried += 1
            return self._requeue(message, min(2**message.attempts, 300), str(error)[:300])
        finally:
            self._slots.release()

    async def _send(self, message: OutboxMessage) -> Any:
        payload = message.payload
        # Only paid rows carry the flag: the others' requests stay as they were.
        extra: dict[str, Any] = {"allow_paid_broadcast": True} if message.paid_broadcast else {}
        markup = None
        if payload.get("buttons"):
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row]
                    for row in payload["buttons"]
                ]
            )
        if payload.get("album"):
            return await self._send_album(message.chat_id, payload, markup, extra)
        if payload.get("photo_media") or payload.get("document_media"):
            return await self._send_media(message.chat_id, payload, markup, extra)
        if payload.get("photo"):
            return await self.bot.send_photo(
                message.chat_id,
                payload["photo"],
                caption=payload.get("text"),
                reply_markup=markup,
                **extra,
            )
        if payload.get("document"):
            return await self.bot.send_document(
                message.chat_id,
                payload["document"],
                caption=payload.get("text"),
                reply_markup=markup,
                **extra,
            )
        return await self.bot.send_message(
            message.chat_id, payload["text"], reply_markup=markup, **extra
        )

    async def _send_album(
        self,
        chat_id: int,
        payload: dict[str, Any],
        markup: InlineKeyboardMarkup | None,
        extra: dict[str, Any],
    ) -> Any:
        """Photos by file id, as one media group (a single photo alone); buttons and a caption
        that cannot go on a group follow as a text."""
        photos, text = list(payload["album"])[:MAX_ALBUM], payload.get("text")
        if len(photos) == 1:
            return await self.bot.send_photo(
                chat_id, photos[0], caption=text, reply_markup=markup, **extra
            )
        caption = None if markup is not None else text
        media = [
            InputMediaPhoto(p, caption=caption if i == 0 else None) for i, p in enumerate(photos)
        ]
        sent = await self.bot.send_media_group(chat_id, media, **extra)
        if markup is None or not text:
            return sent[0]
        return await self.bot.send_message(chat_id, text, reply_markup=markup, **extra)

    async def _send_media(
        self,
        chat_id: int,
        payload: dict[str, Any],
        markup: InlineKeyboardMarkup | None,
        extra: dict[str, Any],
    ) -> Any:
        """A file the bot made: uploaded once (one upload at a time per file), then re-sent by
        the file id Telegram gave, which is kept in the database for later batches and restarts.
        A file id Telegram no longer accepts (a new bot token, an expired file reference) is
        replaced: the file is uploaded again from the stored copy, once per send."""
        photo = bool(payload.get("photo_media"))
        media_id = int(payload.get("photo_media") or payload["document_media"])
        caption = payload.get("text")
        send = self.bot.send_photo if photo else self.bot.send_document
        lock = self._media_locks.setdefault(media_id, asyncio.Lock())
        async with lock:
            file_id = self._media_ids.get(media_id)
            if file_id is None:
                async with self.runtime.sessions() as session:
                    media = await session.get(Media, media_id)
                    if media is None:
                        raise BadRequest("media file missing")
                    file_id = media.telegram_file_id
            if file_id is None:
                return await self._upload_media(media_id, chat_id, photo, caption, markup, extra)
            self._media_ids[media_id] = file_id
        try:
            return await send(chat_id, file_id, caption=caption, reply_markup=markup, **extra)
        except BadRequest as error:
            if not stale_file_id(error):
                raise
            log.info(
                "media %s: Telegram refused its file id (%s); uploading again", media_id, error
            )
        async with lock:
            current = self._media_ids.get(media_id)
            if current is not None and current != file_id:  # another send uploaded it meanwhile
                fresh = current
            else:
                self._media_ids.pop(media_id, None)
                return await self._upload_media(media_id, chat_id, photo, caption, markup, extra)
        return await send(chat_id, fresh, caption=caption, reply_markup=markup, **extra)

    async def _upload_media(
        self,
        media_id: int,
        chat_id: int,
        photo: bool,
        caption: str | None,
        markup: InlineKeyboardMarkup | None,
        extra: dict[str, Any],
    ) -> Any:
        """Upload the stored copy and keep the file id Telegram gives it (under the media lock)."""
        async with self.runtime.sessions() as session:
            media = await session.get(Media, media_id)
            if media is None:
                raise BadRequest("media file missing")
            content, filename = media.content, media.filename
        upload = InputFile(content, filename=filename)
        send = self.bot.send_photo if photo else self.bot.send_document
        sent = await send(chat_id, upload, caption=caption, reply_markup=markup, **extra)
        attachment = sent.photo[-1] if photo else sent.document
        assert attachment is not None
        async with unit_of_work(self.runtime.sessions) as session:
            stored = await session.get(Media, media_id)
            assert stored is not None
            stored.telegram_file_id = attachment.file_id
        self._media_ids[media_id] = attachment.file_id
        return sent

    async def _record(self, outcomes: list[Outcome], token: str | None) -> None:
        """One transaction for the whole batch: a crash before it re-sends at most one batch.
        Once written (or failed to), the claim is no longer this sender's to keep."""
        try:
            await self._write(outcomes)
        finally:
            self._held.discard(token or "")

    async def _write(self, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        now = self.runtime.clock.now()
        rows = []
        for outcome in outcomes:
            row: dict[str, Any] = {
                "id": outcome.id,
                "status": outcome.status,
                "last_error": outcome.error,
                "claim_token": None,
                "sent_at": now if outcome.status == OutboxStatus.SENT else None,
                "telegram_message_id": outcome.message_id,
            }
            if outcome.not_before is not None:
                row["not_before"] = outcome.not_before
            if outcome.status == OutboxStatus.SENT:
                # Delivered: the rendered text and files are no longer kept (PIPL, minimum
                # retention); status, recipient, purpose and times stay for the reports.
                row["payload"] = {}
            rows.append(row)
        async with unit_of_work(self.runtime.sessions) as session:
            # Rows with the same keys go together: one executemany per shape.
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                shapes.setdefault(tuple(sorted(row)), []).append(row)
            for group in shapes.values():
                await session.exec(update(OutboxMessage), params=group)
            undo = [o.id for o in outcomes if o.not_attempted]
            if undo:
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(undo))
                    .values(attempts=col(OutboxMessage.attempts) - 1)
                )
            blocked = [
                o.resident_id
                for o in outcomes
                if o.status == OutboxStatus.UNREACHABLE and o.resident_id
            ]
            if blocked:
                await session.exec(
                    update(Resident)
                    .where(col(Resident.id).in_(blocked))
                    .where(col(Resident.unreachable_at).is_(None))
                    .values(unreachable_at=now)
                )

    async def _flush(self) -> None:
        """Wait for the previous batch's outcomes to be written; give back an unused prefetch."""
        if self._prefetch is not None and self._stopping:
            prefetch, self._prefetch = self._prefetch, None
            unsent = await prefetch
            await self._record(
                [Outcome(pk(m), OutboxStatus.QUEUED, not_attempted=True) for m in unsent],
                _token(unsent),
            )
        if self._recording is not None:
            task, self._recording = self._recording, None
            await task

    # --- lifecycle ---------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    async def drain(self, max_batches: int = 1000) -> SenderStats:
        """Send everything due now (tests and the CLI)."""
        for _ in range(max_batches):
            if not await self.run_once():
                break
        self._stopping, stopping = True, self._stopping
        await self._flush()
        self._stopping = stopping
        return self.stats

    async def run_forever(self, idle: float = 0.5) -> None:
        await self.reclaim_stale()
        last_reclaim = self.monotonic()
        while not self._stopping:
            try:
                sent = await self.run_once()
            except Exception:  # a database hiccup must not kill the sender
                log.exception("outbox batch failed; retrying")
                sent = 0
                await asyncio.sleep(1)
            if self.monotonic() - last_reclaim > self.lease.total_seconds() / 2:
                await self.reclaim_stale()
                last_reclaim = self.monotonic()
            if not sent:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), idle)
                except TimeoutError:
                    pass

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self.run_forever())

    async def stop(self) -> None:
        """Finish the batch in hand, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._flush()
        await self.pacer.close()


def _token(batch: list[OutboxMessage]) -> str | None:
    return batch[0].claim_token if batch else None


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
