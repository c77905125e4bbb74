"""Per-update unit of work and the custom CallbackContext that exposes it to handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackContext,
    ConversationHandler,
    ExtBot,
)

from core.db import WriteTracker, commit, discard_pending, is_outage, keep_loaded
from core.i18n import Translator, language_from_telegram, translator
from core.runtime import Runtime
from models import ProcessedUpdate
from services.actors import Actor, load_actor

if TYPE_CHECKING:
    from handlers.persistence import DatabasePersistence

log = logging.getLogger(__name__)


class HandledElsewhere(Exception):
    """The update's inbox row was marked done by another worker's commit (its lease ran out while
    this one worked): this attempt rolls back."""


@dataclass
class Receipt:
    """Ties an update to the record of its delivery (its inbox row, jobs/inbox.py): `record` marks
    it handled in the session of the update's own commit (the inbox row is the update's only
    record: a pending row is claimed, a done row never is); `failed` tells the inbox the update
    was not applied (the handler raised, or the database stayed away)."""

    record: Callable[[AsyncSession, bool], Awaitable[None]]  # (session, final)
    release: Callable[[AsyncSession], Awaitable[None]] | None = None
    failed: bool = False
    recorded: bool = False  # marked in a transaction that then committed (or lost to a twin)
    # Marked done before the update ended (a commit before a reply: Unit.settle): the row still
    # holds the person's lane, so their next update waits for this one's conversation state.
    # (No `release`: the row never holds the lane; nobody else could take the next update.)
    held: bool = False


@dataclass
class Unit:
    """One update's session, actor and language; committed once at the end."""

    update: Update
    session: AsyncSession
    actor: Actor
    translator: Translator
    failed: bool = False
    actor_changed: bool = False
    writes: WriteTracker | None = None
    mark_processed: Callable[[], ProcessedUpdate] | None = None
    recorded: bool = False  # the update id is committed already (see settle)
    outage: BaseException | None = None  # the database went away while a handler ran
    receipt: Receipt | None = None  # the update came from the inbox: marked with the commit
    lost: bool = False  # another worker's commit took the update: this one rolled back

    def telling(self) -> bool:
        """A use case recorded messages to queue at commit."""
        return bool(self.session.info.get("before_commit"))

    def changed(self) -> bool:
        session = self.session
        return bool(
            (self.writes is not None and self.writes.happened)
            or session.new
            or session.dirty
            or session.deleted
        )

    async def settle(self) -> None:
        """Commit what this update has changed so far, with its update id, before the user is
        told about it: a reply never announces what a failed commit then loses, and on SQLite
        the write gate is not held while the reply travels. A later change in the same update
        is committed at its end. Nothing happens once the update has failed (it rolls back)."""
        if self.failed or self.writes is None or not (self.changed() or self.telling()):
            return
        if not self.recorded:
            await self.record(final=False)
        await commit(self.session)
        self.writes.release()
        self.writes.happened = False
        await self.reconnect()

    async def record(self, *, final: bool = True) -> None:
        """Remember in this transaction that the update was applied: its inbox row marked done
        (updates from the inbox), else its id (updates straight from PTB's Updater). Raises
        HandledElsewhere if another worker's commit marked the inbox row first. Not `final`
        (a commit before the update's end): the row keeps the person's lane until `release`."""
        if self.receipt is not None:
            await self.receipt.record(self.session, final)
            self.receipt.recorded = True  # a failed commit rolls back and tries the update again
            self.receipt.held = not final and self.receipt.release is not None
        elif self.mark_processed is not None:
            self.session.add(self.mark_processed())
        self.recorded = True

    async def reconnect(self) -> None:
        """After a commit or rollback the session has given its connection back. Take one again
        now, holding no write gate, so that a later write takes the connection first and the
        gate second, like every other unit (the other order deadlocks against a full pool)."""
        if self.writes is not None:
            self.writes.release()
        await self.session.connection()


