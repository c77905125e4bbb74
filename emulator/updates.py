"""The bot's update queue, with Telegram's confirmation rules.

An update stays queued until the bot confirms it: by calling getUpdates with an offset greater
than its update_id (polling), or by answering the webhook POST with 2xx. A bot that dies before
confirming gets the same updates again.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.state import Signal

# Update types Telegram leaves out unless the bot asks for them explicitly.
OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(slots=True)
class _Pending:
    update: dict[str, Any]
    redelivered: bool = False
    fetched: bool = False

    @property
    def update_id(self) -> int:
        return self.update["update_id"]


class UpdateQueue:
    """Pending updates in order; long polls and the webhook sender wait on it."""

    def __init__(self, on_confirm: Callable[[], None], keep_confirmed: int = 20000) -> None:
        self._pending: deque[_Pending] = deque()
        self._pending_ids: set[int] = set()
        self._next_id = 1
        self._confirmed: dict[int, dict[str, Any]] = {}  # recent ones, for redeliver()
        self._keep_confirmed = keep_confirmed
        self._waiters: set[asyncio.Future[None]] = set()
        self.parked = Signal()  # notified when a long poll starts waiting
        self._on_confirm = on_confirm
        self.allowed_updates: list[str] | None = None  # None or []: Telegram's default

    def __len__(self) -> int:
        return len(self._pending)

    def allows(self, kind: str) -> bool:
        if not self.allowed_updates:
            return kind not in OPT_IN_TYPES
        return kind in self.allowed_updates

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update of `kind` (e.g. "message"); returns its update_id.

        An update type the bot did not ask for is never queued, as with Telegram; its id then
        counts as confirmed.
        """
        update_id = self._next_id
        self._next_id += 1
        if self.allows(kind):
            self._add(_Pending({"update_id": update_id, kind: payload}))
        return update_id

    def _add(self, pending: _Pending) -> None:
        self._pending.append(pending)
        self._pending_ids.add(pending.update_id)
        self.wake()

    def is_confirmed(self, update_id: int) -> bool:
        return update_id < self._next_id and update_id not in self._pending_ids

    def fetch(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """What getUpdates(offset, limit) returns, confirming what the offset confirms."""
        if offset < 0:  # keep only the last -offset updates; the rest are forgotten
            while len(self._pending) > -offset:
                self._done(self._pending.popleft())
            self._on_confirm()
        elif offset > 0:
            self.confirm(offset - 1)
        batch: list[dict[str, Any]] = []
        limit = max(1, min(limit, 100))
        for pending in self._pending:
            if len(batch) >= limit:
                break
            pending.fetched = True
            batch.append(pending.update)
        return batch

    def confirm(self, up_to: int) -> None:
        """Drop updates with update_id <= up_to (what a getUpdates offset does).

        A redelivered update has an old id; it is kept until it has been fetched once, since
        the bot's offset has already moved past it.
        """
        kept: list[_Pending] = []
        changed = False
        while self._pending and self._pending[0].update_id <= up_to:
            pending = self._pending.popleft()
            if pending.redelivered and not pending.fetched:
                kept.append(pending)
            else:
                self._done(pending)
                changed = True
        self._pending.extendleft(reversed(kept))
        if changed:
            self._on_confirm()

    def head(self) -> dict[str, Any] | None:
        return self._pending[0].update if self._pending else None

    def confirm_head(self, update_id: int) -> None:
        """The webhook took the oldest update."""
        if self._pending and self._pending[0].update_id == update_id:
            self._done(self._pending.popleft())
            self._on_confirm()

    def drop_pending(self) -> None:
        while self._pending:
            self._done(self._pending.popleft())
        self._on_confirm()

    def _done(self, pending: _Pending) -> None:
        self._pending_ids.discard(pending.update_id)
        self._confirmed[pending.update_id] = pending.update
        if len(self._confirmed) > self._keep_confirmed:
            del self._confirmed[next(iter(self._confirmed))]

    def redeliver(self, update_id: int) -> None:
        """Queue a confirmed update again, as Telegram does when the bot died before confirming
        (from Telegram's point of view it never was)."""
        for pending in self._pending:  # fetched but not confirmed yet: it must come back
            if pending.update_id == update_id:
                pending.redelivered, pending.fetched = True, False
                return
        update = self._confirmed.pop(update_id, None)
        if update is None:
            raise KeyError(f"update {update_id} was not delivered (or is too old)")
        self._add(_Pending(update, redelivered=True))

    async def wait(self, timeout: float | None) -> None:
        """Return when an update is queued, wake() is called, or after `timeout` seconds."""
        if self._pending:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        self.parked.notify()
        try:
            await asyncio.wait([waiter], timeout=timeout)
        finally:
            self._waiters.discard(waiter)

    @property
    def waiting(self) -> int:
        """How many long polls (or webhook senders) are waiting for an update right now."""
        return len(self._waiters)

    def wake(self) -> None:
        """Answer everything waiting in wait() now."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
