"""Pacing of the outbox: the bot's global send rate, the spacing per chat, and the pause a 429
asks for. `LocalPacer` keeps them in this process; `RedisPacer` shares them between processes
that send for the same bot, so several senders together stay within Telegram's limits.

Paid broadcasts (allow_paid_broadcast) have their own global pace, PAID_RATE, outside the bot's
normal rate; the per-chat spacing and any 429 pause hold for them too. They are reserved a
batch at a time (one Redis round trip per batch, not per message).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

log = logging.getLogger(__name__)

# Redis unreachable: decisions are taken locally at this share of the rate, so that a few senders
# falling back at once still stay under the limit; Redis is tried again after RETRY_SECONDS.
FALLBACK_SHARE = 0.25
RETRY_SECONDS = 5.0
PAID_RATE = 1000.0  # messages per second Telegram allows a paid broadcast


class Reservation(NamedTuple):
    send_in: float  # seconds until the reserved global slot (0: now)
    chat_wait: float  # > 0: the chat is not ready for that long, and nothing was reserved


class Pacer(Protocol):
    """What the sender asks before each send and tells after a 429."""

    fallbacks: int  # decisions taken locally because the shared store failed

    async def acquire(self, chat_id: int) -> float:
        """0 once a send to `chat_id` may go out (the global slot is taken, any pause waited
        out); otherwise the seconds until the chat may receive again, nothing taken."""
        ...

    async def reserve_paid(self, chat_ids: list[int]) -> list[Reservation]:
        """Paid-broadcast slots for these sends at once, in order: each is due `send_in`
        seconds from now, or its chat is not ready (`chat_wait`) and nothing was taken."""
        ...

    async def pause(self, seconds: float) -> None:
        """Telegram answered 429 with retry_after `seconds`: no sender sends until then."""
        ...

    async def close(self) -> None: ...


class LocalPacer:
    """In-process: one slot every 1/rate seconds, one message per chat every `chat_interval`."""

    def __init__(
        self,
        rate: float,
        chat_interval: float,
        monotonic: Callable[[], float] = time.monotonic,
        paid_rate: float = PAID_RATE,
    ) -> None:
        self.rate = rate
        self.chat_interval = chat_interval
        self.monotonic = monotonic
        self.paid_rate = paid_rate
        self.fallbacks = 0
        self._next_slot = 0.0
        self._next_paid = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}

    async def acquire(self, chat_id: int) -> float:
        wait = self._chat_wait(chat_id)
        if wait > 0:
            return wait
        await self._wait_for_slot()
        return 0.0

    async def reserve_paid(self, chat_ids: list[int]) -> list[Reservation]:
        found = []
        for chat_id in chat_ids:
            wait = self._chat_wait(chat_id)
            if wait > 0:
                found.append(Reservation(0.0, wait))
                continue
            now = self.monotonic()
            start = max(now, self._next_paid, self._paused_until)
            self._next_paid = start + 1 / self.paid_rate
            found.append(Reservation(start - now, 0.0))
        return found

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.monotonic() + seconds)

    async def close(self) -> None:
        return None

    async def _wait_for_slot(self) -> None:
        """Global token spacing (1/rate) and any pause a 429 asked for."""
        now = self.monotonic()
        start = max(now, self._next_slot, self._paused_until)
        self._next_slot = start + 1 / self.rate
        if start > now:
            await asyncio.sleep(start - now)

    def _chat_wait(self, chat_id: int) -> float:
        now = self.monotonic()
        ready = self._chat_next.get(chat_id, 0.0)
        if ready > now:
            return ready - now
        self._chat_next[chat_id] = now + self.chat_interval
        if len(self._chat_next) > 50_000:  # forget chats long past their interval
            cutoff = now - self.chat_interval
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > cutoff}
        return 0.0


# One round trip per send. The global rate is a token bucket written as the time the next token
# is due (GCRA), so a reservation never polls; all times come from the Redis server's clock, the
# one clock every sender shares. Times are integer microseconds.
#   KEYS: the bot's slot key, its pause key, the chat's key
#   ARGV: microseconds per token, burst (tokens), chat interval (microseconds)
#   returns {0, wait before sending} or {1, wait until the chat may receive again}
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local step = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
if interval > 0 then
  local left = redis.call('PTTL', KEYS[3])
  if left > 0 then return {1, left * 1000} end
end
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
local base = math.max(due, now, paused)
local start = math.max(base - (burst - 1) * step, now, paused)
local nxt = base + step
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 60000)
if interval > 0 then
  redis.call('SET', KEYS[3], '1', 'PX', math.ceil((start - now + interval) / 1000))
end
return {0, start - now}
"""

# KEYS: the bot's pause key; ARGV: the pause in microseconds. The longest pause asked for wins.
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untl = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.0f', untl), 'PX', math.ceil((untl - now) / 1000) + 1)
return 1
"""


# Paid broadcast: a batch of reservations in one round trip, on the bot's paid slot key.
#   KEYS: the bot's paid slot key, its pause key, then one key per chat (in the batch's order)
#   ARGV: microseconds per paid token, chat interval (microseconds)
#   returns, per chat, kind and wait flattened: {0, wait before sending} or {1, chat not ready}
RESERVE_PAID = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local step = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
local base = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now, paused)
local out = {}
for i = 3, #KEYS do
  local left = 0
  if interval > 0 then left = redis.call('PTTL', KEYS[i]) end
  if left > 0 then
    out[#out + 1] = 1
    out[#out + 1] = left * 1000
  else
    if interval > 0 then
      redis.call('SET', KEYS[i], '1', 'PX', math.ceil((base - now + interval) / 1000))
    end
    out[#out + 1] = 0
    out[#out + 1] = base - now
    base = base + step
  end
end
redis.call('SET', KEYS[1], string.format('%.0f', base), 'PX', math.ceil((base - now) / 1000) + 60000)
return out
"""


