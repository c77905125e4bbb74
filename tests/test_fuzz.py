"""Property-based hardening (hypothesis): every persona of the permission cast presses forged
buttons of every registered callback kind and sends hostile texts at every step of every
conversation, reached by driving the flow with the buttons the bot really offers.

After each input the test checks what a user (or the property office) would notice:
- nothing was logged at ERROR (no traceback: the person never got "sorry, something went wrong"),
- every button press was answered (no spinning button in the client),
- the bot sent nothing Telegram refuses (unparsable HTML, a text too long, ...),
- the database changed only where the actor may change it: their own draft, conversation state,
  audit and update bookkeeping, their own resident row; the tables of what their role or home
  lets them do (derived from services/policy.py, `WRITERS` below); and never a record of a
  compound their roles and homes do not cover.

The world (emulator, bot, database, 17 people) is built once per persona and every example of
that persona runs in it. The run is deterministic (`derandomize=True`); `FUZZ_EXAMPLES` sets the
number of examples per persona (default 8; `FUZZ_EXAMPLES=200` for a long run), `FUZZ_ACTIONS`
the attacks per example (default 2), `FUZZ_SHRINK=1` turns shrinking on, `FUZZ_REPORT=path` writes
the draft steps each persona reached.
"""

from __future__ import annotations

import logging
import os
import string
from collections.abc import AsyncIterator
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import handlers.app  # noqa: F401  (registers every feature's callback kinds)
import models
from core.clock import FakeClock
from models import PollStatus
from services.policy import Permission as P
from tests.permissions import probes_fees, probes_notices, probes_tickets, probes_votes
from tests.permissions.cast import HERE, PARTS, THERE, Cast, Part, assemble, expected
from tests.utils.world import DOUBLE_ESCAPED, Person, World
from views.callbacks import callback_kinds

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
ACTIONS = int(os.environ.get("FUZZ_ACTIONS", "2"))  # hostile inputs per example, at most
DEPTH = 8  # valid answers (at most) that take the flow to the step attacked
# Shrinking re-runs the bot many times; on by FUZZ_SHRINK=1 to minimise a failure found.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("FUZZ_SHRINK") else []
)

# --- what each persona may change ------------------------------------------------------------
# Anyone: their own conversation state, drafts, audit trail (events and the people a read was
# about), update bookkeeping and uploads.
BOOKKEEPING = {
    "conversation_state",
    "processed_update",
    "audit_event",
    "audit_subject",
    "draft",
    "media",
}
# Anyone: their own resident row (language, phone; one who never joined gets one by choosing a
# language); registered people also their KPI subscriptions.
OWN_ROWS = {"resident", "start_attempt", "kpi_subscription", "kpi_delivery"}
# Tables a persona may change when the policy gives them one of these permissions.
WRITERS: dict[str, set[P]] = {
    "ticket": {P.TICKET_REPORT, P.TICKET_FILE_FOR, P.TICKET_WORK, P.TICKET_CONFIRM},
    "ticket_event": {P.TICKET_REPORT, P.TICKET_FILE_FOR, P.TICKET_WORK, P.TICKET_CONFIRM},
    "ticket_follower": {P.TICKET_REPORT, P.TICKET_FILE_FOR, P.TICKET_WORK},
    "ticket_photo": {P.TICKET_REPORT, P.TICKET_FILE_FOR, P.TICKET_WORK},
    "notice": {P.NOTICE_SEND, P.NOTICE_EDIT_OWN},
    "notice_ack": {P.NOTICE_ACKNOWLEDGE},
    "poll": {P.VOTE_DRAFT, P.VOTE_CONFIGURE, P.VOTE_WITHDRAW, P.VOTE_PRINT_BALLOTS},
    "eligible_voter": {P.VOTE_DRAFT, P.VOTE_CONFIGURE},
    "eligible_home": {P.VOTE_DRAFT, P.VOTE_CONFIGURE},
    "ballot": {P.VOTE_CAST, P.VOTE_PAPER_BALLOT},
    "ballot_flag": {P.VOTE_CAST, P.VOTE_PAPER_BALLOT},
    "vote_objection": {P.VOTE_OBJECT},
    "payment": {P.FEES_RECORD_PAYMENT, P.FEES_CONFIRM_CLAIM, P.FEES_REVERSE_PAYMENT},
    "payment_allocation": {P.FEES_RECORD_PAYMENT, P.FEES_CONFIRM_CLAIM, P.FEES_REVERSE_PAYMENT},
    "receipt_counter": {P.FEES_RECORD_PAYMENT, P.FEES_CONFIRM_CLAIM},
    "fee_credit": {P.FEES_RECORD_PAYMENT, P.FEES_CONFIRM_CLAIM, P.FEES_REVERSE_PAYMENT},
    "fee_credit_allocation": {P.FEES_RECORD_PAYMENT, P.FEES_CONFIRM_CLAIM},
    "bill": {P.FEES_CONFIGURE, P.FEES_RECORD_PAYMENT, P.FEES_CONFIRM_CLAIM},
    "payment_claim": {P.FEES_VIEW_BILLS, P.FEES_CONFIRM_CLAIM, P.FEES_WITHDRAW_CLAIM},
    "fee_schedule": {P.FEES_CONFIGURE},
    "payment_account": {P.FEES_PAYMENT_CODE},
    "statement_row": {P.FEES_RECORD_PAYMENT},
    "household": {P.FEES_SHARE_WITH_TENANTS},
    "survey_answer": {P.SURVEY_ANSWER},
    "membership": {P.MEMBERSHIP_END, P.MEMBERSHIP_REMOVE},
    "membership_history": {P.MEMBERSHIP_END, P.MEMBERSHIP_REMOVE},
}
# Messages queued for other people: whoever may change anything beyond their own rows.
QUEUED = {"outbox_message"}


