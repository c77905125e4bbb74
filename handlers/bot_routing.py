"""A city runs one bot per district: a registered resident who writes to another district's
bot is sent to the bot serving their home (invites are checked in services.invites)."""

from __future__ import annotations

import time

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from handlers.common import handler, send
from handlers.context import BotContext
from services import bots
from views import bots as view

ROUTING_GROUP = -10  # before every feature: the message is not handled here at all


@handler
async def route(update: Update, context: BotContext) -> None:
    """Stop here with a pointer to the resident's own bot, or let the features handle it."""
    actor = context.actor
    message = update.effective_message
    if message is not None and (message.text or "").startswith("/start"):
        return  # an invite: services.invites sends it to the right bot
    if not actor.households or actor.roles:  # staff may serve several districts
        return
    runtime = context.runtime
    if runtime.bot_routing is None:
        runtime.bot_routing = bots.RoutingCache()
    target = await bots.home_bot(
        context.session,
        [tie.compound_id for tie in actor.households],
        own=context.bot.id,
        default=runtime.bot_account is None,
        cache=runtime.bot_routing,
        monotonic=time.monotonic(),
    )
    if target is False:
        return
    username = await bots.username_of(context.session, target)
    if username is None or username == context.bot.username:
        return
    await send(update, view.use_home_bot(username, context._))
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.ALL, route), group=ROUTING_GROUP)
