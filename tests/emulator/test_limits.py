"""Flood control: token buckets on an injected clock."""

from __future__ import annotations

from emulator.limits import ApiLimits, FloodControl


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_per_chat_bucket_allows_a_burst_then_one_per_interval():
    clock = Clock()
    flood = FloodControl(ApiLimits(per_chat_rate=1, per_chat_burst=3), clock)
    assert [flood.check(1) for _ in range(4)] == [None, None, None, 1]
    assert flood.check(2) is None  # other chats have their own bucket
    clock.now = 0.5
    assert flood.check(1) == 1  # half a token: retry_after rounds up
    clock.now = 1.0
    assert flood.check(1) is None and flood.check(1) == 1


def test_global_bucket_and_a_refusal_takes_no_tokens():
    clock = Clock()
    flood = FloodControl(ApiLimits(global_rate=2, per_chat_rate=10, per_chat_burst=10), clock)
    assert [flood.check(chat) for chat in (1, 2, 3)] == [None, None, 1]
    clock.now = 0.5
    assert flood.check(3) is None  # the refused send above did not use chat 3's tokens


def test_unlimited_by_default_and_retry_after_can_be_fixed():
    flood = FloodControl(ApiLimits(), Clock())
    assert all(flood.check(1) is None for _ in range(1000))
    flood.configure(ApiLimits(global_rate=1, retry_after=30))
    assert [flood.check(1), flood.check(1)] == [None, 30]
