"""Several bots from one process (`bot.py run --bot NAME …` or `--all-bots`): one application,
one outbox sender and one runtime per token on a shared database engine; the jobs run once.
`receive`, `work` and `send-outbox` take the same options and run only their part per bot.

The tokens come from the environment variables the bot table names (models.bots); each bot
polls Telegram on its own, or, in webhook mode, has its own path and secret on the one endpoint
(handlers/webhook.py: bot_url, bot_path, bot_secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.heap import settle_heap
from core.i18n import translator
from core.runtime import Runtime
from core.settings import Settings
from services import bots
from services.errors import DomainError

log = logging.getLogger(__name__)
DEFAULT = "default"  # `--bot default`: TELEGRAM_TOKEN's bot


class ConfigurationError(Exception):
    """A bot cannot be served as configured (said to the operator, in English)."""


@dataclass(frozen=True)
class BotToRun:
    token: str
    account: int | None  # the recorded bot's id; None: the default bot (TELEGRAM_TOKEN)


async def chosen_bots(runtime: Runtime, names: list[str], every: bool) -> list[BotToRun]:
    """The tokens to serve; a recorded bot whose token variable is unset is a configuration
    error, not skipped; an unknown name is a DomainError."""
    settings = runtime.settings
    default = settings.telegram_token
    default_id = bots.bot_id_of(default) if default else None
    async with runtime.sessions() as session:
        if every:
            accounts = await bots.recorded_bots(session)
        else:
            accounts = [await bots.find_bot(session, n) for n in names if n != DEFAULT]
    chosen: list[BotToRun] = []
    if default and (every or DEFAULT in names or default_id in {a.id for a in accounts}):
        chosen.append(BotToRun(default, None))  # it also sends what no recorded bot serves
    for account in sorted(accounts, key=lambda a: a.id):
        if account.id == default_id:
            continue
        token = os.environ.get(account.token_env)
        if not token:
            raise ConfigurationError(
                f"{account.token_env} is not set: it must hold the bot's token"
            )
        if bots.bot_id_of(token) != account.id:
            raise ConfigurationError(f"{account.token_env} holds the token of another bot")
        chosen.append(BotToRun(token, account.id))
    return chosen


def runtime_for(base: Runtime, bot: BotToRun) -> Runtime:
    """A runtime of one bot sharing the engine, sessions and write gate of the process."""
    settings = base.settings.model_copy(update={"telegram_token": bot.token})
    return dataclasses.replace(
        base,
        settings=settings,
        bot_account=bot.account,
        bot_username=None,
        outbox_waker=None,
        menu_refresh=None,
    )


async def serve(
    base: Runtime,
    chosen: list[BotToRun],
    stop: asyncio.Event,
    *,
    receive: bool = True,
    work: bool = True,
    webhook: bool = False,
) -> None:
    """Start every bot, run until `stop` is set, then stop them in reverse order. Receiver and
    worker with the outbox senders and the jobs (`run`), or only receivers (`receive`, polling or
    `webhook`) or only workers (`work`)."""
    from core.metrics import start_metrics_server
    from handlers.app import allowed_updates, build_application
    from handlers.intake import PollingReceiver, store_updates
    from handlers.webhook import WebhookServer, bot_path, bot_secret, bot_url
    from jobs.inbox import InboxWorker, inbox_depth
    from jobs.outbox import OutboxSender
    from jobs.scheduler import build_scheduler

    everything = receive and work
    scheduler = build_scheduler(base) if everything else None
    senders: list[OutboxSender] = []
    apps: list[Any] = []
    workers: list[InboxWorker] = []
    receivers: list[PollingReceiver] = []
    server: WebhookServer | None = None
    console: Any = None
    settings = base.settings

    def starter(runtime: Runtime):
        async def on_start(app: Any) -> None:
            sender = OutboxSender(runtime, app.bot)
            runtime.outbox_waker = sender.wake
            sender.start()
            senders.append(sender)

        return on_start

    def storer(runtime: Runtime, app: Any, wake: Any):
        async def store(update: Any) -> None:
            await store_updates(runtime, app.bot.id, [update])
            if wake is not None:
                wake()

        return store

    try:
        hooks: list[tuple[BotToRun, Any]] = []
        for bot in chosen:
            runtime = runtime_for(base, bot)
            app = build_application(runtime, on_start=starter(runtime) if everything else None)
            await app.initialize()
            apps.append(app)
            if app.post_init is not None:
                await app.post_init(app)
            await app.start()
            # Durable intake, as `bot.py run`: each update is stored before Telegram is told
            # (handlers/intake.py), then handled from the inbox in order per person.
            worker: InboxWorker | None = None
            if work:
                worker = InboxWorker(runtime, app)
                worker.start()
                workers.append(worker)
            wake = worker.wake if worker is not None else None
            if receive and webhook:
                path, secret = (
                    bot_path(bot.account),
                    bot_secret(settings.webhook_secret or "", bot.account),
                )
                store = storer(runtime, app, wake)
                if server is None:
                    server = WebhookServer(
                        app,
                        listen=settings.webhook_listen,
                        port=settings.webhook_port,
                        secret=secret,
                        store=store,
                        path=path,
                    )
                else:
                    server.add(path, app, secret=secret, store=store)
                hooks.append((bot, app))
            elif receive:
                await app.bot.delete_webhook()
                receiver = PollingReceiver(
                    runtime, app.bot, allowed_updates(app), wake, worker=worker
                )
                receiver.start()
                receivers.append(receiver)
        if server is not None:
            await server.start()
            for bot, app in hooks:  # Telegram calls only once the endpoint answers
                await app.bot.set_webhook(
                    url=bot_url(settings.webhook_url or "", bot.account),
                    secret_token=bot_secret(settings.webhook_secret or "", bot.account),
                    allowed_updates=allowed_updates(app),
                )

        # The jobs queue for every bot: what they queue wakes every sender of the process.
        def wake_all() -> None:
            for sender in senders:
                sender.wake()

        base.outbox_waker = wake_all
        if scheduler is not None:
            scheduler.start()
        base.metrics.register_probe("inbox", lambda s: inbox_depth(s, base.clock.now()))
        await start_metrics_server(base)  # METRICS_PORT; stops with base.close()
        if everything:
            from console.app import start_console

            console = await start_console(base)  # CONSOLE_PORT: the office console
        settle_heap()
        log.info("serving %d bots", len(apps))
        await stop.wait()
    finally:
        if console is not None:
            await console.stop()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        for receiver in receivers:
            await receiver.stop()
        if server is not None:
            await server.stop()
        for worker in workers:
            await worker.stop()  # the updates in hand finish; the others wait in the inbox
        for app in reversed(apps):
            if app.running:
                await app.stop()
        for sender in senders:
            await sender.stop()
        for app in reversed(apps):
            await app.shutdown()


async def send_only(base: Runtime, chosen: list[BotToRun], stop: asyncio.Event) -> None:
    """`bot.py send-outbox --bot NAME …`: one outbox sender per bot, each sending only its own
    bot's messages with its own token, until `stop` is set."""
    from core.metrics import start_metrics_server
    from handlers.transport import build_bot
    from jobs.outbox import OutboxSender

    await start_metrics_server(base)  # METRICS_PORT; stops with base.close()
    async with contextlib.AsyncExitStack() as stack:
        senders: list[OutboxSender] = []
        for bot in chosen:
            runtime = runtime_for(base, bot)
            # sends as the bot's own sender does (HTML defaults)
            telegram = await stack.enter_async_context(build_bot(runtime.settings))
            sender = OutboxSender(runtime, telegram)
            sender.start()
            senders.append(sender)
        log.info("outbox senders started for %d bots", len(senders))
        try:
            await stop.wait()
        finally:
            for sender in senders:
                await sender.stop()  # the batch in hand is sent, then the sender stops


