"""The staff queue (/tickets): the open tickets of the compounds one works in, filtered by the
words staff type (mine, unassigned, overdue, urgent, a building, a category, combined), with a
true count and pages. A filter travels in a button as a short key and is checked again."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from core.i18n import LANGUAGES, N_, Msg, translator
from models import OPEN_STATUSES, Building, Compound, Resident, Role, Ticket, TicketCategory
from services.actors import Actor
from services.drafts import STALE
from services.errors import DomainError, NotAllowed
from services.policy import Permission, compounds, holders, rule
from services.ticket_reading import deadline

PAGE = 10  # tickets per page
MAX_KEY = 40  # characters of a filter key in a button (callback data holds 64 bytes)


class Flag(StrEnum):
    MINE = "mine"  # assigned to me
    UNASSIGNED = "unassigned"
    OVERDUE = "overdue"  # past the compound's response or handling target
    URGENT = "urgent"


# NOTE: a filter of the staff queue, as a button label and as a word typed after /tickets.
FLAG_NAME: dict[Flag, Msg] = {
    Flag.MINE: N_("Mine"),
    Flag.UNASSIGNED: N_("Unassigned"),
    Flag.OVERDUE: N_("Overdue"),
    Flag.URGENT: N_("Urgent"),
}
# Other words staff use for a filter (any language works for everyone).
FLAG_ALIASES = {"逾期": Flag.OVERDUE, "超期": Flag.OVERDUE, "未分配": Flag.UNASSIGNED}
# The names of the categories, the same msgids as the views' labels (any language matches).
CATEGORY_NAMES: dict[TicketCategory, tuple[Msg, ...]] = {
    TicketCategory.CLEANING: (N_("cleaning"), N_("Cleaning (清扫保洁)")),
    TicketCategory.GREENING: (N_("greening"), N_("Greening (绿化养护)")),
    TicketCategory.ORDER: (N_("order and security"), N_("Order and security (秩序维护)")),
    TicketCategory.REPAIR: (N_("common-area repair"), N_("Common-area repair (公共部位日常维修)")),
    TicketCategory.FACILITY: (
        N_("facilities"),
        N_("Facilities: lifts, pumps, lights, fire equipment (设施设备运行)"),
    ),
    TicketCategory.OTHER: (N_("other"), N_("Other or complaint")),
}
UNKNOWN = N_(
    "There is no filter “{word}”. Filters: mine, unassigned, overdue, urgent, a building "
    "(2栋, 2号楼) or a service ({greening}, {cleaning}, {repair} …); they combine, for example "
    "/tickets mine overdue."
)
_BUILDING = re.compile(r"^([0-9a-z]+)\s*(栋|號樓|号楼|棟|幢|座|号|號|楼|樓)?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_KEY = re.compile(r"^b\d{1,12}$")
_COMPOUND_KEY = re.compile(r"^c\d{1,12}$")
_ASSIGNEE_KEY = re.compile(r"^a\d{1,12}$")
_FLAGS = {f.value for f in Flag}
_CATEGORIES = {c.value for c in TicketCategory}


@dataclass(frozen=True)
class QueueFilter:
    """Which open tickets to list; an empty filter lists them all."""

    flags: frozenset[Flag] = frozenset()
    buildings: frozenset[int] = frozenset()  # building ids
    categories: frozenset[TicketCategory] = frozenset()
    names: tuple[str, ...] = field(default=(), compare=False)  # the buildings as typed/known
    compounds: frozenset[int] = frozenset()  # compound ids (the console's filter)
    assignees: frozenset[int] = frozenset()  # assigned to one of these colleagues (the console)

    @property
    def empty(self) -> bool:
        return not (
            self.flags or self.buildings or self.categories or self.compounds or self.assignees
        )

    def key(self) -> str:
        """The filter as a short text for a button: `mine_overdue_b12_greening`."""
        parts = [f.value for f in Flag if f in self.flags]
        parts += [f"c{c}" for c in sorted(self.compounds)]
        parts += [f"b{b}" for b in sorted(self.buildings)]
        parts += [c.value for c in TicketCategory if c in self.categories]
        parts += [f"a{a}" for a in sorted(self.assignees)]
        return "_".join(parts)

    def toggled(self, flag: Flag) -> QueueFilter:
        """With the flag switched on or off (mine and unassigned exclude each other)."""
        if flag in self.flags:
            return replace(self, flags=self.flags - {flag})
        other = {Flag.MINE: Flag.UNASSIGNED, Flag.UNASSIGNED: Flag.MINE}.get(flag)
        return replace(self, flags=(self.flags - {other}) | {flag})


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: its tickets, the true total and where the page is."""

    tickets: list[Ticket]
    total: int
    page: int  # from 0
    pages: int
    filter: QueueFilter
    overdue: frozenset[int] = frozenset()  # ids of the listed tickets that are overdue


