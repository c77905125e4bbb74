"""Signing in to the office console through the bot: /console issues a single-use link valid
for a few minutes; opening it (and pressing "continue", so a link preview never uses it) starts
a browser session for that person, who then acts with exactly their own roles, read again on
every page. Only SHA-256 hashes of the secrets are stored. Every step is audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import ConsoleLink, ConsoleSession, Resident, pk
from services import audit
from services.actors import Actor, load_actor
from services.errors import DomainError
from services.policy import Permission, anywhere
from services.policy import rule as policy_rule

LINK_USED = N_("This sign-in link has been used already. Send /console in the bot for a new one.")
LINK_EXPIRED = N_("This sign-in link has expired. Send /console in the bot for a new one.")
LINK_UNKNOWN = N_("This sign-in link is not valid. Send /console in the bot for a new one.")
SIGNED_OUT = N_("You are signed out. Send /console in the bot to sign in again.")


class SignInRefused(DomainError):
    """A link or a session that opens nothing (used, expired, unknown, ended)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedLink:
    secret: str
    expires_at: datetime


@dataclass(frozen=True)
class Signed:
    """A browser session: its cookie secret (only shown once) and the row."""

    secret: str
    session: ConsoleSession


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a console page: their roles as the bot sees them, and the session."""

    actor: Actor
    session: ConsoleSession

    @property
    def resident(self) -> Resident:
        assert self.actor.resident is not None
        return self.actor.resident


def may_sign_in(actor: Actor) -> None:
    if not anywhere(actor, Permission.CONSOLE_SIGN_IN):
        raise DomainError(policy_rule(Permission.CONSOLE_SIGN_IN).refusal)


async def issue_link(
    session: AsyncSession, actor: Actor, *, now: datetime, ttl: timedelta
) -> IssuedLink:
    """A new single-use link for the person (only office roles: a resident gets none)."""
    may_sign_in(actor)
    secret = secrets.token_urlsafe(32)
    link = ConsoleLink(
        secret_hash=_hash(secret),
        resident_id=pk(actor.resident),
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(link)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="console.link",
        subject_type="console_link",
        subject_id=link.id,
    )
    return IssuedLink(secret, link.expires_at)


async def check_link(session: AsyncSession, secret: str, *, now: datetime) -> ConsoleLink:
    """The link behind a secret, if it can still be used (else SignInRefused)."""
    link = (
        await session.exec(select(ConsoleLink).where(col(ConsoleLink.secret_hash) == _hash(secret)))
    ).first()
    if link is None:
        raise SignInRefused(LINK_UNKNOWN)
    if link.used_at is not None:
        raise SignInRefused(LINK_USED)
    if link.expires_at <= now:
        raise SignInRefused(LINK_EXPIRED)
    return link


async def sign_in(session: AsyncSession, secret: str, *, now: datetime, lasts: timedelta) -> Signed:
    """Use the link (once: the update only succeeds for the first browser) and start a session."""
    link = await check_link(session, secret, now=now)
    used = await session.exec(
        update(ConsoleLink)
        .where(col(ConsoleLink.id) == link.id)
        .where(col(ConsoleLink.used_at).is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:
        raise SignInRefused(LINK_USED)
    resident = await session.get(Resident, link.resident_id)
    if resident is None or resident.telegram_id is None:
        raise SignInRefused(LINK_UNKNOWN)
    may_sign_in(await load_actor(session, resident.telegram_id))  # roles may have ended since
    secret_of_session = secrets.token_urlsafe(32)
    row = ConsoleSession(
        secret_hash=_hash(secret_of_session),
        resident_id=link.resident_id,
        form_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lasts,
        last_seen_at=now,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=link.resident_id,
        action="console.sign_in",
        subject_type="console_session",
        subject_id=row.id,
    )
    return Signed(secret_of_session, row)


async def viewer(session: AsyncSession, secret: str | None, *, now: datetime) -> Viewer:
    """The person behind a session cookie, with their current roles (else SignInRefused)."""
    if not secret:
        raise SignInRefused(SIGNED_OUT)
    row = (
        await session.exec(
            select(ConsoleSession).where(col(ConsoleSession.secret_hash) == _hash(secret))
        )
    ).first()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        raise SignInRefused(SIGNED_OUT)
    resident = await session.get(Resident, row.resident_id)
    if resident is None or resident.telegram_id is None:
        raise SignInRefused(SIGNED_OUT)
    actor = await load_actor(session, resident.telegram_id)
    if not anywhere(actor, Permission.CONSOLE_SIGN_IN):  # the last role ended: out at once
        raise SignInRefused(SIGNED_OUT)
    row.last_seen_at = now
    return Viewer(actor, row)


async def sign_out(session: AsyncSession, row: ConsoleSession, *, now: datetime) -> None:
    row.ended_at = now
    audit.record(
        session,
        at=now,
        actor_id=row.resident_id,
        action="console.sign_out",
        subject_type="console_session",
        subject_id=row.id,
    )


async def sign_out_everywhere(session: AsyncSession, actor: Actor, *, now: datetime) -> int:
    """End every open session and unused link of the person (the bot's "sign out everywhere");
    returns the number of sessions ended."""
    me = pk(actor.resident)
    ended = await session.exec(
        update(ConsoleSession)
        .where(col(ConsoleSession.resident_id) == me)
        .where(col(ConsoleSession.ended_at).is_(None))
        .where(col(ConsoleSession.expires_at) > now)
        .values(ended_at=now)
    )
    await session.exec(
        update(ConsoleLink)
        .where(col(ConsoleLink.resident_id) == me)
        .where(col(ConsoleLink.used_at).is_(None))
        .values(used_at=now)
    )
    audit.record(
        session,
        at=now,
        actor_id=me,
        action="console.sign_out_everywhere",
        subject_type="resident",
        subject_id=me,
        sessions=ended.rowcount,
    )
    return int(ended.rowcount)


async def open_sessions(session: AsyncSession, actor: Actor, *, now: datetime) -> int:
    rows = await session.exec(
        select(ConsoleSession.id)
        .where(col(ConsoleSession.resident_id) == pk(actor.resident))
        .where(col(ConsoleSession.ended_at).is_(None))
        .where(col(ConsoleSession.expires_at) > now)
    )
    return len(rows.all())