_current_unit: ContextVar[Unit | None] = ContextVar("current_unit", default=None)


def active_unit() -> Unit | None:
    """The unit of the update being handled, or None (jobs, start-up)."""
    return _current_unit.get()


def current_unit() -> Unit:
    unit = _current_unit.get()
    if unit is None:
        raise RuntimeError("no unit of work: this code runs outside an update")
    return unit


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Gives handlers `context.session`, `context.actor`, `context._` and the clock."""

    @property
    def unit(self) -> Unit:
        return current_unit()

    @property
    def session(self) -> AsyncSession:
        return current_unit().session

    @property
    def actor(self) -> Actor:
        return current_unit().actor

    @property
    def _(self) -> Translator:
        return current_unit().translator

    @property
    def runtime(self) -> Runtime:
        return self.application.bot_data["runtime"]

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def use_language(self, language: str) -> None:
        """Switch the rest of this update to another language (after /language)."""
        current_unit().translator = translator(language)

    def mark_actor_changed(self) -> None:
        """Roles, households or language changed: refresh the command menu after commit."""
        current_unit().actor_changed = True


def pick_language(actor: Actor, telegram_code: str | None, default: str) -> str:
    """The stored language first, then Telegram's language_code, then the default."""
    if actor.resident is not None and actor.resident.language:
        return actor.resident.language
    return language_from_telegram(telegram_code, default)


