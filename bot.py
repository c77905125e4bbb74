"""Red Property bot: composition root and command line.

python bot.py run                 the bot (polling, or webhook when WEBHOOK_URL is set)
python bot.py run --all-bots      every bot of a city (admin bot add) from one process
                                  (receive, work and send-outbox take --bot NAME / --all-bots too)
python bot.py demo [--reset]      emulator + sample compound, no Telegram token needed
python bot.py migrate             apply database migrations
python bot.py receive             only receive updates into the inbox (no handling)
python bot.py work                only handle updates from the inbox (extra worker processes)
python bot.py send-outbox         only the outbox sender (extra sender processes)
python bot.py admin ...           administration; each feature's commands are in cli/
python bot.py report ...          the monthly KPI report without Telegram (cli/kpi.py)
"""

from __future__ import annotations

import signal
import sys

if __name__ == "__main__":  # Ctrl+C while the libraries still load: leave quietly, status 130
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

from cli import bots as cli_bots
from cli import corrections as cli_corrections
from cli import fees as cli_fees
from cli import kpi as cli_kpi
from cli import people as cli_people
from cli import places as cli_places
from cli import tickets as cli_tickets
from cli import votes as cli_votes
from core.logging import setup_logging
from core.metrics import start_metrics_server
from core.runtime import Runtime
from core.settings import Settings, get_settings

log = logging.getLogger("bot")
CLI_FEATURES = (
    cli_places,
    cli_tickets,
    cli_fees,
    cli_votes,
    cli_corrections,
    cli_people,
    cli_bots,
)