def _at_home(part: Part) -> Part:
    """The same persona as if it were of 幸福家园 (the policy's expected() speaks of HERE)."""
    if part.compound != THERE:
        return part
    return Part(part.name, HERE, part.role, part.membership)


def may_change(part: Part) -> set[str]:
    if part.compound is None:
        return BOOKKEEPING | {"start_attempt", "resident"}  # only their own row (see below)
    home = _at_home(part)
    tables = {t for t, ps in WRITERS.items() if any(expected(p, home) for p in ps)}
    if tables:
        tables |= QUEUED
    return BOOKKEEPING | OWN_ROWS | tables


# --- the database, as rows --------------------------------------------------------------------
Snapshot = dict[str, dict[tuple, dict[str, Any]]]


async def snapshot(world: World) -> Snapshot:
    found: Snapshot = {}
    async with world.session() as session:
        for table in models.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key]
            rows = (await session.exec(text(f'SELECT * FROM "{table.name}"'))).mappings()
            found[table.name] = {tuple(row[k] for k in keys): dict(row) for row in rows}
    return found


def changes(before: Snapshot, after: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """Per table, the rows added, removed or changed (their new version, or the old one)."""
    changed: dict[str, list[dict[str, Any]]] = {}
    for table, rows in after.items():
        old = before.get(table, {})
        moved = [row for key, row in rows.items() if old.get(key) != row]
        moved += [row for key, row in old.items() if key not in rows]
        if moved:
            changed[table] = moved
    return changed


class Scene:
    """The world, its cast, the two compounds' ids and each persona's resident id."""

    def __init__(
        self,
        world: World,
        cast: Cast,
        compounds: dict[str, int],
        residents: dict[str, int | None],
    ) -> None:
        self.world, self.cast, self.compounds, self.residents = world, cast, compounds, residents

    def __repr__(self) -> str:
        return f"Scene(compounds={self.compounds})"

    def covered(self, part: Part) -> set[int]:
        if part.compound is None:
            return set()
        if (part.scope or "").startswith("district:"):
            return set(self.compounds.values())
        return {self.compounds[part.compound]}


def _compound_of(table: str, row: dict[str, Any], now: Snapshot) -> int | None:
    """The compound a row belongs to, through its household, poll, ticket or notice."""
    if row.get("compound_id") is not None:
        return int(row["compound_id"])
    for column, parent in (
        ("household_id", "household"),
        ("poll_id", "poll"),
        ("ticket_id", "ticket"),
        ("notice_id", "notice"),
    ):
        if row.get(column) is not None:
            found = now.get(parent, {}).get((row[column],))
            if found is not None and found.get("compound_id") is not None:
                return int(found["compound_id"])
    return None


def trespasses(scene: Scene, name: str, before: Snapshot, after: Snapshot) -> list[str]:
    """What this persona changed that it may not."""
    part = scene.cast.parts[name]
    me = scene.residents[name]
    person = scene.cast[name]
    allowed = may_change(part)
    covered = scene.covered(part)
    wrong: list[str] = []
    for table, rows in changes(before, after).items():
        if table not in allowed:
            wrong.append(f"{table}: {rows[:2]}")
            continue
        for row in rows:
            if table in ("draft", "kpi_subscription", "kpi_delivery") and row["resident_id"] != me:
                wrong.append(f"someone else's {table}: {row}")
            elif table == "resident" and row["id"] != me and row.get("telegram_id") != person.id:
                # (one who never joined may still get a row of their own: /language keeps a choice)
                wrong.append(f"someone else's resident row: {row}")
            elif table == "start_attempt" and row["telegram_id"] != person.id:
                wrong.append(f"someone else's start attempt: {row}")
            elif table in WRITERS:
                compound = _compound_of(table, row, {**before, **after})
                if compound is not None and compound not in covered:
                    wrong.append(f"{table} of compound {compound}: {row}")
    return wrong


# --- inputs -----------------------------------------------------------------------------------
KINDS = callback_kinds()
# Buttons that would take the persona out of the cast (tested in their own tests): forgetting
# oneself, leaving one's home, removing a member.
DESTRUCTIVE = ("v1:forget:1", "v1:hlv:", "v1:hrm:")

INTS = st.one_of(
    st.integers(0, 12),
    st.sampled_from([-1, 10**18 - 1, -(10**18 - 1), 2**31, 2**63 - 1, 999_999]),
    st.integers(),
)
WORDS = st.one_of(
    st.sampled_from(
        ["", "x", "self", "other", "0", "1", "yes", "no", "send", "done", "cancel", "agree"]
    ),
    st.text(string.ascii_letters + string.digits + "_-", max_size=48),
    st.text(max_size=20),  # refused by the codec: must be answered as a stale button
)


@st.composite
def forged_callback(draw: st.DrawFn) -> str:
    """Callback data of a registered kind with made-up fields, or malformed data."""
    kind = draw(st.sampled_from(sorted(KINDS)))
    parts = ["v1", kind]
    for field in fields(KINDS[kind]):  # type: ignore[arg-type]
        annotation = field.type if isinstance(field.type, str) else field.type.__name__
        if annotation == "int":
            parts.append(str(draw(INTS)))
        elif annotation == "bool":
            parts.append(draw(st.sampled_from(["0", "1", "2", ""])))
        else:
            parts.append(draw(WORDS))
    data = ":".join(parts)
    shape = draw(st.sampled_from(["as is", "as is", "as is", "short", "long", "pad64", "v2"]))
    if shape == "short":
        data = data.rsplit(":", 1)[0]
    elif shape == "long":
        data += ":1"
    elif shape == "pad64":
        data = (data + ":" + "9" * 64)[:64]
    elif shape == "v2":
        data = "v2" + data[2:]
    encoded = data.encode()[:64]
    return encoded.decode(errors="ignore")


HOSTILE = [
    "<3 & <b>x</b> <i",  # (no entity typed: the world's check reads "&amp;" as escaped twice)
    "1e400",
    "-0",
    "NaN",
    "inf",
    "①",
    "--3",
    "１２３",  # full-width digits
    "٣",  # Arabic-Indic three
    "0x10",
    "99999999999999999999999",
    "3.",
    ".5",
    "12,5",
    "¥100",
    "/start",
    "/cancel@RedPropertyBot",
    "/report",
    "/notice extra words",
    "{0} {name} %s %(x)s {",
    "\u200b",
    "\n\n",
    " ",
    "测" * 4096,
    "a" * 5000,
    "🏠" * 300,
    "1栋 1单元 101",
    "和平里 1栋 1单元 101",
    "2026-13-45",
    "2026-11",
    "24:61",
    "\x00",
]
TEXTS = st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=200))
# Answers that move a flow on: a description, an amount, a date, a room, a title...
VALID = [
    "楼道灯坏了，请尽快修理",
    "100",
    "2",
    "1.20",
    "3",
    "1栋 1单元 101",
    "1栋 1单元 102",
    "2026-12-01",
    "2026-11",
    "2026-11-20 09:00",
    "12月1日",
    "电梯维修的通知",
    "13800138000",
    "外墙维修表决",
    "同意",
]

