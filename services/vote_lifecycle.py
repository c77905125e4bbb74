"""The life of an owners'-assembly vote: drafting rules (times, form, scope), the compound's rules
of procedure, and each scheduled step — the notice, the opening with its snapshot, reminders
with the follow-up list, the close with its tally — each marked done in the same transaction
that records whom to tell, so nothing is told twice. What is published to owners at the opening
and after the close is in services/vote_publication.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from core.i18n import N_, Translator
from core.quiet import QuietHours
from models import Building, Compound, Poll, PollKind, PollStatus, Role
from services import audit, notify
from services.actors import Actor
from services.errors import DomainError, NotFound
from services.notify import Recipient
from services.policy import Permission, authorize, holders
from services.tally import MatterType
from services.vote_eligibility import (
    building_names,
    owner_recipients,
    take_snapshot,
)
from services.vote_records import (
    audit_people_read,
    not_voted_homes,
    not_voted_household_ids,
    tally,
)
from services.vote_rules import (
    MAX_SETTING_DAYS,
    MIN_NOTICE_DAYS,
    MIN_VOTING_DAYS,
    VotingRules,
    VotingTooShort,
)

SPECIAL_ITEMS = (6, 7, 8)  # Art. 278: maintenance fund raising, rebuilding, common parts' use
MAX_TITLE = 200
MAX_CANDIDATES = 20
NOTICE = "votes.notice"
REMINDER = "votes.reminder"
FOLLOW_UP = "votes.follow_up"


class NoticeTooShort(DomainError):
    """The compound's notice period is a floor (DOMAIN §9)."""

    def __init__(self, days: int) -> None:
        super().__init__("Owners must have notice at least {days} days before voting opens.")
        self.days = days

    def render(self, _: Translator) -> Markup:
        return _.ngettext(
            "Owners must have notice at least {days} day before voting opens.",
            "Owners must have notice at least {days} days before voting opens.",
            self.days,
        ).format(days=self.days)


# --- drafting -------------------------------------------------------------------------------
def check_times(
    notice_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    *,
    now: datetime,
    rules: VotingRules,
) -> None:
    """Nothing in the past, the notice period respected, the close after the opening and the
    voting window at least the compound's minimum."""
    if notice_at < now - timedelta(minutes=1) or opens_at < now or closes_at < now:
        raise DomainError(N_("The notice, opening and closing times must not be in the past."))
    notice_days = max(rules.notice_days, MIN_NOTICE_DAYS)
    if opens_at - notice_at < timedelta(days=notice_days):
        raise NoticeTooShort(notice_days)
    if closes_at <= opens_at:
        raise DomainError(N_("Voting must close after it opens."))
    min_days = max(rules.min_days, MIN_VOTING_DAYS)
    if closes_at - opens_at < timedelta(days=min_days):
        raise VotingTooShort(min_days)


def default_times(
    now: datetime, tz: ZoneInfo, rules: VotingRules
) -> tuple[datetime, datetime, datetime]:
    """Notice now; voting opens at 09:00 on the first day the notice period allows and closes
    a week later (or the compound's longer minimum) at 18:00 (local time)."""
    earliest = (now + timedelta(days=rules.notice_days)).astimezone(tz)
    opens = earliest.replace(hour=9, minute=0, second=0, microsecond=0)
    if opens < earliest:
        opens += timedelta(days=1)
    closes = (opens + timedelta(days=max(rules.min_days, 7))).replace(hour=18)
    return now, opens, closes


def check_title(title: str) -> str:
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise DomainError(N_("A vote needs a title of at most 200 characters."))
    return title