def migrate(database_url: str | None = None) -> None:
    """Apply Alembic migrations up to head."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(Path(__file__).with_name("alembic.ini")))
    if database_url:
        config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def run_bot(settings: Settings, webhook: bool, *, receive: bool = True, work: bool = True) -> None:
    """The bot: a receiver storing updates in the inbox and a worker handling them, in one
    process (`run`, with the scheduler and the outbox sender), or only one of them (`receive`,
    `work`: more worker processes share a PostgreSQL inbox; see handlers/intake.py)."""
    from handlers.app import allowed_updates, build_application
    from handlers.intake import serve
    from jobs.inbox import inbox_depth
    from jobs.outbox import OutboxSender
    from jobs.scheduler import build_scheduler

    if not settings.telegram_token:
        print(
            "TELEGRAM_TOKEN is not set; use `python bot.py demo` to try the bot without one.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    if (
        receive
        and (webhook or settings.webhook_url)
        and not (settings.webhook_url and settings.webhook_secret)
    ):
        print(
            "Configuration error: WEBHOOK_URL and WEBHOOK_SECRET are both required for webhook mode",
            file=sys.stderr,
        )
        raise SystemExit(2)
    runtime = Runtime.create(settings)
    everything = receive and work
    scheduler = build_scheduler(runtime) if everything else None
    senders: list[OutboxSender] = []
    consoles: list[Any] = []

    async def on_start(app: Any) -> None:
        from console.app import start_console

        runtime.metrics.register_probe("inbox", lambda s: inbox_depth(s, runtime.clock.now()))
        await start_metrics_server(runtime)  # METRICS_PORT; stops with runtime.close()
        if scheduler is None:
            return
        console = await start_console(runtime)  # CONSOLE_PORT: the office console
        if console is not None:
            consoles.append(console)
        sender = OutboxSender(runtime, app.bot)
        runtime.outbox_waker = sender.wake
        sender.start()
        senders.append(sender)
        scheduler.start()

    async def on_stop(_app: Any) -> None:
        for console in consoles:
            await console.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for sender in senders:
            await sender.stop()
        await runtime.close()

    app = build_application(runtime, on_start=on_start, on_stop=on_stop)
    kinds = allowed_updates(app)

    async def start_webhook(app: Any, store: Any) -> Any:
        return await serve_webhook(app, settings, kinds, store)

    asyncio.run(
        serve(
            app,
            runtime,
            receive=receive,
            work=work,
            allowed_updates=kinds,
            serve_webhook=start_webhook if settings.webhook_url else None,
        )
    )


async def serve_webhook(app: Any, settings: Settings, kinds: list[str], store: Any) -> Any:
    """Webhook mode: our endpoint (handlers/webhook.py) storing into the inbox, and setWebhook.
    Returns the coroutine function that stops the endpoint."""
    from handlers.webhook import WebhookServer

    server = WebhookServer(
        app,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        secret=settings.webhook_secret or "",
        store=store,
    )
    await server.start()
    await app.bot.set_webhook(
        url=settings.webhook_url or "",
        secret_token=settings.webhook_secret,
        allowed_updates=kinds,
    )
    return server.stop


def run_sender(settings: Settings) -> int:
    """Only the outbox sender, e.g. a second process sharing a PostgreSQL outbox."""
    from handlers.transport import build_bot
    from jobs.outbox import OutboxSender

    if not settings.telegram_token:
        print("Configuration error: TELEGRAM_TOKEN is required for the sender")
        return 2

    async def main() -> None:
        runtime = Runtime.create(settings)
        await start_metrics_server(runtime)  # METRICS_PORT; stops with runtime.close()
        async with build_bot(settings) as bot:  # sends as the bot's own sender does (HTML)
            sender = OutboxSender(runtime, bot)
            log.info(
                "outbox sender started: %s/s, %ss per chat, pacing %s",
                sender.rate,
                sender.chat_interval,
                "shared (Redis)" if settings.redis_url else "local",
            )
            try:
                await sender.run_forever()
            finally:
                await sender.pacer.close()
        await runtime.close()

    asyncio.run(main())
    return 0


def add_bot_options(command: argparse.ArgumentParser) -> None:
    """--bot NAME and --all-bots: which recorded bots the process serves (handlers/fleet.py)."""
    command.add_argument(
        "--bot",
        action="append",
        default=[],
        metavar="NAME",
        help="serve this recorded bot (token variable, username or id; 'default' for "
        "TELEGRAM_TOKEN); repeat to serve several from this process",
    )
    command.add_argument(
        "--all-bots", action="store_true", help="serve every recorded bot and TELEGRAM_TOKEN's"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot.py", description="Red Property bot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("start", help="the bot if TELEGRAM_TOKEN is set, else the demo (default)")
    run = commands.add_parser("run", help="run the bot against Telegram (TELEGRAM_TOKEN)")
    run.add_argument(
        "--webhook", action="store_true", help="webhook mode (needs WEBHOOK_URL, WEBHOOK_SECRET)"
    )
    add_bot_options(run)
    receive = commands.add_parser(
        "receive", help="only receive updates into the inbox (workers handle them: bot.py work)"
    )
    receive.add_argument(
        "--webhook", action="store_true", help="webhook mode (needs WEBHOOK_URL, WEBHOOK_SECRET)"
    )
    add_bot_options(receive)
    work = commands.add_parser(
        "work", help="only handle updates from the inbox (extra worker processes)"
    )
    add_bot_options(work)
    demo = commands.add_parser("demo", help="run the emulator with the sample compound")
    demo.add_argument("--reset", action="store_true", help="start from the seeded state")
    demo.add_argument(
        "--port", type=int, default=None, help="port of the emulator (default DEMO_PORT)"
    )
    commands.add_parser("migrate", help="apply database migrations")
    add_bot_options(
        commands.add_parser(
            "send-outbox", help="run only the outbox sender (extra sender processes)"
        )
    )
    cli_kpi.add_report_command(commands)
    admin = commands.add_parser("admin", help="administration").add_subparsers(
        dest="admin", required=True
    )
    for feature in CLI_FEATURES:
        feature.add_commands(admin)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    setup_logging(settings.log_level)
    if args.command in (None, "start"):
        args.command = "run" if settings.telegram_token else "demo"
        args.webhook, args.reset, args.port = False, False, None
        args.bot, args.all_bots = [], False
    if args.command in ("run", "receive", "work") and (args.bot or args.all_bots):
        from handlers.fleet import run_bots

        return run_bots(
            settings,
            args.bot,
            args.all_bots,
            getattr(args, "webhook", False),
            receive=args.command != "work",
            work=args.command != "receive",
        )
    if args.command == "send-outbox" and (args.bot or args.all_bots):
        from handlers.fleet import send_outbox_bots

        return send_outbox_bots(settings, args.bot, args.all_bots)
    if args.command in ("run", "receive", "work"):
        run_bot(
            settings,
            getattr(args, "webhook", False),
            receive=args.command != "work",
            work=args.command != "receive",
        )
        return 0
    if args.command == "demo":
        from demo.app import run_demo

        return run_demo(settings, reset=args.reset, port=args.port or settings.demo_port)
    if args.command == "send-outbox":
        return run_sender(settings)
    if args.command == "migrate":
        migrate(settings.database_url)
        return 0
    if getattr(args, "run", None) is not None:  # a feature's command (cli/)
        return int(args.run(settings, args))
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl+C before the bot or the demo took over the signals
        sys.exit(130)