class RedisPacer:
    """Shared by every sender of one bot through Redis (keys `<prefix>:<bot id>:...`).

    Redis failing does not stop sending: the decision is taken locally at a quarter of the rate,
    counted in `fallbacks`, and Redis is tried again a few seconds later.
    """

    def __init__(
        self,
        client: Any,  # redis.asyncio.Redis
        *,
        prefix: str,
        bot_id: int | str,
        rate: float,
        chat_interval: float,
        burst: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        paid_rate: float = PAID_RATE,
    ) -> None:
        self.client = client
        self.rate = rate
        self.paid_rate = paid_rate
        self.chat_interval = chat_interval
        self.burst = max(1, burst)
        self.monotonic = monotonic
        self.fallbacks = 0
        self._keys = f"{prefix}:{bot_id}"
        self._acquire = client.register_script(ACQUIRE)
        self._pause = client.register_script(PAUSE)
        self._reserve_paid = client.register_script(RESERVE_PAID)
        self._local = LocalPacer(
            max(rate * FALLBACK_SHARE, 0.1), chat_interval, monotonic, paid_rate * FALLBACK_SHARE
        )
        self._retry_at = 0.0
        self._warned_at: float | None = None

    async def acquire(self, chat_id: int) -> float:
        if self._use_redis():
            try:
                reservation = await self.reserve(chat_id)
            except Exception as error:  # any client failure: pace locally
                self._failed(error)
            else:
                if reservation.chat_wait > 0:
                    return reservation.chat_wait
                if reservation.send_in > 0:
                    await asyncio.sleep(reservation.send_in)
                return 0.0
        self.fallbacks += 1
        return await self._local.acquire(chat_id)

    async def reserve(self, chat_id: int) -> Reservation:
        """One atomic decision in Redis (raises if Redis fails); `acquire` waits it out."""
        kind, micros = await self._acquire(
            keys=[self._key("slot"), self._key("pause"), self._key(f"chat:{chat_id}")],
            args=[round(1_000_000 / self.rate), self.burst, self._chat_micros()],
        )
        seconds = int(micros) / 1_000_000
        return Reservation(0.0, seconds) if int(kind) == 1 else Reservation(seconds, 0.0)

    async def reserve_paid(self, chat_ids: list[int]) -> list[Reservation]:
        if not chat_ids:
            return []
        if self._use_redis():
            try:
                flat = await self._reserve_paid(
                    keys=[
                        self._key("paid"),
                        self._key("pause"),
                        *(self._key(f"chat:{chat_id}") for chat_id in chat_ids),
                    ],
                    args=[round(1_000_000 / self.paid_rate), self._chat_micros()],
                )
            except Exception as error:  # any client failure: pace locally
                self._failed(error)
            else:
                pairs = zip(flat[::2], flat[1::2], strict=True)
                return [
                    Reservation(0.0, int(m) / 1_000_000)
                    if int(kind) == 1
                    else Reservation(int(m) / 1_000_000, 0.0)
                    for kind, m in pairs
                ]
        self.fallbacks += len(chat_ids)
        return await self._local.reserve_paid(chat_ids)

    async def pause(self, seconds: float) -> None:
        await self._local.pause(seconds)  # honoured here too if Redis fails meanwhile
        if not self._use_redis():
            return
        try:
            await self._pause(keys=[self._key("pause")], args=[round(seconds * 1_000_000)])
        except Exception as error:
            self._failed(error)

    async def close(self) -> None:
        try:
            await self.client.aclose()
        except Exception:  # closing a broken connection
            pass

    def _key(self, name: str) -> str:
        return f"{self._keys}:{name}"

    def _chat_micros(self) -> int:
        return round(self.chat_interval * 1_000_000)

    def _use_redis(self) -> bool:
        return self.monotonic() >= self._retry_at

    def _failed(self, error: Exception) -> None:
        now = self.monotonic()
        self._retry_at = now + RETRY_SECONDS
        if self._warned_at is None or now - self._warned_at > 60:
            self._warned_at = now
            log.warning(
                "Redis pacing unavailable (%s); pacing locally at %.1f/s for now",
                type(error).__name__,
                self._local.rate,
            )


def build_pacer(
    redis_url: str | None,
    prefix: str,
    bot_id: int | str,
    rate: float,
    chat_interval: float,
    monotonic: Callable[[], float] = time.monotonic,
) -> Pacer:
    """RedisPacer when REDIS_URL is set, else the in-process LocalPacer."""
    if not redis_url:
        return LocalPacer(rate, chat_interval, monotonic)
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
    return RedisPacer(
        client,
        prefix=prefix,
        bot_id=bot_id,
        rate=rate,
        chat_interval=chat_interval,
        monotonic=monotonic,
    )