def run_bots(
    settings: Settings,
    names: list[str],
    every: bool,
    webhook: bool,
    *,
    receive: bool = True,
    work: bool = True,
) -> int:
    """`bot.py run|receive|work --bot NAME …` / `--all-bots`: exit status 2 on a configuration
    error."""
    webhook = receive and (webhook or bool(settings.webhook_url))
    if webhook and not (settings.webhook_url and settings.webhook_secret):
        print(
            "Configuration error: WEBHOOK_URL and WEBHOOK_SECRET are both required for webhook mode",
            file=sys.stderr,
        )
        return 2

    def body(base: Runtime, chosen: list[BotToRun], stop: asyncio.Event) -> Any:
        return serve(base, chosen, stop, receive=receive, work=work, webhook=webhook)

    return _run(settings, names, every, body)


def send_outbox_bots(settings: Settings, names: list[str], every: bool) -> int:
    """`bot.py send-outbox --bot NAME …` / `--all-bots`."""
    return _run(settings, names, every, send_only)


def _run(
    settings: Settings,
    names: list[str],
    every: bool,
    body: Callable[[Runtime, list[BotToRun], asyncio.Event], Awaitable[None]],
) -> int:
    """Choose the bots (a configuration error: status 2, said in one line) and run `body`
    until SIGINT or SIGTERM."""

    async def main() -> int:
        base = Runtime.create(settings)
        try:
            try:
                chosen = await chosen_bots(base, names, every)
            except DomainError as error:
                print(error.text(translator(settings.default_language)), file=sys.stderr)
                return 2
            except ConfigurationError as error:
                print(f"Configuration error: {error}", file=sys.stderr)
                return 2
            if not chosen:
                print("Configuration error: no bot to serve", file=sys.stderr)
                return 2
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await body(base, chosen, stop)
            log.info("bots stopped")
            return 0
        finally:
            await base.close()

    return asyncio.run(main())