async def draft(
    session: AsyncSession,
    actor: Actor | None,
    *,
    compound_id: int,
    title: str,
    body: str,
    notice_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    matter: str = MatterType.ORDINARY,
    special_item: int | None = None,
    candidates: list[str] | None = None,
    seats: int = 1,
    building_ids: list[int] | None = None,
    count_unreturned_with_majority: bool | None = None,
) -> Poll:
    """A vote published for notice; every rule of timing and form is checked here. The notice
    period, the voting window and the unreturned-ballot rule are the compound's settings."""
    await authorize(session, actor, Permission.VOTE_DRAFT, compound_id)
    compound = await session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(N_("That compound does not exist."))
    if count_unreturned_with_majority is None:
        count_unreturned_with_majority = compound.count_unreturned_with_majority
    check_times(notice_at, opens_at, closes_at, now=now, rules=VotingRules.of(compound))
    matter = MatterType(matter)
    names = [c.strip() for c in candidates or [] if c.strip()]
    title = check_title(title)
    if len(names) != len(set(names)) or len(names) > MAX_CANDIDATES:
        raise DomainError(N_("Candidates must be different, and at most 20."))
    if matter == MatterType.SPECIAL and special_item not in SPECIAL_ITEMS:
        raise DomainError(N_("A special matter must name Art. 278 item 6, 7 or 8."))
    kind = PollKind.ELECTION if names else PollKind.RESOLUTION
    if kind == PollKind.ELECTION and not 1 <= seats <= len(names):
        raise DomainError(N_("An election needs at least as many candidates as seats."))
    buildings = set(building_ids or [])
    if buildings:
        found = set(
            (
                await session.exec(
                    select(col(Building.id)).where(col(Building.compound_id) == compound_id)
                )
            ).all()
        )
        if not buildings <= found:
            raise DomainError(N_("Choose buildings of this compound."))
    poll = Poll(
        compound_id=compound_id,
        title=title,
        body=body,
        kind=kind,
        matter=matter,
        special_item=special_item if matter == MatterType.SPECIAL else None,
        seats=seats,
        candidates=names,
        building_ids=sorted(buildings),
        count_unreturned_with_majority=count_unreturned_with_majority,
        notice_at=notice_at,
        opens_at=opens_at,
        closes_at=closes_at,
        status=PollStatus.PUBLISHED,
        created_by=actor.resident_id if actor else None,
        created_at=now,
    )
    session.add(poll)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=poll.created_by,
        action="poll.draft",
        subject_type="poll",
        subject_id=poll.id,
    )
    return poll


async def configure(
    session: AsyncSession,
    actor: Actor | None,
    compound_id: int,
    *,
    notice_days: int | None,
    unreturned: bool | None,
    min_days: int | None = None,
) -> Compound:
    """Per-compound rules of procedure: notice days (the legal 15 is a floor a compound may only
    raise), the shortest voting window and the opt-in unreturned-ballot rule."""
    await authorize(session, actor, Permission.VOTE_CONFIGURE, compound_id)
    compound = await session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(N_("That compound does not exist."))
    if notice_days is not None:
        if not MIN_NOTICE_DAYS <= notice_days <= MAX_SETTING_DAYS:
            raise DomainError(
                N_(
                    "Notice must be between {low} and {high} days: {low} days is the legal "
                    "minimum, which a compound may raise but never lower."
                ),
                low=MIN_NOTICE_DAYS,
                high=MAX_SETTING_DAYS,
            )
        compound.vote_notice_days = notice_days
    if min_days is not None:
        if not MIN_VOTING_DAYS <= min_days <= MAX_SETTING_DAYS:
            raise DomainError(
                N_("The shortest voting period must be between {low} and {high} days."),
                low=MIN_VOTING_DAYS,
                high=MAX_SETTING_DAYS,
            )
        compound.vote_min_days = min_days
    if unreturned is not None:
        compound.count_unreturned_with_majority = unreturned
    return compound


