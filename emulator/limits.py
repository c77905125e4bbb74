"""Telegram's limits: sizes of texts and button data, and flood control as token buckets.

Telegram answers a bot that sends too fast with 429 and a retry_after; it applies a global rate
(about 30 messages per second) and a per-chat rate (about one message per second, with a short
burst allowed). The buckets take an injectable monotonic clock so tests can be deterministic.

`ApiLimits()` has flood control off (benchmarks and the demo measure the bot, not Telegram);
`ApiLimits.telegram()` is what the real server enforces, and what the test world runs with.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

PAID_RATE = 1000.0  # sends per second allowed with allow_paid_broadcast


@dataclass
class ApiLimits:
    max_text: int = 4096  # characters after entity parsing
    max_caption: int = 1024
    max_callback_data: int = 64  # bytes, UTF-8
    max_callback_answer: int = 200  # characters of an answerCallbackQuery text
    global_rate: float | None = None  # sends per second across all chats; None = unlimited
    per_chat_rate: float | None = None  # sends per second per chat; None = unlimited
    per_chat_burst: int = 1
    retry_after: int | None = None  # fixed retry_after on 429; None = the wait actually needed
    callback_query_timeout: float = 150.0  # seconds a button press can be answered
    delete_window: float = 48 * 3600.0  # seconds a message can still be deleted
    # Seconds the network adds to every call (the bot's round trip to Telegram's servers; tens
    # to hundreds of milliseconds in real life); 0 = the loopback's own.
    round_trip: float = 0.0

    @classmethod
    def telegram(cls, **overrides: float | int | None) -> ApiLimits:
        """The real server's flood control: 30 messages a second in all, one a second per chat
        after a burst of a few (private chats; groups have 20 a minute, and the bot has none)."""
        values: dict[str, float | int | None] = {
            "global_rate": 30.0,
            "per_chat_rate": 1.0,
            "per_chat_burst": 5,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second; one send takes one token."""

    __slots__ = ("capacity", "clock", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.clock = clock
        self.stamp = clock()

    def wait_needed(self) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        # The epsilon keeps float rounding from refusing a send that is exactly on time.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class FloodControl:
    """Decides whether a send may go out now; if not, the retry_after to report."""

    def __init__(self, limits: ApiLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.configure(limits)

    def configure(self, limits: ApiLimits) -> None:
        """New limits start with full buckets (as if the bot had been quiet)."""
        self.limits = limits
        self.global_bucket = (
            TokenBucket(limits.global_rate, max(1.0, limits.global_rate), self.clock)
            if limits.global_rate
            else None
        )
        # Paid broadcasts ignore the bot's global limit, up to PAID_RATE of their own.
        self.paid_bucket = (
            TokenBucket(PAID_RATE, PAID_RATE, self.clock) if limits.global_rate else None
        )
        self.chat_buckets: dict[int, TokenBucket] = {}

    def _chat_bucket(self, chat_id: int) -> TokenBucket | None:
        if not self.limits.per_chat_rate:
            return None
        bucket = self.chat_buckets.get(chat_id)
        if bucket is None:
            capacity = float(max(1, self.limits.per_chat_burst))
            bucket = TokenBucket(self.limits.per_chat_rate, capacity, self.clock)
            self.chat_buckets[chat_id] = bucket
        return bucket

    def check(self, chat_id: int, *, paid: bool = False) -> int | None:
        """None when the send may go out (its tokens are taken), else the retry_after. A paid
        broadcast takes from the paid bucket instead of the global one.

        Nothing is taken from any bucket when the send is refused, as Telegram sends nothing.
        """
        chat_bucket = self._chat_bucket(chat_id)
        shared = self.paid_bucket if paid else self.global_bucket
        wait = max(
            chat_bucket.wait_needed() if chat_bucket else 0.0,
            shared.wait_needed() if shared else 0.0,
        )
        if wait > 0:
            return self.limits.retry_after or max(1, math.ceil(wait))
        if chat_bucket is not None:
            chat_bucket.take()
        if shared is not None:
            shared.take()
        return None
