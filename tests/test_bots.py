"""Two district bots on one database: each district's residents join and are told through
their own bot, invites carry that bot's username, and the wrong bot sends people to the right one."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, delete, select

from models import BotPlace, OutboxMessage, Role
from services import bots
from services.places import resolve_scope
from tests.test_notices import _compose
from tests.utils.bots import record_bot, second_bot, started
from tests.utils.world import TOKEN, Person, World

WUCHANG_TOKEN = "654321:WUCHANG-token"


async def _two_districts(world: World, folder: Path) -> None:
    """The sample compound 幸福家园 (江岸区) and 丁香园 in 武昌区, each district with its bot."""
    await world.seed_roster()
    path = folder / "wuchang.csv"
    path.write_text(
        "city,district,sub_district,community,compound,building,unit,room,registered_area,grid,owner_name\n"
        "武汉市,武昌区,中南路街道,丁字桥社区,丁香园,1栋,1单元,101,80.00,第一网格,钱七\n"
        "武汉市,武昌区,中南路街道,丁字桥社区,丁香园,1栋,1单元,102,90.00,第一网格,孙八\n",
        encoding="utf-8",
    )
    await world.seed_roster(path)
    await record_bot(world, TOKEN, "江岸区", "district:江岸区")
    await record_bot(world, WUCHANG_TOKEN, "武昌区", "district:武昌区")
    await started(world)  # the bot records its username on its row when it starts


async def _join(person: Person, code: str) -> None:
    await person.send(f"/start {code}")
    await person.press_data(person.button_data())
    assert "/report" in person.last_text  # registered: the help of a resident


async def test_each_district_is_served_by_its_own_bot(world, tmp_path):
    await _two_districts(world, tmp_path)
    async with second_bot(world, WUCHANG_TOKEN, "WuchangBot") as wuchang:
        # The invites of each compound carry the username of the bot serving it.
        async with world.session() as session:
            jiangan = await resolve_scope(session, "compound:幸福家园")
            dingxiang = await resolve_scope(session, "compound:丁香园")
            assert await bots.username_for_scope(session, "compound", jiangan.id) == (
                "RedPropertyBot"
            )
            assert await bots.username_for_scope(session, "compound", dingxiang.id) == (
                "WuchangBot"
            )
        jiangan_invites = await world.issue_invites("幸福家园")
        dingxiang_invites = await world.issue_invites("丁香园")

        owner_a = world.user("王芳")
        await _join(owner_a, jiangan_invites[("1栋 1单元 101", "owner")].code)
        owner_b = wuchang.user("钱七")
        await _join(owner_b, dingxiang_invites[("1栋 1单元 101", "owner")].code)

        # 孙八 opens the Jiang'an bot with a Wuchang card: told to use @WuchangBot, with the link.
        code = dingxiang_invites[("1栋 1单元 102", "owner")].code
        lost = world.user("孙八")
        await lost.send(f"/start {code}")
        assert "@WuchangBot" in lost.last_text
        assert f"https://t.me/WuchangBot?start={code}" in lost.last_text
        assert not lost.last_message.buttons()  # no consent here: the code stays for the right bot
        found = Person(wuchang, wuchang.emulator.add_user("孙八", user_id=lost.id))
        await _join(found, code)

        # 钱七, registered through the Wuchang bot, writes to the Jiang'an bot: sent to hers.
        astray = Person(world, world.emulator.add_user("钱七", user_id=owner_b.id))
        await astray.send("/bills")
        assert astray.texts() == [astray.last_text]
        assert "@WuchangBot" in astray.last_text and "https://t.me/WuchangBot" in astray.last_text
        await owner_b.send("/help")
        assert "/bills" in owner_b.last_text  # her own bot answers her as always

        liaison_a = world.user("刘书记")
        await world.join_as(liaison_a, Role.LIAISON, "compound:幸福家园")
        liaison_b = wuchang.user("陈书记")
        await wuchang.join_as(liaison_b, Role.LIAISON, "compound:丁香园")

        # A notice from each district's liaison goes out through that district's bot only.
        await _compose(liaison_a, text="江岸区明天停水")
        await liaison_a.press("确认发送")
        await _compose(liaison_b, text="武昌区明天停电")
        await liaison_b.press("确认发送")
        async with world.session() as session:
            queued = (
                await session.exec(
                    select(col(OutboxMessage.bot_id)).where(
                        col(OutboxMessage.purpose).like("notice%")
                    )
                )
            ).all()
        assert sorted(set(queued)) == [123456, 654321]

        await world.deliver()  # the Jiang'an bot's sender leaves the Wuchang rows alone
        assert "江岸区明天停水" in owner_a.last_text
        assert not any("停电" in text for text in owner_b.texts() + found.texts())
        await wuchang.deliver()
        assert owner_a.last_message.raw["from"]["username"] == "RedPropertyBot"
        for person in (owner_b, found):
            assert "武昌区明天停电" in person.last_text
            assert person.last_message.raw["from"]["username"] == "WuchangBot"
            assert not any("停水" in text for text in person.texts())
        # In the Jiang'an bot's chats nobody got the Wuchang notice (孙八 only the redirect).
        for chat in world.emulator.chats.values():
            assert not any("停电" in m.content for m in chat.bot_messages)
        for chat in wuchang.emulator.chats.values():
            assert not any("停水" in m.content for m in chat.bot_messages)
        wuchang.check_what_was_sent()


async def test_the_most_specific_place_wins(world, tmp_path):
    """A compound's own bot, then its sub-district's, then its district's, then the default."""
    await _two_districts(world, tmp_path)
    await world.seed_other_compound(tmp_path)  # 和平里, beside 幸福家园 in 后湖街道 (江岸区)
    async with world.session() as session:
        ids = {
            n: (await resolve_scope(session, f"compound:{n}")).id for n in ("幸福家园", "和平里")
        }
        ids["丁香园"] = (await resolve_scope(session, "compound:丁香园")).id
        assert await bots.serving_compounds(session, ids.values()) == {
            ids["幸福家园"]: 123456,
            ids["和平里"]: 123456,
            ids["丁香园"]: 654321,
        }
    await record_bot(world, "777:HOUHU-token", "后湖街道", "sub_district:后湖街道")
    await record_bot(world, "888:HEPING-token", "和平里", "compound:和平里")
    async with world.session() as session:
        assert await bots.serving_compounds(session, ids.values()) == {
            ids["幸福家园"]: 777,
            ids["和平里"]: 888,
            ids["丁香园"]: 654321,
        }
        # The Wuchang district handed back: its compounds fall to the default bot.
        wuchang = await resolve_scope(session, "district:武昌区")
        await session.exec(
            delete(BotPlace).where(
                col(BotPlace.kind) == "district", col(BotPlace.place_id) == wuchang.id
            )
        )
    async with world.session() as session:
        assert (await bots.serving_compounds(session, [ids["丁香园"]])) == {ids["丁香园"]: None}
