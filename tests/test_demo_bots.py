"""The demo shows two district bots: the second district's personas talk to the second bot (its
own username), the others to the first, through the page's control API over HTTP."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from core.settings import Settings
from demo.app import Demo
from demo.seed import SECOND_USERNAME
from models import BotAccount
from services.bots import bot_id_of

FIRST_USERNAME = "RedPropertyDemoBot"


@pytest.fixture
async def demo(tmp_path):
    running = Demo(Settings(_env_file=None), port=0, database=tmp_path / "demo.db")
    await running.start(reset=True)
    try:
        yield running
    finally:
        await running.stop()


async def _history(http: aiohttp.ClientSession, url: str, user_id: int, bot: str) -> list:
    async with http.get(f"{url}/_emulator/history/{user_id}?bot={bot}") as response:
        assert response.status == 200
        return await response.json()


async def test_the_second_districts_personas_talk_to_the_second_bot(demo):
    url = demo.url
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/demo/personas?lang=zh_Hans") as response:
            personas = {p["name"]: p for p in await response.json()}
        assert personas["钱七"]["bot"] == SECOND_USERNAME
        assert personas["钱七"]["compound"] == "丁香园"
        assert personas["吴科长"]["bot"] == SECOND_USERNAME
        assert {personas[n]["bot"] for n in ("王芳", "周科长", "新住户")} == {FIRST_USERNAME}
        qian, wang = personas["钱七"]["user_id"], personas["王芳"]["user_id"]
        for user_id, bot in ((qian, SECOND_USERNAME), (wang, FIRST_USERNAME)):
            body = {"user_id": user_id, "text": "/start", "bot": bot}
            async with http.post(f"{url}/_emulator/send", json=body) as response:
                assert response.status == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            qians = await _history(http, url, qian, SECOND_USERNAME)
            wangs = await _history(http, url, wang, FIRST_USERNAME)
            if any(m["from_bot"] for m in qians) and any(m["from_bot"] for m in wangs):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("a bot did not answer")
        replies = " ".join(m.get("text") or "" for m in qians if m["from_bot"])
        assert "钱七" in replies or "丁香园" in replies, replies
        # 钱七 is no user of the first bot, and no bot is called NoSuchBot: refused, not guessed
        async with http.post(
            f"{url}/_emulator/send", json={"user_id": qian, "text": "/start"}
        ) as response:
            assert response.status == 404
        async with http.post(
            f"{url}/_emulator/send", json={"user_id": qian, "text": "/start", "bot": "NoSuchBot"}
        ) as response:
            assert response.status == 404
    assert demo.emulator.bot_username == FIRST_USERNAME
    assert demo.second.bot_username == SECOND_USERNAME
    assert qian not in demo.emulator.chats or not demo.emulator.chats[qian].messages
    assert demo.runtime is not None
    async with demo.runtime.sessions() as session:
        account = await session.get(BotAccount, bot_id_of(demo.second.token))
    assert account is not None and account.username == SECOND_USERNAME