# --- the scheduled steps --------------------------------------------------------------------
def _locked(session: AsyncSession, statement: SelectOfScalar[Poll]) -> SelectOfScalar[Poll]:
    """Rows another process is working on are skipped (PostgreSQL), so two ticks share the work."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


async def give_notices(session: AsyncSession, *, now: datetime) -> int:
    """The owners in scope of each vote whose notice time has come are told, once."""
    statement = (
        select(Poll)
        .where(col(Poll.status).in_([PollStatus.PUBLISHED, PollStatus.OPEN]))
        .where(col(Poll.notice_sent_at).is_(None))
        .where(col(Poll.notice_at) <= now)
    )
    polls = list((await session.exec(_locked(session, statement))).all())
    for poll in polls:
        poll.notice_sent_at = now
        notify.tell(
            session,
            f"poll:{poll.id}:notice",
            NOTICE,
            await owner_recipients(session, poll),
            now=now,
            poll=poll,
            buildings=await building_names(session, poll.building_ids),
        )
    return len(polls)


async def open_due(session: AsyncSession, *, now: datetime) -> list[Poll]:
    """Open every published vote whose time has come: snapshot first, exactly once."""
    statement = (
        select(Poll)
        .where(col(Poll.status) == PollStatus.PUBLISHED)
        .where(col(Poll.opens_at) <= now)
    )
    polls = list((await session.exec(_locked(session, statement))).all())
    for poll in polls:
        await take_snapshot(session, poll)
        poll.status, poll.opened_at = PollStatus.OPEN, now
        audit.record(
            session,
            at=now,
            actor_id=None,
            action="poll.open",
            subject_type="poll",
            subject_id=poll.id,
        )
    return polls


async def reminders_due(
    session: AsyncSession, *, now: datetime, hours: list[int]
) -> list[tuple[Poll, int]]:
    """(vote, hours before close) pairs due now, each returned once: the hour is marked done in
    the same transaction. A reminder time before the opening, or already past, is skipped."""
    statement = (
        select(Poll).where(col(Poll.status) == PollStatus.OPEN).where(col(Poll.closes_at) > now)
    )
    due: list[tuple[Poll, int]] = []
    for poll in (await session.exec(_locked(session, statement))).all():
        done = set(poll.reminders_sent)
        fresh = [h for h in hours if h not in done and poll.closes_at - timedelta(hours=h) <= now]
        if not fresh:
            continue
        poll.reminders_sent = sorted(done | set(fresh), reverse=True)
        latest = min(fresh)  # several due at once (a late start): send only the latest one
        if poll.closes_at - timedelta(hours=latest) >= (poll.opened_at or poll.opens_at):
            due.append((poll, latest))
    return due


async def remind(session: AsyncSession, *, now: datetime, hours: list[int]) -> int:
    """Before the close: owners of homes that have not voted, then the count and the list of
    those homes (roster names and phones) to the compound's liaisons, who may see it. A reminder
    that quiet hours would hold until after the close is not sent at all."""
    quiet: QuietHours | None = session.info.get(notify.QUIET)
    due = await reminders_due(session, now=now, hours=hours)
    for poll, before in due:
        if quiet is not None and quiet.release_time(now) >= poll.closes_at:
            continue
        homes = await not_voted_household_ids(session, poll)
        notify.tell(
            session,
            f"poll:{poll.id}:remind:{before}",
            REMINDER,
            await owner_recipients(session, poll, household_ids=homes),
            now=now,
            poll=poll,
        )
        missing = await not_voted_homes(session, poll)
        liaisons = await holders(
            session, Permission.VOTE_NOT_VOTED_LIST, poll.compound_id, only=[Role.LIAISON]
        )
        if missing and liaisons:
            await audit_people_read(
                session, None, poll, missing, now=now, sent_to=[p.id for p in liaisons]
            )
            notify.tell(
                session,
                f"poll:{poll.id}:follow-up:{before}",
                FOLLOW_UP,
                [Recipient.of(person) for person in liaisons],
                now=now,
                poll=poll,
                homes=missing,
            )
    return len(due)


async def close_due(session: AsyncSession, *, now: datetime) -> list[Poll]:
    """Close and tally every open vote whose time has come, exactly once."""
    statement = (
        select(Poll).where(col(Poll.status) == PollStatus.OPEN).where(col(Poll.closes_at) <= now)
    )
    polls = list((await session.exec(_locked(session, statement))).all())
    for poll in polls:
        poll.result = await tally(session, poll)
        poll.status, poll.closed_at = PollStatus.CLOSED, now
        audit.record(
            session,
            at=now,
            actor_id=None,
            action="poll.close",
            subject_type="poll",
            subject_id=poll.id,
        )
    return polls
