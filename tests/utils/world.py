"""A test world: the Bot API emulator, the real bot polling it over HTTP, a clean database,
and people who use the bot the way residents do."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import FakeClock
from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from emulator import BotApiEmulator, ChatMessage, EmulatedUser
from emulator.limits import ApiLimits
from handlers.app import build_application
from jobs.outbox import OutboxSender, SenderStats
from models import Building, Household, MembershipKind, Role
from services.invites import IssuedInvite, issue_household_invites, issue_role_invite
from services.places import resolve_scope
from services.roster import import_roster

TOKEN = "123456:TEST-token"
# A character reference the reader sees as typed: escaped twice ("&amp;lt;"), or one the server
# does not decode (&apos; &nbsp;: only &lt; &gt; &amp; &quot; and numeric ones are).
DOUBLE_ESCAPED = re.compile(r"&(lt|gt|amp|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")
from tests.utils.formats import other_date_forms, without_code  # noqa: E402
from tests.utils.paths import SAMPLE_ROSTER  # noqa: E402

# Seconds a person takes before each action (reading the answer, typing, tapping), on the
# emulator's clock only: the real server's per-chat flood control then sees a person's pace,
# not a test's, while a reply that bursts past it is still caught.
HUMAN_PACE = 3.0


class Person:
    """One Telegram user, driven through the emulator; every action waits until the bot is done."""

    def __init__(self, world: World, user: EmulatedUser) -> None:
        self.world = world
        self.user = user

    def _pause(self) -> None:
        self.world.emulator.advance_clock(HUMAN_PACE)

    @property
    def id(self) -> int:
        return self.user.id

    async def _act(self, update_id: int) -> list[ChatMessage]:
        before = len(self.user.bot_messages)
        await self.world.settle(update_id)
        return self.user.bot_messages[before:]

    async def send(self, text: str) -> list[ChatMessage]:
        self._pause()
        return await self._act(self.user.send(text))

    async def press(self, label: str, message_id: int | None = None) -> list[ChatMessage]:
        self._pause()
        return await self._act(self.user.press_button(label, message_id))

    async def press_data(self, data: str, message_id: int | None = None) -> list[ChatMessage]:
        """Press a button with arbitrary (possibly forged) callback data."""
        self._pause()
        if message_id is None:
            message_id = self.last_message.message_id
        return await self._act(self.user.press(message_id, data))

    async def send_photo(self, data: bytes, caption: str | None = None) -> list[ChatMessage]:
        self._pause()
        return await self._act(self.user.send_photo(data, caption=caption))

    async def send_album(
        self, photos: list[bytes], caption: str | None = None
    ) -> list[ChatMessage]:
        """Several photos sent at once (an album): every one of them is handled before this
        returns."""
        self._pause()
        before = len(self.user.bot_messages)
        for update_id in self.user.send_album(photos, caption=caption):
            await self.world.settle(update_id)
        return self.user.bot_messages[before:]

    async def send_location(self, latitude: float, longitude: float) -> list[ChatMessage]:
        self._pause()
        return await self._act(self.user.send_location(latitude, longitude))

    async def send_contact(self, phone: str) -> list[ChatMessage]:
        self._pause()
        return await self._act(self.user.send_contact(phone))

    async def send_document(self, data: bytes, filename: str) -> list[ChatMessage]:
        self._pause()
        return await self._act(self.user.send_document(data, filename))

    async def pay(self) -> dict:
        """Tap Pay on the newest invoice; returns how the bot answered the pre-checkout query.
        If it said yes, the successful-payment message is handled before this returns."""
        self._pause()
        update_id = self.user.pay()
        query = next(
            q
            for q in reversed(self.world.emulator.pre_checkout_queries.values())
            if q["user_id"] == self.id
        )
        await self.world.settle(update_id)
        if query["payment_update"] is not None:
            await self.world.settle(query["payment_update"])
        return query

    @property
    def last_text(self) -> str:
        return self.user.last_text

    @property
    def last_message(self) -> ChatMessage:
        message = self.user.last_bot_message
        assert message is not None, "the bot has sent this person nothing"
        return message

    def button_data(self, row: int = 0, column: int = 0) -> str:
        """The callback data of a button of the newest message."""
        keyboard = self.last_message.inline_keyboard
        assert keyboard, "the newest message has no buttons"
        return str(keyboard[row][column]["callback_data"])

    @property
    def bot_messages(self) -> list[ChatMessage]:
        return self.user.bot_messages

    def texts(self) -> list[str]:
        return [m.content for m in self.user.bot_messages]

    @property
    def commands(self) -> list[str]:
        return [name for name, _ in self.user.commands]

    @property
    def alerts(self) -> list[str]:
        return [a.get("text") or "" for a in self.user.callback_answers]


class World:
    def __init__(
        self,
        database_url: str,
        clock: FakeClock,
        webhook: tuple[str, int] | None = None,
        flood_control: bool = True,
    ) -> None:
        self.webhook = webhook  # (secret, port) to run in webhook mode instead of polling
        self.database_url = database_url
        self.clock = clock
        # The real server's flood control is on unless a test turns it off (flood_control=False
        # or world.flood_control(False)), saying why.
        limits = ApiLimits.telegram() if flood_control else ApiLimits()
        self.emulator = BotApiEmulator(token=TOKEN, bot_username="RedPropertyBot", limits=limits)
        self._done: Counter[int] = Counter()
        self._done_event = asyncio.Event()
        self.app: Any = None

    async def __aenter__(self) -> World:
        await self.emulator.start(host="127.0.0.1", port=0)
        settings = Settings(
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=self.emulator.base_url,
            TELEGRAM_BASE_FILE_URL=self.emulator.base_file_url,
            DATABASE_URL=self.database_url,
            _env_file=None,
        )
        self.runtime = Runtime.create(settings, self.clock)
        await self.start_bot()
        return self

    async def __aexit__(self, kind: object, *exc: object) -> None:
        await self.stop_bot()
        await self.runtime.close()
        await self.emulator.stop()
        if kind is None:
            self.check_what_was_sent()

    def check_what_was_sent(self) -> None:
        """Whatever a test did, the bot never sent Telegram HTML it cannot parse (the emulator
        parses every text and caption the way Telegram does), and no message shows an escaped
        entity to its reader (a value escaped twice: "&lt;3" on the screen), and every date in it
        is in the one format of its kind (tests/utils/formats.py)."""
        unparsable = [r for r in self.emulator.refused if "parse entities" in r[1]]
        assert not unparsable, f"the bot sent HTML Telegram cannot parse: {unparsable[:3]}"
        violations = self.emulator.violations
        assert not violations, f"requests the real Bot API would not take: {violations[:3]}"
        shown_twice = [
            m.content
            for chat in self.emulator.chats.values()
            for m in chat.bot_messages
            if DOUBLE_ESCAPED.search(m.content)
        ]
        assert not shown_twice, f"escaped twice, the reader sees entities: {shown_twice[:3]}"
        dates = [
            (problem, m.content)
            for chat in self.emulator.chats.values()
            for m in chat.bot_messages
            for shown in (without_code(m.content, m.entities), *m.buttons())
            for problem in other_date_forms(shown)
        ]
        assert not dates, f"a date not in the one format of its kind (core.i18n): {dates[:3]}"

    async def start_bot(self) -> None:
        self.app = build_application(self.runtime)
        self.app.update_processor.on_done.append(self._mark_done)
        await self.app.initialize()
        # The sender paces itself under the real server's 30 messages a second, as in production;
        # its one-per-chat spacing is left out (it defers by the bot's clock, which tests move).
        self.sender = OutboxSender(self.runtime, self.app.bot, rate=25, chat_interval=0)
        await self.app.start()
        if self.webhook is None:
            await self.app.updater.start_polling(poll_interval=0, timeout=5)
        else:  # the endpoint `bot.py run --webhook` serves
            from handlers.webhook import WebhookServer

            secret, port = self.webhook
            self.webhook_server = WebhookServer(
                self.app, listen="127.0.0.1", port=port, secret=secret
            )
            await self.webhook_server.start()
            await self.app.bot.set_webhook(f"http://127.0.0.1:{port}/telegram", secret_token=secret)

    async def stop_bot(self) -> None:
        if self.app is None:
            return
        if self.webhook is not None:
            await self.webhook_server.stop()
        else:
            stopping = asyncio.create_task(self.app.updater.stop())
            while not stopping.done():
                self.emulator.release_pollers()
                await asyncio.sleep(0.01)
            await stopping
        await self.app.stop()
        await self.app.shutdown()
        self.app = None

    def flood_control(self, on: bool) -> None:
        """Turn the emulator's flood control (the real server's limits) on or off."""
        self.emulator.set_limits(ApiLimits.telegram() if on else ApiLimits())

    def advance_telegram_clock(self, seconds: float) -> None:
        """Let `seconds` pass for Telegram (the emulator) only: button presses waiting for the
        bot grow old, messages pass their 48 hours. The bot's clock is `self.clock`."""
        self.emulator.advance_clock(seconds)

    async def press_while_down(self, person: Person, label: str) -> int:
        """The person presses a button while the bot is stopped; the update waits in Telegram's
        queue. Returns its update_id (for settle() once the bot is back)."""
        assert self.app is None, "stop the bot first (stop_bot)"
        return person.user.press_button(label)

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database: nothing in memory survives."""
        await self.stop_bot()
        await self.start_bot()

    async def deliver(self) -> SenderStats:
        """Run the outbox sender until nothing is due (what the background sender does)."""
        return await self.sender.drain()

    def _mark_done(self, update_id: int) -> None:
        self._done[update_id] += 1
        self._done_event.set()

    async def settle(self, update_id: int, timeout: float = 10, times: int = 1) -> None:
        """Wait until the bot has finished processing this update (`times` deliveries of it)."""
        async with asyncio.timeout(timeout):
            while self._done[update_id] < times:
                self._done_event.clear()
                await self._done_event.wait()

    async def settle_again(self, update_id: int) -> None:
        """Wait for the second delivery of an update to be processed."""
        await self.settle(update_id, times=2)

    def user(
        self,
        first_name: str,
        language: str = "zh-hans",
        last_name: str | None = None,
        started: bool = True,
    ) -> Person:
        """A Telegram user; started=False: one who never pressed Start, so the bot cannot write
        to them first (403) until they send it something."""
        return Person(
            self,
            self.emulator.add_user(
                first_name=first_name, last_name=last_name, language_code=language, started=started
            ),
        )

    def block(self, person: Person) -> None:
        """The person blocks the bot: every send to them now gets 403."""
        self.emulator.block(person.id)

    @asynccontextmanager
    async def session(self):
        async with unit_of_work(self.runtime.sessions) as session:
            yield session

    # --- building worlds -------------------------------------------------------------
    async def seed_roster(self, path: Path = SAMPLE_ROSTER) -> None:
        async with self.session() as session:
            result = await import_roster(session, path, now=self.clock.now())
            assert result.ok, result.problems

    async def seed_other_compound(self, folder: Path) -> None:
        """A second compound (和平里) in the same community, with one household."""
        path = folder / "other.csv"
        path.write_text(
            "city,district,sub_district,community,compound,building,unit,room,registered_area,grid,owner_name\n"
            "武汉市,江岸区,后湖街道,幸福社区,和平里,1栋,1单元,101,80.00,第三网格,钱七\n",
            encoding="utf-8",
        )
        await self.seed_roster(path)

    async def household_id(self, building: str, unit: str, room: str) -> int:
        async with self.session() as session:
            return (
                await session.exec(
                    select(col(Household.id))
                    .join(Building, col(Building.id) == col(Household.building_id))
                    .where(
                        col(Building.name) == building,
                        col(Household.unit) == unit,
                        col(Household.room) == room,
                    )
                )
            ).one()

    async def issue_invites(
        self, compound: str = "幸福家园"
    ) -> dict[tuple[str, str], IssuedInvite]:
        """All invites of a compound, keyed by (household label, kind)."""
        from datetime import timedelta

        async with self.session() as session:
            scope = await resolve_scope(session, f"compound:{compound}")
            issued = await issue_household_invites(
                session, scope.id, now=self.clock.now(), ttl=timedelta(days=30)
            )
        return {(i.label, i.kind): i for i in issued}

    async def role_invite(self, role: Role, scope: str) -> str:
        from datetime import timedelta

        async with self.session() as session:
            place = await resolve_scope(session, scope)
            issued = await issue_role_invite(
                session, role, place, now=self.clock.now(), ttl=timedelta(days=7)
            )
        return issued.code

    async def onboard(
        self, person: Person, label: str = "1栋 1单元 101", kind: str = MembershipKind.OWNER
    ) -> None:
        """Register a person with a fresh invite, as they would: open the link, agree."""
        invites = await self.issue_invites()
        await person.send(f"/start {invites[(label, kind)].code}")
        await person.press_data(person.button_data())

    async def join_as(self, person: Person, role: Role, scope: str = "compound:幸福家园") -> None:
        """Give a person a role the way an administrator does: a role invite they accept."""
        code = await self.role_invite(role, scope)
        await person.send(f"/start {code}")
        await person.press_data(person.button_data())

    async def run_jobs(self) -> None:
        """One tick of every scheduled job, then deliver what they queued."""
        from jobs.notices import dispatch_scheduled

        await dispatch_scheduled(self.runtime)
        await self.deliver()

    async def db(self) -> AsyncSession:  # pragma: no cover - convenience for debugging
        return self.runtime.sessions()