class DatabaseOutage(Exception):
    """An update's unit of work met a database outage (see core.db.is_outage)."""

    def __init__(self, error: BaseException, partly_committed: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.partly_committed = partly_committed


class UnitOfWorkProcessor(BaseUpdateProcessor):
    """Runs each update in one DB transaction, one update at a time per user, skipping repeats.

    Telegram delivers at least once; the update id is recorded in the same transaction as the
    change, so a redelivered update is not applied twice.

    When the database is unreachable or busy (an outage, never a domain error), the whole update
    is rolled back and handled again from the start, with backoff, for up to
    `outage_seconds`; the user's other updates wait behind it in order. Replies go out only after
    the commit they announce, so a retried update answers once. If the database is still away
    then, or a part of the update was already committed, the user is told it was not applied.
    """

    outage_seconds = 30.0  # how long an update waits for the database to come back
    first_backoff = 0.25
    max_backoff = 4.0

    def __init__(self, runtime: Runtime, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self.runtime = runtime
        self.application: Application | None = None
        self.after_update: list[Callable[[Update, Unit], Awaitable[None]]] = []
        self.on_done: list[Callable[[int], None]] = []
        # Run under the user's lock before each of their updates (the inbox worker loads the
        # user's conversation states there, which another process may have moved on).
        self.before_update: list[Callable[[Update], Awaitable[None]]] = []
        self.receipts: dict[int, Receipt] = {}  # update id → its inbox row, while it is handled
        self._locks: dict[int, asyncio.Lock] = {}

        self._waiting: dict[int, int] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or update.effective_user is None:
            await coroutine
            return
        user_id = update.effective_user.id
        started = time.monotonic()
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock:
                for hook in self.before_update:
                    await hook(update)
                await self._process(update, coroutine)
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:
                del self._waiting[user_id], self._locks[user_id]
            self.runtime.metrics.update_handled(update.get_bot().id, time.monotonic() - started)
            for callback in self.on_done:
                callback(update.update_id)

    async def _process(self, update: Update, coroutine: Awaitable[Any]) -> None:
        """One update, tried again while the database is away (see the class docstring)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.outage_seconds
        delay = self.first_backoff
        conversations = self._snapshot_conversations(update)
        attempt = 1
        while True:
            try:
                await self._attempt(update, coroutine)
                if attempt > 1:
                    log.info("update %s applied on attempt %s", update.update_id, attempt)
                return
            except DatabaseOutage as outage:
                coroutine.close()  # type: ignore[attr-defined]  # spent or never started
                self._restore_conversations(update, conversations)
                give_up = outage.partly_committed or loop.time() + delay > deadline
                log.warning(
                    "database unavailable for update %s (attempt %s): %s%s",
                    update.update_id,
                    attempt,
                    outage.error.__class__.__name__,
                    "; giving up" if give_up else f"; trying again in {delay:.2f} s",
                )
                if give_up or self.application is None:
                    receipt = self.receipts.get(update.update_id)
                    if receipt is not None:
                        receipt.failed = True
                    await self._tell_not_applied(update, partly=outage.partly_committed)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                attempt += 1
                coroutine = self.application.process_update(update)

    def _conversation_handlers(self) -> list[ConversationHandler]:
        if self.application is None:
            return []
        return [
            h
            for group in self.application.handlers.values()
            for h in group
            if isinstance(h, ConversationHandler) and h.persistent
        ]

    def _snapshot_conversations(self, update: Update) -> dict[str, tuple[Any, bool, object]]:
        """Where this user's persistent conversations stand before the update (to restore them in
        memory when its transaction is lost to an outage: the database still has these)."""
        snapshot: dict[str, tuple[Any, bool, object]] = {}
        for handler in self._conversation_handlers():
            try:
                key = handler._get_key(update)
            except RuntimeError:
                continue
            states = handler._conversations
            snapshot[handler.name or ""] = (key, key in states, states.get(key))
        return snapshot

    def _restore_conversations(
        self, update: Update, snapshot: dict[str, tuple[Any, bool, object]]
    ) -> None:
        for handler in self._conversation_handlers():
            if (handler.name or "") not in snapshot:
                continue
            key, present, state = snapshot[handler.name or ""]
            states = handler._conversations
            data = getattr(states, "data", states)  # a TrackingDict: write without tracking
            if present:
                data[key] = state
            else:
                data.pop(key, None)
        if update.effective_chat is not None and update.effective_user is not None:
            if self.application is not None and self.application.persistence is not None:
                self._persistence().take((update.effective_chat.id, update.effective_user.id))

    async def _tell_not_applied(self, update: Update, *, partly: bool) -> None:
        """The update could not be applied (or only in part): say so, never stay silent."""
        from views.common import not_applied

        self.runtime.metrics.update_failed(update.get_bot().id)
        chat = update.effective_chat
        if chat is None:
            return
        user = update.effective_user
        language = self.runtime.settings.default_language
        if user is not None:
            language = language_from_telegram(user.language_code, language)
        screen = not_applied(translator(language), partly=partly)
        try:
            await chat.send_message(str(screen.text))
        except Exception:  # Telegram may be away too
            log.warning("could not tell chat %s that its update was not applied", chat.id)

    async def _attempt(self, update: Update, coroutine: Awaitable[Any]) -> None:
        """One try of the update; a database outage comes out as DatabaseOutage, rolled back."""
        unit_box: list[Unit] = []
        try:
            await self._once(update, coroutine, unit_box)
        except Exception as error:
            if not is_outage(error):
                raise
            recorded = bool(unit_box) and unit_box[0].recorded
            raise DatabaseOutage(error, partly_committed=recorded) from error
        if unit_box and unit_box[0].outage is not None:
            unit = unit_box[0]
            assert unit.outage is not None
            raise DatabaseOutage(unit.outage, partly_committed=unit.recorded)

    async def _once(self, update: Update, coroutine: Awaitable[Any], unit_box: list[Unit]) -> None:
        chat, user = update.effective_chat, update.effective_user
        persistence = None
        if self.application is not None and self.application.persistence is not None:
            persistence = self._persistence()
        if persistence is None or chat is None or user is None:
            await self._unit(update, coroutine, unit_box)
            return
        persistence.enter((chat.id, user.id))
        try:
            await self._unit(update, coroutine, unit_box)
        finally:
            persistence.leave((chat.id, user.id))

    async def _unit(self, update: Update, coroutine: Awaitable[Any], unit_box: list[Unit]) -> None:
        runtime = self.runtime
        bot_id = update.get_bot().id
        user = update.effective_user
        assert user is not None  # do_process_update sends updates without a user on directly
        receipt = self.receipts.get(update.update_id)
        async with runtime.sessions() as session:
            keep_loaded(session)
            if receipt is None and (
                await session.get(ProcessedUpdate, (bot_id, update.update_id)) is not None
            ):
                log.info("skipping redelivered update %s", update.update_id)
                coroutine.close()  # type: ignore[attr-defined]
                return
            actor = await load_actor(session, user.id)
            if receipt is not None:
                receipt.recorded = False  # an earlier attempt's commit may have failed
            language = pick_language(actor, user.language_code, runtime.settings.default_language)
            writes = WriteTracker(session, runtime.write_gate)
            unit = Unit(
                update,
                session,
                actor,
                translator(language),
                writes=writes,
                receipt=receipt,
                mark_processed=lambda: ProcessedUpdate(
                    bot_id=bot_id, update_id=update.update_id, processed_at=runtime.clock.now()
                ),
            )
            unit_box.append(unit)
            token = _current_unit.set(unit)
            try:
                await coroutine
                states = await self._conversation_states(update)
                committed = unit.recorded  # an earlier part committed before a reply (settle)
                if unit.outage is not None:  # the database went away: roll back, try again
                    discard_pending(session)
                    with contextlib.suppress(Exception):
                        await session.rollback()
                    return
                if unit.failed:
                    if unit.receipt is not None:
                        unit.receipt.failed = True
                    discard_pending(session)
                    await session.rollback()
                    held = receipt is not None and receipt.held
                    if states or held:  # the step rolls back; where the conversation is, stays
                        await unit.reconnect()
                        await self._persistence().write(session, states)
                        if held:
                            await self._release(session, receipt)
                        await session.commit()
                        committed = True
                        if receipt is not None:
                            receipt.held = False
                elif (
                    states
                    or unit.changed()
                    or unit.telling()
                    or (receipt is not None and (not unit.recorded or receipt.held))
                ):
                    # (an inbox update is marked done even when it changed nothing: one commit)
                    if states:  # the conversation's new state, in the same transaction as the step
                        await self._persistence().write(session, states)
                    try:
                        if not unit.recorded:
                            await unit.record()
                        elif receipt is not None and receipt.held:
                            await self._release(session, receipt)
                        await commit(session)
                        committed = True
                        if receipt is not None:
                            receipt.held = False
                    except (IntegrityError, HandledElsewhere):
                        await session.rollback()
                        unit.lost = True
                        log.warning("update %s was processed concurrently", update.update_id)
                else:
                    # Nothing (more) changed (e.g. /help): no need to remember the update id, and
                    # no write lock taken, so read-only updates run fully in parallel.
                    await session.commit()
                if committed:  # messages may wait in the outbox
                    runtime.wake_outbox()
            finally:
                writes.release()
                _current_unit.reset(token)
            for hook in self.after_update:
                await hook(update, unit)

    @staticmethod
    async def _release(session: AsyncSession, receipt: Receipt | None) -> None:
        """The update is over: its row, marked done by an earlier commit, frees the lane (with
        the conversation state of the step, in the same transaction)."""
        if receipt is not None and receipt.release is not None:
            await receipt.release(session)

    def _persistence(self) -> DatabasePersistence:
        assert self.application is not None
        return cast("DatabasePersistence", self.application.persistence)

    async def _conversation_states(self, update: Update) -> list[tuple[str, str, object | None]]:
        """The conversation states this update changed, to be written in its own transaction."""
        application = self.application
        if application is None or application.persistence is None:
            return []
        if update.effective_chat is None or update.effective_user is None:
            return []
        await application.update_persistence()  # hands the changes to the persistence
        return self._persistence().take((update.effective_chat.id, update.effective_user.id))
