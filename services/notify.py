"""What a use case has to tell whom, recorded with the change and queued at commit.

A service calls `tell(session, ...)` with a message kind, the recipients and the data the
message needs; it imports no view. The views register one renderer per kind (`@renders`). When
the unit of work commits, every recorded message is rendered once per language, files are
stored, and the rows go into the outbox in the same transaction, quiet hours applied here, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import before_commit
from core.i18n import Translator, translator
from core.quiet import QuietHours
from core.screen import File, Screen
from models import Resident
from services import media, outbox
from services.outbox import Outgoing

log = logging.getLogger(__name__)

Renderer = Callable[..., Screen]
_RENDERERS: dict[str, tuple[Renderer, bool]] = {}
_PENDING = "notifications"
QUIET = "quiet_hours"  # session.info: the QuietHours of the deployment (set by the runtime)
LANGUAGE = "default_language"  # session.info: for people who never chose a language
ZONE = "tz"  # session.info: the zone times are shown in
BATCH = 5000  # outbox rows per INSERT


def renders(kind: str, *, threaded: bool = False) -> Callable[[Renderer], Renderer]:
    """Register the view that renders messages of `kind`: `(translator, *, tz, **data) -> Screen`
    (`tz`: the zone times are shown in). `threaded` renderers (charts) run off the event loop."""

    def register(function: Renderer) -> Renderer:
        if kind in _RENDERERS and _RENDERERS[kind][0] is not function:
            raise ValueError(f"two renderers for {kind!r}")
        _RENDERERS[kind] = (function, threaded)
        return function

    return register


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: their chat, their language, and the home the message is about."""

    resident_id: int
    chat_id: int
    language: str | None = None
    household_id: int | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Recipient:
        """From a (resident id, chat id, language, household id) row of a query."""
        resident, chat, language, household = row
        return cls(int(resident), int(chat), language, household)

    @classmethod
    def of(cls, resident: Resident, household_id: int | None = None) -> Recipient:
        assert resident.id is not None and resident.telegram_id is not None
        return cls(resident.id, resident.telegram_id, resident.language, household_id)


@dataclass
class Notification:
    purpose: str  # the outbox's dedupe purpose: one message per purpose and recipient
    kind: str
    to: list[Recipient]
    data: dict[str, Any]
    now: datetime
    emergency: bool = False
    not_before: datetime | None = None
    quiet: bool = True
    paid: bool = False  # paid broadcast, where the recipient's bot allows it
    sent: list[int] = field(default_factory=list)


def tell(
    session: AsyncSession,
    purpose: str,
    kind: str,
    to: Iterable[Recipient],
    *,
    now: datetime,
    emergency: bool = False,
    not_before: datetime | None = None,
    paid: bool = False,
    **data: Any,
) -> Notification:
    """Record a message for these people; it is queued when the change is committed (and not
    at all if the unit of work rolls back). Emergencies ignore quiet hours."""
    if kind not in _RENDERERS:
        raise LookupError(f"no view renders {kind!r} messages (is views imported?)")
    notification = Notification(
        purpose, kind, list(to), data, now, emergency, not_before, paid=paid
    )
    session.info.setdefault(_PENDING, []).append(notification)
    before_commit(session, flush)
    return notification


async def flush(session: AsyncSession) -> int:
    """Render and queue everything recorded in this session (the unit of work calls this)."""
    quiet: QuietHours | None = session.info.get(QUIET)
    default = session.info.get(LANGUAGE, "zh_Hans")
    tz = session.info.get(ZONE) or ZoneInfo("Asia/Shanghai")
    queued = 0
    while session.info.get(_PENDING):
        batch: list[dict[str, Any]] = []
        while session.info.get(_PENDING) and len(batch) < BATCH:
            notification = session.info[_PENDING].pop(0)
            batch += await _rows(session, notification, quiet, default, tz)
        queued += await outbox.insert_rows(session, batch)  # one executemany for many messages
    return queued


async def _rows(
    session: AsyncSession,
    notification: Notification,
    quiet: QuietHours | None,
    default: str,
    tz: ZoneInfo,
) -> list[dict[str, Any]]:
    render, threaded = _RENDERERS[notification.kind]
    payloads: dict[str, dict[str, Any]] = {}
    messages = []
    for person in notification.to:
        language = person.language or default
        if language not in payloads:
            _ = translator(language)
            screen = await _render(render, threaded, _, {"tz": tz, **notification.data})
            payloads[language] = await _payload(session, screen, notification.now)
        messages.append(
            Outgoing(
                chat_id=person.chat_id,
                payload=payloads[language],
                resident_id=person.resident_id,
                household_id=person.household_id,
                recipient_key=str(person.resident_id),
            )
        )
    return outbox.rows(
        notification.purpose,
        messages,
        now=notification.now,
        quiet=quiet if notification.quiet else None,
        emergency=notification.emergency,
        not_before=notification.not_before,
        paid=notification.paid,
    )


async def _render(render: Renderer, threaded: bool, _: Translator, data: dict[str, Any]) -> Screen:
    if threaded:
        return await asyncio.to_thread(render, _, **data)
    return render(_, **data)


async def _payload(session: AsyncSession, screen: Screen, now: datetime) -> dict[str, Any]:
    payload = screen.payload()
    for key, attachment in (("photo_media", screen.photo), ("document_media", screen.document)):
        if isinstance(attachment, File):
            payload[key] = await media.store(
                session, attachment.content, attachment.filename, now=now
            )
    return payload
