"""A city's bots on the command line: `admin bot add`, `admin bot serve`, `admin bot paid`,
`admin bot list`.

A bot is recorded by the environment variable holding its token (the token itself never goes
into the database); its username is the one getMe gives when it starts.
"""

from __future__ import annotations

import argparse
import os
import sys

from cli import fetch_bot_username, run, say, words
from core.db import unit_of_work
from core.i18n import N_
from core.runtime import Runtime
from core.settings import Settings


def add_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bot = admin.add_parser("bot", help="the bots of a city and the places each serves")
    commands = bot.add_subparsers(dest="bot_command", required=True)
    add = commands.add_parser("add", help="record a bot by the variable holding its token")
    add.add_argument("token_env", help="name of the environment variable with the bot's token")
    add.add_argument("--title", default="", help="what the office calls it, e.g. 江岸区")
    add.add_argument(
        "--serve",
        action="append",
        default=[],
        metavar="KIND:NAME",
        help="a district, sub-district or compound it serves (repeat for several)",
    )
    add.set_defaults(run=add_bot)
    serve = commands.add_parser("serve", help="a recorded bot serves these places from now on")
    serve.add_argument("bot", help="the bot: its token variable, username or id")
    serve.add_argument("places", nargs="+", metavar="KIND:NAME")
    serve.set_defaults(run=serve_places)
    paid = commands.add_parser(
        "paid", help="emergency notices through this bot go by paid broadcast (Stars) or not"
    )
    paid.add_argument("bot", help="the bot: its token variable, username or id")
    paid.add_argument("switch", choices=("on", "off"))
    paid.set_defaults(run=paid_broadcast)
    listing = commands.add_parser("list", help="the recorded bots, their usernames and places")
    listing.set_defaults(run=list_bots)


def add_bot(settings: Settings, args: argparse.Namespace) -> int:
    from services import bots
    from services.places import resolve_scope

    _ = words(settings)
    token = os.environ.get(args.token_env)
    if not token:
        print(
            say(_, N_("{name} is not set: it must hold the bot's token."), name=args.token_env),
            file=sys.stderr,
        )
        return 2

    async def work(runtime: Runtime) -> int:
        username = await fetch_bot_username(settings, token)
        async with unit_of_work(runtime.sessions) as session:
            bot = await bots.add_bot(
                session, args.token_env, token, args.title, now=runtime.clock.now()
            )
            if username is not None:
                await bots.record_username(session, bot.id, username, now=runtime.clock.now())
            for place in args.serve:
                await bots.serve_place(session, bot, await resolve_scope(session, place))
        print(say(_, N_("Bot {bot} recorded."), bot=f"@{username}" if username else bot.id))
        return 0

    return run(settings, work)


def serve_places(settings: Settings, args: argparse.Namespace) -> int:
    from services import bots
    from services.places import resolve_scope

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            bot = await bots.find_bot(session, args.bot)
            for place in args.places:
                await bots.serve_place(session, bot, await resolve_scope(session, place))
        return 0

    return run(settings, work)


def paid_broadcast(settings: Settings, args: argparse.Namespace) -> int:
    from services import bots

    _ = words(settings)
    on = args.switch == "on"

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            bot = await bots.find_bot(session, args.bot)
            await bots.set_paid_broadcast(session, bot, on)
            name = f"@{bot.username}" if bot.username else bot.id
        if on:
            print(say(_, N_("Bot {bot} sends emergency notices by paid broadcast."), bot=name))
        else:
            print(say(_, N_("Bot {bot} no longer uses paid broadcast."), bot=name))
        return 0

    return run(settings, work)


def list_bots(settings: Settings, args: argparse.Namespace) -> int:
    from services import bots

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with runtime.sessions() as session:
            found = await bots.list_bots(session)
        if not found:
            print(say(_, N_("No bots are recorded: TELEGRAM_TOKEN's bot serves every compound.")))
        for summary in found:
            bot = summary.bot
            username = f"@{bot.username}" if bot.username else say(_, N_("(not started yet)"))
            places = ", ".join(summary.places) or "-"
            print(f"{bot.id}\t{username}\t{bot.title}\t{bot.token_env}\t{places}")
        return 0

    return run(settings, work)
