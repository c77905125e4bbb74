"""Commands, per permission and per language: the commands of /help and Telegram's command menu
come from here, each shown to whoever holds its permission somewhere (services.policy)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application

from core.db import unit_of_work
from core.i18n import LANGUAGES, TELEGRAM_MENU_LANGUAGE, Msg, Translator, translator
from core.runtime import Runtime
from handlers.context import Unit
from services import policy
from services.actors import Actor, load_actor
from services.policy import Permission

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MenuCommand:
    """A command in /help and Telegram's menu, shown to whoever holds its permission somewhere
    (or any of several)."""

    name: str
    description: Msg  # marked with N_, translated where it is shown
    audience: Permission | tuple[Permission, ...]
    order: int = 100

    def shown_to(self, actor: Actor) -> bool:
        audience = self.audience
        if isinstance(audience, Permission):
            return policy.anywhere(actor, audience)
        return any(policy.anywhere(actor, p) for p in audience)


_COMMANDS: dict[str, MenuCommand] = {}


def add_commands(*commands: MenuCommand) -> None:
    """Feature modules declare their commands here from their register()."""
    for command in commands:
        _COMMANDS[command.name] = command


def commands_for(actor: Actor) -> list[MenuCommand]:
    return sorted(
        (c for c in _COMMANDS.values() if c.shown_to(actor)), key=lambda c: (c.order, c.name)
    )


def listed(actor: Actor) -> list[tuple[str, Msg]]:
    """(name, description) of the person's commands, for /help (views.account.help_text)."""
    return [(c.name, c.description) for c in commands_for(actor)]


def bot_commands(commands: list[MenuCommand], _: Translator) -> list[BotCommand]:
    return [BotCommand(c.name, _.plain(c.description)[:256]) for c in commands]


async def set_default_menus(application: Application) -> None:
    """Menus for people the bot does not know yet, in each language Telegram can tell apart."""
    guest = Actor(telegram_id=0)
    for language in LANGUAGES:
        _ = translator(language)
        commands = bot_commands(commands_for(guest), _)
        code = TELEGRAM_MENU_LANGUAGE.get(language)
        if code is None:
            continue
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=code
        )
    default = translator(application.bot_data["runtime"].settings.default_language)
    await application.bot.set_my_commands(
        bot_commands(commands_for(guest), default), scope=BotCommandScopeDefault()
    )


class MenuSync:
    """After each update, give the user a menu for their roles and language if it changed; and
    at once when their rights changed elsewhere (`refresh`, called by the outbox sender)."""

    def __init__(self, runtime: Runtime | None = None) -> None:
        self._signatures: dict[int, tuple[str, ...]] = {}
        self.runtime = runtime

    async def __call__(self, update: Update, unit: Unit) -> None:
        if unit.failed:
            return
        actor = unit.actor
        if unit.actor_changed:
            actor = await load_actor(unit.session, actor.telegram_id)
        if update.effective_user is None:
            return
        await self._sync(
            update.get_bot(),
            update.effective_user.id,
            actor,
            unit.translator.language,
            changed=unit.actor_changed,
        )

    async def refresh(self, bot: Bot, chat_id: int) -> None:
        """The person's rights changed (a role revoked, a membership ended): their menu now."""
        assert self.runtime is not None
        async with unit_of_work(self.runtime.sessions) as session:
            actor = await load_actor(session, chat_id)
        await self._sync(bot, chat_id, actor, self.runtime.settings.default_language, changed=True)

    async def _sync(
        self, bot: Bot, chat_id: int, actor: Actor, fallback: str, *, changed: bool
    ) -> None:
        if actor.resident is None or not actor.registered:
            if self._signatures.pop(chat_id, None) is not None or changed:
                await self._safe(bot.delete_my_commands(scope=BotCommandScopeChat(chat_id)))
            return
        commands = commands_for(actor)
        language = actor.resident.language or fallback
        signature = (language, *(c.name for c in commands))
        if self._signatures.get(chat_id) == signature:
            return
        self._signatures[chat_id] = signature
        await self._safe(
            bot.set_my_commands(
                bot_commands(commands, translator(language)), scope=BotCommandScopeChat(chat_id)
            )
        )

    @staticmethod
    async def _safe(call) -> None:
        try:
            await call
        except TelegramError as error:
            log.warning("could not update the command menu: %s", error)
