"""Webhook delivery: POST each update to the bot's URL, in order, retrying like Telegram.

Updates go out one at a time (Telegram with max_connections=1), which keeps their order. A
failed POST (non-2xx or no connection) is retried with backoff; after MAX_ATTEMPTS the update is
dropped, as Telegram eventually gives up too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout

from emulator.updates import UpdateQueue

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20
FIRST_DELAY = 0.05
MAX_DELAY = 2.0
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def check_webhook_url(url: str) -> str | None:
    """Why the emulator refuses this URL (it only calls local addresses), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "invalid URL"
    if parts.scheme not in ("http", "https"):
        return "unsupported URL protocol"
    if parts.hostname not in LOCAL_HOSTS:
        return "the emulator only delivers to 127.0.0.1 or localhost"
    if port == 0:
        return "invalid port"
    return None


class WebhookSender:
    """The task that delivers the queue to one webhook URL."""

    def __init__(
        self, queue: UpdateQueue, url: str, secret_token: str | None, max_connections: int = 40
    ) -> None:
        self.queue = queue
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"max_connections": self.max_connections, "ip_address": "127.0.0.1"}
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def _run(self) -> None:
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret_token
        async with ClientSession(timeout=ClientTimeout(total=30), headers=headers) as http:
            while True:
                update = self.queue.head()
                if update is None:
                    await self.queue.wait(None)
                    continue
                if not await self._deliver(http, update):
                    log.warning("webhook gave up on update %s", update["update_id"])
                self.queue.confirm_head(update["update_id"])

    async def _deliver(self, http: ClientSession, update: dict[str, Any]) -> bool:
        delay = FIRST_DELAY
        for _attempt in range(MAX_ATTEMPTS):
            try:
                async with http.post(self.url, json=update) as response:
                    if 200 <= response.status < 300:
                        return True
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (ClientError, OSError, TimeoutError) as exc:  # e.g. the bot is still starting
                error = f"Connection failed: {exc.__class__.__name__}"
            self.last_error_date, self.last_error_message = int(time.time()), error
            log.debug("webhook delivery of %s failed: %s", update["update_id"], error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
        return False