def _normal(word: str) -> str:
    """Full-width letters and digits as ASCII, lower case, no spaces at the ends."""
    return unicodedata.normalize("NFKC", word).strip().casefold()


def building_key(name: str) -> str | None:
    """`2栋`, `2号楼`, `２栋`, `2` are all building "2"; None if it does not look like one."""
    found = _BUILDING.match(_normal(name))
    return found.group(1) if found else None


def _looks_like_building(word: str) -> bool:
    found = _BUILDING.match(_normal(word))
    return bool(found and (found.group(2) or not found.group(1).isalpha()))


@cache
def _flag_words() -> dict[str, Flag]:
    words: dict[str, Flag] = {_normal(k): v for k, v in FLAG_ALIASES.items()}
    for flag, msgid in FLAG_NAME.items():
        words[flag.value] = flag
        for language in LANGUAGES:
            words[_normal(translator(language).plain(msgid))] = flag
    return words


@cache
def _category_tokens() -> dict[TicketCategory, frozenset[str]]:
    """Every name of each category in every language, whole and in parts."""
    found: dict[TicketCategory, frozenset[str]] = {}
    for category, msgids in CATEGORY_NAMES.items():
        tokens = {category.value}
        for msgid in msgids:
            for language in LANGUAGES:
                text = _normal(translator(language).plain(msgid))
                tokens.add(text)
                tokens.update(t for t in re.split(r"[\s,:;()（）/、，：；]+", text) if t)
        found[category] = frozenset(tokens)
    return found


def category_of(word: str) -> TicketCategory | None:
    """The one category a word names: its code, its name in any language, or a part of one
    (`绿化`, `保洁`, `repair`, `facil…`); None if it names none or several."""
    word = _normal(word)
    if len(word) < 2:
        return None
    matches = set()
    for category, tokens in _category_tokens().items():
        for token in tokens:
            if word == token and (len(token) >= 4 or _CJK.search(token) or token in _CATEGORIES):
                matches.add(category)
            elif _CJK.search(word) and word in token:
                matches.add(category)
            elif not _CJK.search(word) and len(word) >= 4 and token.startswith(word):
                matches.add(category)
    return matches.pop() if len(matches) == 1 else None


async def _compounds(session: AsyncSession, actor: Actor) -> list[Compound]:
    found = await compounds(session, actor, Permission.TICKET_WORK)
    if not found:
        raise NotAllowed(rule(Permission.TICKET_WORK).refusal)
    return found


async def _buildings(session: AsyncSession, compound_ids: set[int]) -> list[Building]:
    return list(
        (
            await session.exec(
                select(Building)
                .where(col(Building.compound_id).in_(compound_ids))
                .order_by(col(Building.id))
            )
        ).all()
    )


