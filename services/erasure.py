"""Masking a forgotten person's name and phone in the free text the bot stores (PIPL Art. 47):
their own reports and comments, staff notes and notices naming them, messages still waiting in
the outbox, other people's unfinished inputs. Records the law keeps stay, without the name."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, or_, update
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    ConversationState,
    Draft,
    Notice,
    OutboxMessage,
    OutboxStatus,
    Payment,
    Poll,
    SurveyAnswer,
    Ticket,
    TicketEvent,
    TicketTemplate,
    VoteObjection,
)

MASK = "***"
# Columns where people type what they like (a report, a note, a comment, a reason, a notice).
FREE_TEXT: tuple[tuple[type[SQLModel], str], ...] = (
    (Ticket, "description"),
    (Ticket, "area"),
    (Ticket, "rating_comment"),
    (Ticket, "reject_reason"),
    (TicketEvent, "note"),
    (SurveyAnswer, "comment"),
    (VoteObjection, "text"),
    (Notice, "text"),
    (Poll, "title"),
    (Poll, "body"),
    (Poll, "withdrawal_reason"),
    (TicketTemplate, "text"),
    (Payment, "reversal_reason"),
    (OutboxMessage, "last_error"),
)
# JSON documents holding typed or rendered text: read and rewritten in Python (their stored
# form escapes Chinese, so SQL cannot search them). Delivered messages are already blank.
FREE_JSON: tuple[tuple[type[SQLModel], str], ...] = (
    (OutboxMessage, "payload"),
    (Draft, "data"),
    (ConversationState, "state"),
)
_SEPARATOR = r"[\s\-.()（）]*"


def phone_pattern(phone: str) -> re.Pattern[str] | None:
    """The number however it is written: with spaces, dashes or dots between the digits, with or
    without +86; not inside a longer number."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 6:
        return None
    body = _SEPARATOR.join(digits)
    return re.compile(rf"(?<!\d)(?:\+?86{_SEPARATOR})?{body}(?!\d)")


class Masker:
    """Replaces a person's name and phone numbers in a text."""

    def __init__(self, names: Iterable[str], phones: Iterable[str]) -> None:
        # A one-character "name" would mask every word it occurs in.
        self.names = sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len)[::-1]
        self.phones = [p for p in (phone_pattern(x) for x in phones if x) if p is not None]
        self.digits = [re.sub(r"\D", "", x)[-11:] for x in phones if x]

    def __bool__(self) -> bool:
        return bool(self.names or self.phones)

    def text(self, value: str) -> str:
        for pattern in self.phones:
            value = pattern.sub(MASK, value)
        for name in self.names:
            # A Latin name as a word ("Li" is not masked in "Lift"); Chinese has no spaces.
            word = rf"(?<!\w){re.escape(name)}(?!\w)" if name.isascii() else re.escape(name)
            value = re.sub(word, MASK, value)
        return value

    def document(self, value: Any) -> Any:
        """Every string in a JSON document, masked (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.document(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.document(v) for k, v in value.items()}
        return value

    def sql_filter(self, column: InstrumentedAttribute[Any]) -> Any:
        """A superset of the rows to rewrite (LIKE with '%' between a phone's digits matches any
        separators); the regular expressions then decide."""
        likes = [f"%{n}%" for n in self.names] + [
            "%" + "%".join(d) + "%" for d in self.digits if len(d) >= 6
        ]
        return or_(*(cast(column, String).like(like) for like in likes))


async def mask_everywhere(session: AsyncSession, masker: Masker) -> int:
    """Mask the person in every free-text column and JSON document; how many rows changed."""
    if not masker:
        return 0
    changed = 0
    for model, name in FREE_TEXT:
        changed += await _mask_column(session, masker, model, name)
    for model, name in FREE_JSON:
        changed += await _mask_documents(session, masker, model, name)
    return changed


def _key(model: type[SQLModel]) -> list[InstrumentedAttribute[Any]]:
    table = model.__table__  # type: ignore[attr-defined]
    return [getattr(model, c.name) for c in table.primary_key.columns]


async def _mask_column(
    session: AsyncSession, masker: Masker, model: type[SQLModel], name: str
) -> int:
    column = getattr(model, name)
    keys = _key(model)
    rows = (
        await session.exec(select(*keys, column).where(masker.sql_filter(column)))  # type: ignore[call-overload]
    ).all()
    changed = 0
    for *ids, value in rows:
        masked = masker.text(value)
        if masked == value:
            continue
        await _write_back(session, model, keys, ids, name, masked)
        changed += 1
    return changed


async def _write_back(
    session: AsyncSession, model: type[SQLModel], keys: Any, ids: list[Any], name: str, value: Any
) -> None:
    """Store the masked value of one row, found by its primary key."""
    where = [k == i for k, i in zip(keys, ids, strict=True)]
    await session.exec(
        update(model)
        .where(*where)
        .values({name: value})
        .execution_options(synchronize_session=False)
    )


async def _mask_documents(
    session: AsyncSession, masker: Masker, model: type[SQLModel], name: str
) -> int:
    column = getattr(model, name)
    keys = _key(model)
    statement = select(*keys, column)  # type: ignore[call-overload]
    if model is OutboxMessage:
        statement = statement.where(col(OutboxMessage.status) != OutboxStatus.SENT)
    changed = 0
    for *ids, value in (await session.exec(statement)).all():
        masked = masker.document(value)
        if json.dumps(masked, sort_keys=True) == json.dumps(value, sort_keys=True):
            continue
        await _write_back(session, model, keys, ids, name, masked)
        changed += 1
    return changed
