"""Button presses that waited for a stopped bot: when it is back they are older than the 150 s
Telegram gives a bot to answer a press, so answering fails ("query is too old"); the action
still happens and the person sees its result, not an apology."""

from __future__ import annotations

from sqlmodel import select

from models import Ballot, Role
from tests.test_tickets import _cast, _report, _ticket
from tests.test_votes import _draft_in_bot, _ticked

SORRY = "抱歉"
TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


def _late_answers(world) -> list[tuple[str, str]]:
    return [r for r in world.emulator.refused if r[0] == "answerCallbackQuery" and TOO_OLD in r[1]]


async def test_a_vote_pressed_while_the_bot_was_down_is_cast(world, clock):
    await world.seed_roster()
    committee, owner = world.user("周委员"), world.user("徐丽")
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await _draft_in_bot(committee)
    await committee.press("发布")
    clock.advance(days=16)
    await _ticked(world)
    await owner.send("/vote")
    await owner.press("#1")
    assert "您家尚未投票" in owner.last_text

    await world.stop_bot()
    pressed = await world.press_while_down(owner, "同意")
    world.advance_telegram_clock(10 * 60)  # the bot is back ten minutes later
    await world.start_bot()
    await world.settle(pressed)

    assert "回执码" in owner.last_text
    assert not any(SORRY in text for text in owner.texts())
    assert len(_late_answers(world)) == 1  # the press really was too old to answer
    async with world.session() as session:
        assert len((await session.exec(select(Ballot))).all()) == 1


async def test_a_ticket_accepted_while_the_bot_was_down_is_accepted(world):
    owner, _neighbour, staff, _liaison, _sup = await _cast(world)
    await _report(owner)
    await owner.press("提交报事")
    await world.deliver()
    await staff.send("/tickets")
    await staff.press("#1")

    await world.stop_bot()
    pressed = await world.press_while_down(staff, "受理")
    world.advance_telegram_clock(151)
    await world.start_bot()
    await world.settle(pressed)
    await world.deliver()

    assert (await _ticket(world)).status == "acknowledged"
    assert "已被物业受理" in owner.last_text
    assert not any(SORRY in text for text in staff.texts() + owner.texts())
    assert len(_late_answers(world)) == 1


async def test_an_unknown_button_pressed_while_the_bot_was_down_gets_no_apology(world):
    person = world.user("王芳")
    await person.send("/start")
    await world.stop_bot()
    pressed = person.user.press(person.last_message.message_id, "zz:not-a-button")
    world.advance_telegram_clock(151)
    await world.start_bot()
    await world.settle(pressed)
    assert not any(SORRY in text for text in person.texts())
    assert len(_late_answers(world)) == 1