async def parse_filter(session: AsyncSession, actor: Actor, words: list[str]) -> QueueFilter:
    """The filter typed after /tickets; a word that is no filter is answered, never ignored."""
    ids = {c.id for c in await _compounds(session, actor) if c.id is not None}
    buildings: list[Building] | None = None
    flags: set[Flag] = set()
    chosen: dict[int, str] = {}
    categories: set[TicketCategory] = set()
    for word in (w for w in words if w.strip()):
        normal = _normal(word)
        if normal in _flag_words():
            flags.add(_flag_words()[normal])
            continue
        if buildings is None:
            buildings = await _buildings(session, ids)
        key = building_key(word)
        named = [
            b
            for b in buildings
            if _normal(b.name) == normal or (key is not None and building_key(b.name) == key)
        ]
        if named:
            chosen.update((b.id, b.name) for b in named if b.id is not None)
            continue
        category = category_of(word)
        if category is not None:
            categories.add(category)
            continue
        if _looks_like_building(word):
            raise DomainError(N_("There is no building “{name}” in your compounds."), name=word)
        raise DomainError(
            UNKNOWN,
            word=word,
            greening=CATEGORY_NAMES[TicketCategory.GREENING][0],
            cleaning=CATEGORY_NAMES[TicketCategory.CLEANING][0],
            repair=CATEGORY_NAMES[TicketCategory.REPAIR][0],
        )
    if {Flag.MINE, Flag.UNASSIGNED} <= flags:
        raise DomainError(N_("A ticket cannot be both mine and unassigned; choose one."))
    found = QueueFilter(
        frozenset(flags),
        frozenset(chosen),
        frozenset(categories),
        tuple(dict.fromkeys(chosen[b] for b in sorted(chosen))),
    )
    if len(found.key()) > MAX_KEY:
        raise DomainError(N_("That is too many filters at once; please choose fewer."))
    return found


async def filter_from_key(session: AsyncSession, actor: Actor, key: str) -> QueueFilter:
    """A filter back from a button: every part checked again (a forged one is stale)."""
    ids = {c.id for c in await _compounds(session, actor) if c.id is not None}
    flags, chosen, categories = set(), set(), set()
    places, assignees = set(), set()
    for part in key.split("_") if key else []:
        if part in _FLAGS:
            flags.add(Flag(part))
        elif part in _CATEGORIES:
            categories.add(TicketCategory(part))
        elif _KEY.match(part):
            chosen.add(int(part[1:]))
        elif _COMPOUND_KEY.match(part):
            places.add(int(part[1:]))
        elif _ASSIGNEE_KEY.match(part):
            assignees.add(int(part[1:]))
        else:
            raise DomainError(STALE)
    if not places <= ids:
        raise DomainError(STALE)
    names: tuple[str, ...] = ()
    if chosen:
        known = {b.id: b.name for b in await _buildings(session, ids)}
        if not chosen <= set(known):
            raise DomainError(STALE)
        names = tuple(dict.fromkeys(known[b] for b in sorted(chosen)))
    if assignees and not assignees <= {p.id for p in await colleagues(session, ids)}:
        raise DomainError(STALE)
    return QueueFilter(
        frozenset(flags),
        frozenset(chosen),
        frozenset(categories),
        names,
        frozenset(places),
        frozenset(assignees),
    )


async def colleagues(session: AsyncSession, compound_ids: set[int]) -> list[Resident]:
    """The staff of these compounds (whom a ticket can be assigned to), by name."""
    found: dict[int, Resident] = {}
    for compound_id in sorted(compound_ids):
        for person in await holders(session, Permission.TICKET_WORK, compound_id, {Role.STAFF}):
            if person.id is not None:
                found.setdefault(person.id, person)
    return sorted(found.values(), key=lambda p: (p.display_name, p.id or 0))


@dataclass(frozen=True)
class FilterChoices:
    """What the console's filter form offers: the viewer's compounds, their buildings and the
    staff a ticket can be assigned to."""

    compounds: list[Compound]
    buildings: list[Building]
    staff: list[Resident]


async def filter_choices(session: AsyncSession, actor: Actor) -> FilterChoices:
    places = await _compounds(session, actor)
    ids = {c.id for c in places if c.id is not None}
    return FilterChoices(places, await _buildings(session, ids), await colleagues(session, ids))


