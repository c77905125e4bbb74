"""Telegram's flood control is on in every test; a reply it refuses (429) is sent again once after
the short wait Telegram asks for, so the person gets the answer, a little late."""

from __future__ import annotations

from emulator import ApiLimits


async def test_a_reply_refused_by_flood_control_is_sent_after_the_wait(world):
    # One message per chat and second, no burst: the second answer in a row gets 429.
    world.emulator.set_limits(ApiLimits.telegram(per_chat_burst=1))
    person = world.user("王芳")
    first = person.user.send("/help")  # typed twice at once (no human pause in between)
    second = person.user.send("/help")
    await world.settle(first)
    await world.settle(second)
    assert world.emulator.stats["429"] >= 1
    assert len(person.texts()) == 2 and person.texts()[0] == person.texts()[1]
    assert not any("抱歉" in text for text in person.texts())
