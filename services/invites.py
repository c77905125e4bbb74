"""Invite codes: issued per household (owner, tenant) or per role, single-use, hashed at rest."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Building,
    Household,
    HouseholdTransfer,
    Invite,
    InviteKind,
    Membership,
    MembershipKind,
    Resident,
    Role,
    ScopeKind,
    StartAttempt,
    pk,
)
from services import audit, bots
from services.actors import Actor, load_actor
from services.errors import DomainError
from services.places import Scope, household_label, scope_name
from services.policy import NOT_REGISTERED
from services.roles import grant_role_to

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW = timedelta(minutes=15)
HOUSEHOLD_INVITE_KINDS = (MembershipKind.OWNER, MembershipKind.TENANT)
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the zone of dates when the deployment sets none


def new_code() -> str:
    """16 URL-safe characters (about 96 random bits): fits Telegram's 64-character start
    parameter. Never starting with "-": such a code would read as an option on the command line
    (`admin revoke-invite -x…`) and as a formula in a spreadsheet."""
    while (code := secrets.token_urlsafe(12)).startswith("-"):
        pass
    return code


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


class WrongCode(DomainError):
    """A code that matches no invite: a typo or a guess, counted toward the lockout."""


class WrongBot(DomainError):
    """A good code opened in another bot than the one serving its place (a city runs one bot per
    district): the person is sent to the right one, the code stays valid and nothing is counted."""


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    kind: str  # a MembershipKind for households, a Role for role invites
    label: str
    expires_at: datetime
    household_id: int | None = None


@dataclass(frozen=True)
class InvitePreview:
    """What the person is about to join, shown with the privacy notice before consent."""

    invite_id: int
    kind: str
    membership: str | None
    role: str | None
    place: str


async def issue_household_invites(
    session: AsyncSession,
    compound_id: int,
    *,
    now: datetime,
    ttl: timedelta,
    household_ids: list[int] | None = None,
    actor_id: int | None = None,
) -> list[IssuedInvite]:
    """One owner code and one tenant code per household (or only for `household_ids`: one
    home's lost card); the unused ones they replace are revoked, other homes' stay valid. A home
    sold ahead of its transfer date gets the buyer's codes, valid from that date. `actor_id`:
    who issued them in the console (None: the command line)."""
    statement = (
        select(Household, Building)
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Household.compound_id) == compound_id)
        .order_by(col(Building.name), col(Household.unit), col(Household.room))
    )
    if household_ids is not None:
        statement = statement.where(col(Household.id).in_(household_ids))
    rows = (await session.exec(statement)).all()
    if not rows:
        raise DomainError(N_("This compound has no households; import the roster first."))
    homes = [pk(h) for h, _ in rows]
    await session.exec(
        update(Invite)
        .where(col(Invite.household_id).in_(homes))
        .where(col(Invite.used_at).is_(None))
        .where(col(Invite.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    opens = await _transfer_dates(session, homes, now)
    issued: list[IssuedInvite] = []
    for household, building in rows:
        label = household_label(building.name, household.unit, household.room)
        valid_from = opens.get(pk(household))
        expires_at = max(now, valid_from or now) + ttl
        for membership in HOUSEHOLD_INVITE_KINDS:
            code = new_code()
            session.add(
                Invite(
                    code_hash=hash_code(code),
                    kind=InviteKind.HOUSEHOLD,
                    household_id=household.id,
                    membership=membership,
                    created_at=now,
                    expires_at=expires_at,
                    valid_from=valid_from,
                )
            )
            issued.append(IssuedInvite(code, membership, label, expires_at, household.id))
    audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action="invites.issue",
        subject_type="compound",
        subject_id=compound_id,
        count=len(issued),
        homes=None if household_ids is None else homes,
    )
    return issued


async def _transfer_dates(
    session: AsyncSession, household_ids: list[int], now: datetime
) -> dict[int, datetime]:
    """The homes among these sold with a transfer date still ahead, and that date."""
    rows = await session.exec(
        select(col(HouseholdTransfer.household_id), col(HouseholdTransfer.effective_at))
        .where(col(HouseholdTransfer.household_id).in_(household_ids))
        .where(col(HouseholdTransfer.applied_at).is_(None))
        .where(col(HouseholdTransfer.effective_at) > now)
    )
    return dict(rows.all())


async def issue_role_invite(
    session: AsyncSession, role: Role, scope: Scope, *, now: datetime, ttl: timedelta
) -> IssuedInvite:
    code = new_code()
    session.add(
        Invite(
            code_hash=hash_code(code),
            kind=InviteKind.ROLE,
            role=role,
            scope_kind=scope.kind,
            scope_id=scope.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    audit.record(
        session,
        at=now,
        actor_id=None,
        action="invites.issue_role",
        subject_type=scope.kind,
        subject_id=scope.id,
        role=role,
    )
    return IssuedInvite(code, role, scope.name, now + ttl)


async def revoke_invite(session: AsyncSession, code: str, *, now: datetime) -> None:
    invite = (
        await session.exec(select(Invite).where(col(Invite.code_hash) == hash_code(code)))
    ).first()
    if invite is None:
        raise DomainError(N_("No such invite code."))
    if invite.used_at is not None:
        raise DomainError(N_("This invite code has already been used."))
    invite.revoked_at = invite.revoked_at or now
    audit.record(
        session,
        at=now,
        actor_id=None,
        action="invites.revoke",
        subject_type="invite",
        subject_id=invite.id,
    )


async def _failed_attempts(session: AsyncSession, telegram_id: int, now: datetime) -> int:
    statement = (
        select(func.count())
        .select_from(StartAttempt)
        .where(col(StartAttempt.telegram_id) == telegram_id)
        .where(col(StartAttempt.at) > now - ATTEMPT_WINDOW)
    )
    return (await session.exec(statement)).one()


async def check_invite(
    session: AsyncSession,
    code: str,
    *,
    telegram_id: int,
    now: datetime,
    bot_username: str | None = None,
) -> InvitePreview | DomainError:
    """Validate a code before consent. A failure is returned, not raised, so that a wrong code
    (one that matches no invite) is counted toward the lockout; a used, withdrawn or expired
    code is a real card, answered as such, and not counted. `bot_username`: the bot the code was
    opened in; a code of a place another bot serves is answered with that bot's link."""
    if await _failed_attempts(session, telegram_id, now) >= MAX_FAILED_ATTEMPTS:
        return DomainError(
            N_("Too many wrong invite codes. Please wait {minutes} minutes and try again."),
            minutes=int(ATTEMPT_WINDOW.total_seconds() // 60),
        )
    problem = await _invite_problem(session, code, now)
    if isinstance(problem, WrongCode):
        session.add(StartAttempt(telegram_id=telegram_id, at=now))
    if isinstance(problem, DomainError):
        return problem
    invite = problem
    if invite.kind == InviteKind.HOUSEHOLD:
        household = await session.get(Household, invite.household_id)
        assert household is not None
        building = await session.get(Building, household.building_id)
        assert building is not None
        place = household_label(building.name, household.unit, household.room)
        serving = await bots.username_for_scope(session, ScopeKind.COMPOUND, household.compound_id)
    else:
        assert invite.scope_kind is not None and invite.scope_id is not None
        place = await scope_name(session, invite.scope_kind, invite.scope_id)
        serving = await bots.username_for_scope(session, invite.scope_kind, invite.scope_id)
    if serving and bot_username and serving.lower() != bot_username.lower():
        return WrongBot(
            N_("This invite is for the bot @{bot}. Please open it there: {link}"),
            bot=serving,
            link=deep_link(serving, code),
        )
    return InvitePreview(pk(invite), invite.kind, invite.membership, invite.role, place)


async def _invite_problem(session: AsyncSession, code: str, now: datetime) -> Invite | DomainError:
    if not CODE_PATTERN.match(code):
        return WrongCode(
            N_("That is not a valid invite code. Please check the link you were given.")
        )
    invite = (
        await session.exec(select(Invite).where(col(Invite.code_hash) == hash_code(code)))
    ).first()
    if invite is None:
        return WrongCode(N_("This invite code is not known. Please check the link you were given."))
    if invite.used_at is not None:
        return DomainError(
            N_("This invite code has already been used. Ask your property office for a new one.")
        )
    if invite.revoked_at is not None:
        return DomainError(
            N_("This invite code has been withdrawn. Ask your property office for a new one.")
        )
    if invite.expires_at <= now:
        return DomainError(
            N_("This invite code has expired. Ask your property office for a new one.")
        )
    if invite.valid_from is not None and invite.valid_from > now:
        return DomainError(
            N_("This invite code is for the new owner and can be used from {date}."),
            date=invite.valid_from.astimezone(session.info.get("tz") or SHANGHAI).date(),
        )
    return invite


@dataclass(frozen=True)
class Redeemed:
    resident_id: int
    preview: InvitePreview


@dataclass(frozen=True)
class Joined:
    """Consent given: what the person joined (None: the role they already held), and who they
    are now (for their menu and /help)."""

    preview: InvitePreview | None
    actor: Actor


async def accept(
    session: AsyncSession,
    actor: Actor,
    code: str,
    *,
    display_name: str,
    language: str | None,
    now: datetime,
    bot_username: str | None = None,
) -> Joined | DomainError:
    """The person agreed to the privacy notice: redeem the invite, or (no code) record the
    consent of someone who holds a role granted on the command line. A refused code is returned,
    not raised, as by check_invite: the consent button carries the code, so a forged press is
    one more guess and counts toward the same lockout as a wrong /start."""
    if code:
        checked = await check_invite(
            session, code, telegram_id=actor.telegram_id, now=now, bot_username=bot_username
        )
        if isinstance(checked, DomainError):
            return checked
        redeemed = await redeem_invite(
            session,
            code,
            telegram_id=actor.telegram_id,
            display_name=display_name,
            language=language,
            now=now,
        )
        preview: InvitePreview | None = redeemed.preview
    else:
        await record_consent(session, actor, display_name, now=now)
        preview = None
    return Joined(preview, await load_actor(session, actor.telegram_id))


async def record_consent(
    session: AsyncSession, actor: Actor, display_name: str, *, now: datetime
) -> None:
    """Consent given by a user who already holds a role (granted by CLI) but never consented."""
    resident = actor.resident
    if resident is None:
        raise DomainError(NOT_REGISTERED)
    resident.consent_at = resident.consent_at or now
    resident.display_name = display_name[:200]
    audit.record(
        session,
        at=now,
        actor_id=resident.id,
        action="resident.consent",
        subject_type="resident",
        subject_id=resident.id,
    )


async def redeem_invite(
    session: AsyncSession,
    code: str,
    *,
    telegram_id: int,
    display_name: str,
    language: str | None,
    now: datetime,
) -> Redeemed:
    """After consent: bind the Telegram user to the household or role. Single use, race-safe."""
    preview = await check_invite(session, code, telegram_id=telegram_id, now=now)
    if isinstance(preview, DomainError):
        raise preview
    claimed = await session.exec(
        update(Invite)
        .where(col(Invite.id) == preview.invite_id)
        .where(col(Invite.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise DomainError(
            N_("This invite code has already been used. Ask your property office for a new one.")
        )
    resident = (
        await session.exec(select(Resident).where(col(Resident.telegram_id) == telegram_id))
    ).first()
    if resident is None:
        resident = Resident(telegram_id=telegram_id, created_at=now)
        session.add(resident)
    resident.display_name = display_name[:200]
    resident.language = resident.language or language
    resident.consent_at = resident.consent_at or now
    resident.forgotten_at = None
    await session.flush()
    invite = await session.get(Invite, preview.invite_id)
    assert invite is not None
    me = pk(resident)
    invite.used_by = me
    if invite.kind == InviteKind.HOUSEHOLD:
        existing = (
            await session.exec(
                select(Membership)
                .where(col(Membership.resident_id) == resident.id)
                .where(col(Membership.household_id) == invite.household_id)
            )
        ).first()
        if existing is None:
            session.add(
                Membership(
                    resident_id=me,
                    household_id=invite.household_id or 0,
                    kind=invite.membership or MembershipKind.OWNER,
                    created_at=now,
                )
            )
        else:
            existing.kind = invite.membership or existing.kind
    else:
        assert invite.role and invite.scope_kind and invite.scope_id is not None
        await grant_role_to(
            session, resident, Role(invite.role), invite.scope_kind, invite.scope_id, now
        )
    audit.record(
        session,
        at=now,
        actor_id=resident.id,
        action="invites.redeem",
        subject_type="invite",
        subject_id=invite.id,
        kind=invite.kind,
    )
    return Redeemed(me, preview)