def _overdue(compound: Compound, now: datetime) -> ColumnElement[bool]:
    """Open tickets of this compound past their deadline (see ticket_reading.deadline)."""
    handling = now - timedelta(hours=compound.sla_handling_hours)
    response = now - timedelta(minutes=compound.sla_response_minutes)
    return and_(
        col(Ticket.compound_id) == compound.id,
        or_(
            col(Ticket.created_at) <= handling,
            and_(col(Ticket.acknowledged_at).is_(None), col(Ticket.created_at) <= response),
        ),
    )


def _where(
    statement: SelectOfScalar,
    actor: Actor,
    found: QueueFilter,
    places: list[Compound],
    now: datetime,
    statuses: tuple[str, ...] = OPEN_STATUSES,
) -> SelectOfScalar:
    statement = statement.where(col(Ticket.compound_id).in_([c.id for c in places])).where(
        col(Ticket.status).in_(statuses)
    )
    if found.compounds:
        statement = statement.where(col(Ticket.compound_id).in_(found.compounds))
    if found.assignees:
        statement = statement.where(col(Ticket.assignee_id).in_(found.assignees))
    if Flag.MINE in found.flags:
        statement = statement.where(col(Ticket.assignee_id) == actor.resident_id)
    if Flag.UNASSIGNED in found.flags:
        statement = statement.where(col(Ticket.assignee_id).is_(None))
    if Flag.URGENT in found.flags:
        statement = statement.where(col(Ticket.urgent))
    if Flag.OVERDUE in found.flags:
        statement = statement.where(or_(false(), *[_overdue(c, now) for c in places]))
    if found.buildings:
        statement = statement.where(col(Ticket.building_id).in_(found.buildings))
    if found.categories:
        statement = statement.where(col(Ticket.category).in_([c.value for c in found.categories]))
    return statement


async def status_counts(
    session: AsyncSession,
    actor: Actor,
    found: QueueFilter,
    *,
    now: datetime,
    statuses: tuple[str, ...] = OPEN_STATUSES,
) -> dict[str, int]:
    """How many tickets the filter selects in each status (the console board's columns)."""
    places = await _compounds(session, actor)
    counted: Any = select(col(Ticket.status), func.count()).select_from(Ticket)
    statement: Any = _where(
        counted,
        actor,
        found,
        places,
        now,
        statuses,
    ).group_by(col(Ticket.status))
    return {status: int(count) for status, count in (await session.exec(statement)).all()}


async def queue(
    session: AsyncSession,
    actor: Actor,
    found: QueueFilter,
    *,
    now: datetime,
    page: int = 0,
    size: int = PAGE,
    statuses: tuple[str, ...] = OPEN_STATUSES,
    newest_first: bool = False,
) -> QueuePage:
    """One page of the open tickets the filter selects (or of those in `statuses`), urgent
    first, then oldest (`newest_first`: the latest first, for closed ones); the total is the
    true count. A page that no longer exists (or never did) is stale."""
    places = await _compounds(session, actor)
    total = (
        await session.exec(
            _where(select(func.count()).select_from(Ticket), actor, found, places, now, statuses)
        )
    ).one()
    pages = max(1, -(-total // size))
    if page < 0 or page >= pages:
        raise DomainError(STALE)
    order = (
        (col(Ticket.id).desc(),)
        if newest_first
        else (col(Ticket.urgent).desc(), col(Ticket.created_at), col(Ticket.id))
    )
    statement = (
        _where(select(Ticket), actor, found, places, now, statuses)
        .order_by(*order)
        .offset(page * size)
        .limit(size)
    )
    tickets = list((await session.exec(statement)).all())
    by_id = {c.id: c for c in places}
    late = frozenset(
        t.id
        for t in tickets
        if t.id is not None
        and (due := deadline(t, by_id[t.compound_id])) is not None
        and now >= due
    )
    return QueuePage(tickets, total, page, pages, found, late)