# Where the flows start: commands (the conversations and the screens with buttons into the
# button-started ones: ticket notes, paper ballots, survey comments, reversals, notice edits).
CONVERSATIONS = [
    "/report",
    "/notice",
    "/newvote",
    "/payment",
    "/fees",
    "/paycode",
    "/setphone",
]
SCREENS = [
    "/tickets",
    "/mytickets",
    "/vote",
    "/receipts",
    "/notices",
    "/statement",
    "/bills",
    "/homes",
    "/claims",
    "/arrears",
    "/rate",
    "/kpi",
    "/language",
    "/mydata",
    "/whoami",
    "/help",
    "/start",
]
ENTRY = st.one_of(st.sampled_from(CONVERSATIONS), st.sampled_from(SCREENS))
# Valid answers first (the buttons offered, or the text the step asks for), then the attack.
VALID_ACTION = st.one_of(
    st.tuples(st.just("offered"), st.integers(0, 40)),
    st.tuples(st.just("offered"), st.integers(0, 40)),
    st.tuples(st.just("offered"), st.integers(0, 40)),
    st.tuples(st.just("valid"), st.sampled_from(VALID)),
)
HOSTILE_ACTION = st.one_of(
    st.tuples(st.just("text"), TEXTS),
    st.tuples(st.just("text"), TEXTS),
    st.tuples(st.just("forged"), forged_callback()),
    st.tuples(st.just("forged"), forged_callback()),
    st.tuples(st.just("mutated"), st.tuples(st.integers(0, 10**6), INTS)),
    st.tuples(st.just("photo"), st.just("")),
)
# What a step that waits for text is given as a valid answer (by the draft's step name).
STEP_TEXT = {
    "household": "1栋 1单元 102",
    "home": "1栋 1单元 102",
    "describe": "楼道灯坏了，请尽快修理",
    "floor": "3",
    "area": "大门口",
    "title": "外墙维修表决",
    "body": "请各位业主参与表决",
    "candidates": "张三\n李四",
    "seats": "1",
    "times_text": "2026-12-01 09:00 至 2026-12-08 18:00",
    "content": "明天上午停水，请提前储水",
    "time": "2026-11-20 09:00",
    "number": "13800138000",
    "amount": "100",
    "price": "1.20",
    "due": "1",
    "subsidy": "0",
    "late": "0",
    "start": "2026-12-01",
    "end": "2027-11-30",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --- the world ---------------------------------------------------------------------------------
class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _records(world: World, cast: Cast) -> None:
    """What the buttons point at: tickets, a notice, an open vote, bills, a claim, a payment, in
    幸福家园 — and a ticket in 和平里."""
    await probes_tickets._report(cast["owner"], "楼道垃圾 fuzz")
    await probes_tickets._report(cast["owner elsewhere"], "和平里 楼道垃圾 fuzz")
    await probes_notices._compose(world, cast["liaison"], "请确认已阅")
    await world.deliver()
    await probes_votes._poll(world, PollStatus.OPEN)
    await probes_fees._bills(world)
    async with world.session() as session:
        from services import fee_claims

        await fee_claims.set_account(
            session,
            None,
            compound_id=await probes_fees.compound_id(world),
            payee="物业",
            image=probes_fees.PNG,
            now=world.clock.now(),
        )
    await probes_fees._pending_claim(world, cast)
    world.clock.advance(timedelta(minutes=5))
    await world.deliver()


@pytest.fixture
async def scene(database_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Scene]:
    async with World(database_url, clock) as world:
        cast = await assemble(world, tmp_path)
        await _records(world, cast)
        from services.places import resolve_scope
        from tests.permissions.probe import resident_id

        async with world.session() as session:
            compounds = {
                name: (await resolve_scope(session, f"compound:{name}")).id
                for name in (HERE, THERE)
            }
        residents = {name: await resident_id(world, person) for name, person in cast.items()}
        scene = Scene(world, cast, compounds, residents)
        yield scene


def _offered(person: Person) -> list[str]:
    """The callback data of the buttons on the person's newest message that has any."""
    for message in reversed(person.bot_messages):
        keyboard = message.inline_keyboard
        if keyboard:
            return [
                str(b["callback_data"]) for row in keyboard for b in row if b.get("callback_data")
            ]
    return []


def _seen(world: World) -> list[str]:
    """Every callback data the bot has ever offered anyone (to forge from real ones)."""
    found: list[str] = []
    for chat in world.emulator.chats.values():
        for message in chat.bot_messages:
            for row in message.inline_keyboard or []:
                found.extend(str(b["callback_data"]) for b in row if b.get("callback_data"))
    return sorted(set(found))


async def _act(scene: Scene, person: Person, action: tuple[str, Any]) -> str:
    """Perform one input; returns what was sent (for the report)."""
    kind, value = action
    world = scene.world
    if kind == "offered":
        offered = [d for d in _offered(person) if not d.startswith(DESTRUCTIVE)]
        if not offered:
            kind, value = "valid", VALID[value % len(VALID)]
        else:
            data = offered[value % len(offered)]
            await person.press_data(data, _button_message(person))
            return data
    if kind == "mutated":
        index, number = value
        seen = [d for d in _seen(world) if not d.startswith(DESTRUCTIVE)]
        if not seen:
            return ""
        parts = seen[index % len(seen)].split(":")
        parts[2 + index % max(1, len(parts) - 2) if len(parts) > 2 else -1] = str(number)
        data = ":".join(parts).encode()[:64].decode(errors="ignore")
        if data.startswith(DESTRUCTIVE):
            return ""
        await person.press_data(data, _button_message(person))
        return data
    if kind == "forged":
        if value.startswith(DESTRUCTIVE):
            return ""
        await person.press_data(value, _button_message(person))
        return str(value)
    if kind == "valid":
        value = STEP_TEXT.get(await _step(scene, person), value)
    if kind == "photo":
        await person.send_photo(PNG)
        return "<photo>"
    typed = str(value)[:4096]  # a client sends a longer text in pieces
    if not typed.strip():
        return ""  # a client sends no empty message
    await person.send(typed)
    return typed


async def _step(scene: Scene, person: Person) -> str:
    """The step of the person's most recent draft ("" if none)."""
    me = next((r for n, r in scene.residents.items() if scene.cast[n] is person), None)
    if me is None:
        return ""
    async with scene.world.session() as session:
        row = (
            await session.exec(
                text("SELECT step FROM draft WHERE resident_id = :me ORDER BY updated_at DESC"),
                params={"me": me},
            )
        ).first()
    return str(row[0]) if row else ""


def _button_message(person: Person) -> int | None:
    for message in reversed(person.bot_messages):
        if message.inline_keyboard:
            return message.message_id
    return person.bot_messages[-1].message_id if person.bot_messages else None


def _unanswered(world: World, since: int) -> list[str]:
    queries = list(world.emulator.callback_queries.values())[since:]
    return [q["data"] for q in queries if not q["answered"]]


def _shown_twice(person: Person, since: int) -> list[str]:
    return [m.content[:80] for m in person.bot_messages[since:] if DOUBLE_ESCAPED.search(m.content)]


NAMES = [p.name for p in PARTS]
# The draft steps reached (flow, step) per persona: FUZZ_REPORT=path writes them out.
REACHED: dict[str, set[tuple[str, str]]] = {}


def _reached(name: str, me: int | None, now: Snapshot) -> None:
    steps = REACHED.setdefault(name, set())
    steps.update(
        (row["flow"], row["step"]) for row in now["draft"].values() if row["resident_id"] == me
    )
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w", encoding="utf-8") as out:
            for persona, reached in sorted(REACHED.items()):
                out.write(f"{persona}: {sorted(reached)}\n")


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    phases=PHASES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_input_breaks_the_bot_or_the_rules(
    name: str, scene: Scene, data: st.DataObject
) -> None:
    world, person = scene.world, scene.cast[name]
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    try:
        entry = data.draw(ENTRY, label="entry")
        if entry == "/start":
            entry = "/start " + data.draw(st.sampled_from(["", "Xa3kYYYY", "<b>", "①"]))
        await person.send("/cancel")
        await person.send(entry)
        problems: list[str] = []
        depth = data.draw(st.integers(0, DEPTH), label="valid answers first")
        attacks = data.draw(st.integers(1, ACTIONS), label="then attacks")
        for number in range(depth + attacks):
            action = data.draw(
                VALID_ACTION if number < depth else HOSTILE_ACTION, label=f"input {number}"
            )
            before = await snapshot(world)
            refused = len(world.emulator.refused)
            queries = len(world.emulator.callback_queries)
            messages = len(person.bot_messages)
            errors.records.clear()
            sent = await _act(scene, person, action)
            after = await snapshot(world)
            _reached(name, scene.residents[name], after)
            found = [
                f"logged: {r.getMessage()} {r.exc_info[1] if r.exc_info else ''}"
                for r in errors.records
            ]
            found += [f"unanswered button: {d}" for d in _unanswered(world, queries)]
            found += [f"escaped twice: {t}" for t in _shown_twice(person, messages)]
            found += [
                f"refused by Telegram: {r}"
                for r in world.emulator.refused[refused:]
                if "not modified" not in r[1]  # show() keeps the message as it is: harmless
            ]
            found += trespasses(scene, name, before, after)
            problems += [f"{entry} → {sent[:80]!r}: {f}" for f in found]
        assert not problems, "\n".join(problems)
    finally:
        logging.getLogger().removeHandler(errors)


def test_the_judge_sees_a_trespass() -> None:
    """The check itself: a resident's own draft is fine; a notice written by a resident, a staff
    member's change to the other compound's ticket or someone else's draft are not."""

    class Nobody(Person):
        def __init__(self, id: int) -> None:
            self._id = id

        @property
        def id(self) -> int:
            return self._id

    cast = Cast({name: Nobody(number) for number, name in enumerate(NAMES)})
    cast.parts = {p.name: p for p in PARTS}
    scene = Scene(None, cast, {HERE: 1, THERE: 2}, {n: i + 1 for i, n in enumerate(NAMES)})  # type: ignore[arg-type]
    empty: Snapshot = {t.name: {} for t in models.metadata.sorted_tables}
    ticket = {"id": 5, "compound_id": 2, "household_id": None, "status": "new"}
    before = {**empty, "ticket": {(5,): ticket}}

    def after(**tables: dict[tuple, dict[str, Any]]) -> Snapshot:
        return {**before, **tables}

    own_draft = {(1, "report"): {"resident_id": 1, "flow": "report", "step": "x"}}
    assert trespasses(scene, "owner", before, after(draft=own_draft)) == []
    assert trespasses(scene, "tenant", before, after(draft=own_draft))
    assert trespasses(scene, "owner", before, after(notice={(1,): {"id": 1, "compound_id": 1}}))
    closed = {(5,): {**ticket, "status": "closed"}}
    assert trespasses(scene, "staff", before, after(ticket=closed))
    assert trespasses(scene, "staff elsewhere", before, after(ticket=closed)) == []
    assert trespasses(scene, "officer", before, after(ticket=closed))  # sees, does not work
    someone = {(99,): {"id": 99, "telegram_id": 99}}
    assert trespasses(scene, "unregistered", before, after(resident=someone))


async def test_forged_numbers_beyond_the_database_integer_are_stale_buttons(world: World) -> None:
    """Regression (found by the fuzz test on PostgreSQL, where a query argument beyond INTEGER is
    an error, not "nothing found"): every kind with a huge number in each field is answered as a
    stale button, and nothing is logged as an error."""
    admin = world.user("管理员")
    await world.seed_roster()
    await world.join_as(admin, models.Role.ADMIN)
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    try:
        for kind, cls in sorted(KINDS.items()):
            for huge in ("2147483648", "-68867322764", "999999999999999999"):
                values = [
                    huge if f.type in ("int", "str", int, str) else "1"
                    for f in fields(cls)  # type: ignore[arg-type]
                ]
                if not values or kind in ("forget",):
                    continue
                await admin.send("/fees" if cls.__name__ == "FeeAnswer" else "/help")
                await admin.press_data(":".join(["v1", kind, *values]))
        for flow, data in (("/fees", "v1:fs:compound:"), ("/paycode", "v1:fs:compound:")):
            await admin.send(flow)
            await admin.press_data(data + "99999999999")
    finally:
        logging.getLogger().removeHandler(errors)
    assert not [r.getMessage() for r in errors.records]
    assert not _unanswered(world, 0)
