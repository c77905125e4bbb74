"""Assembles the python-telegram-bot Application: context, unit of work, persistence, handlers."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable

from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from core.runtime import Runtime
from handlers import (
    account,
    bills,
    bot_routing,
    console,
    corrections,
    fallback,
    fee_office,
    homes,
    kpi,
    notices,
    onboarding,
    report,
    statement_review,
    surveys,
    tickets,
    vote_drafting,
    vote_office,
    vote_results,
    voting,
)
from handlers.context import BotContext, UnitOfWorkProcessor
from handlers.menu import MenuSync, set_default_menus
from handlers.persistence import DatabasePersistence
from handlers.transport import BOT_DEFAULTS, AiohttpRequest
from services.bot_identity import remember_username

log = logging.getLogger(__name__)

# Feature modules in registration order; the catch-alls come last.
FEATURES = (
    bot_routing,
    onboarding,
    account,
    report,
    tickets,
    notices,
    voting,
    vote_drafting,
    vote_office,
    vote_results,
    bills,
    fee_office,
    corrections,
    statement_review,
    surveys,
    kpi,
    homes,
    console,
)


def build_application(
    runtime: Runtime,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    on_start: Callable[[Application], Awaitable[None]] | None = None,
    on_stop: Callable[[Application], Awaitable[None]] | None = None,
) -> Application:
    settings = runtime.settings
    processor = UnitOfWorkProcessor(runtime)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token or "")
        .base_url(settings.telegram_base_url)
        .base_file_url(
            settings.telegram_base_file_url
            or settings.telegram_base_url.replace("/bot", "/file/bot")
        )
        .context_types(ContextTypes(context=BotContext))
        .defaults(BOT_DEFAULTS)
        .concurrent_updates(processor)
        .persistence(DatabasePersistence(runtime))
        .post_init(_post_init(on_start))
        .post_shutdown(_post_shutdown(on_stop))
    )
    builder = builder.request(request or AiohttpRequest(connection_pool_size=128))
    builder = builder.get_updates_request(
        get_updates_request or AiohttpRequest(connection_pool_size=2)
    )
    app = builder.build()
    app.bot_data["runtime"] = runtime
    processor.application = app
    menus = MenuSync(runtime)
    processor.after_update.append(menus)
    runtime.menu_refresh = menus.refresh  # the outbox sender refreshes menus through it
    with warnings.catch_warnings():
        # Known and harmless: our conversations are per chat and user, and their buttons
        # carry their own step (PTB warns about per_message=False for every such handler).
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        for feature in FEATURES:
            feature.register(app)
    # PTB gives an update to the first matching handler of a group. Conversations go first, so
    # someone in the middle of one gets its answer (or its polite "finish or /cancel first")
    # instead of another feature's command handler.
    app.handlers[0].sort(key=lambda h: not isinstance(h, ConversationHandler))
    fallback.register(app)
    return app


# The update kind each handler class answers (what allowed_updates asks Telegram for).
UPDATE_KINDS: tuple[tuple[type[BaseHandler], str], ...] = (
    (CommandHandler, "message"),
    (MessageHandler, "message"),
    (CallbackQueryHandler, "callback_query"),
    (PreCheckoutQueryHandler, "pre_checkout_query"),
)


def allowed_updates(app: Application) -> list[str]:
    """The update kinds the registered handlers answer, for getUpdates / setWebhook: Telegram
    sends nothing else, and nothing a handler waits for is left out."""
    kinds: set[str] = set()

    def visit(handler: BaseHandler) -> None:
        if isinstance(handler, ConversationHandler):
            for inner in (*handler.entry_points, *handler.fallbacks):
                visit(inner)
            for step in handler.states.values():
                for inner in step:
                    visit(inner)
            return
        for cls, kind in UPDATE_KINDS:
            if isinstance(handler, cls):
                kinds.add(kind)
                return
        raise TypeError(f"{type(handler).__name__}: add its update kind to UPDATE_KINDS")

    for group in app.handlers.values():
        for handler in group:
            visit(handler)
    return sorted(kinds)


def _post_init(on_start: Callable[[Application], Awaitable[None]] | None):
    async def post_init(app: Application) -> None:
        runtime: Runtime = app.bot_data["runtime"]
        await remember_username(runtime, app.bot.username, app.bot.id)  # for invite links
        await set_default_menus(app)
        if on_start is not None:
            await on_start(app)
        log.info("bot @%s ready", app.bot.username)

    return post_init


def _post_shutdown(on_stop: Callable[[Application], Awaitable[None]] | None):
    async def post_shutdown(app: Application) -> None:
        if on_stop is not None:
            await on_stop(app)

    return post_shutdown
