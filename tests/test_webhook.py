"""Webhook mode: the emulator posts updates with the secret header; requests without it fail."""

from __future__ import annotations

import socket

import aiohttp

from tests.utils.world import World


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_serves_users_and_rejects_requests_without_the_secret(
    database_url, clock
):
    port = _free_port()
    async with World(database_url, clock, webhook=("s3cret-token", port)) as world:
        visitor = world.user("访客")
        await visitor.send("/start")
        assert "邀请链接" in visitor.last_text
        update = {
            "update_id": 999999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": visitor.id, "type": "private"},
                "from": {"id": visitor.id, "is_bot": False, "first_name": "x"},
                "text": "/help",
            },
        }
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram"
            async with http.post(url, json=update) as response:
                assert response.status == 403
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as response:
                assert response.status == 403
        assert len(visitor.bot_messages) == 1  # the forged /help got no answer
