"""Flood control as Telegram applies it: a global rate and a per-chat rate, as token buckets."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class ApiLimits:
    max_text: int = 4096
    max_caption: int = 1024
    max_callback_data: int = 64
    global_rate: float | None = None  # sends per second across all chats; None = unlimited
    per_chat_rate: float | None = None  # sends per second per chat; None = unlimited
    per_chat_burst: int = 1
    retry_after: int | None = None  # fixed retry_after on 429; None = the wait actually needed


class TokenBucket:
    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.clock = clock
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_needed(self) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class FloodControl:
    """Decides whether a send may go out now; if not, the retry_after to report."""

    def __init__(self, limits: ApiLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.configure(limits)

    def configure(self, limits: ApiLimits) -> None:
        self.limits = limits
        self.global_bucket = (
            TokenBucket(limits.global_rate, max(1.0, limits.global_rate), self.clock)
            if limits.global_rate
            else None
        )
        self.chat_buckets: dict[int, TokenBucket] = {}

    def check(self, chat_id: int) -> int | None:
        """None when allowed (and the tokens are taken), else seconds to wait."""
        waits = []
        chat_bucket = None
        if self.limits.per_chat_rate:
            chat_bucket = self.chat_buckets.get(chat_id)
            if chat_bucket is None:
                chat_bucket = self.chat_buckets[chat_id] = TokenBucket(
                    self.limits.per_chat_rate, float(self.limits.per_chat_burst), self.clock
                )
            waits.append(chat_bucket.wait_needed())
        if self.global_bucket is not None:
            waits.append(self.global_bucket.wait_needed())
        wait = max(waits, default=0.0)
        if wait > 0:
            return self.limits.retry_after or max(1, math.ceil(wait))
        if chat_bucket is not None:
            chat_bucket.take()
        if self.global_bucket is not None:
            self.global_bucket.take()
        return None
