"""Typed drafts: the answers of a multi-step input (a report, a notice, a fee, a paper ballot),
one row per person and flow, validated step by step by the flow's service.

Each flow declares a pydantic model (`class FeeDraft(Draft, flow="fees")`) with its answers as
typed fields and a `step` naming the question being asked. The conversation's state in the bot
is that same step, so the question on screen, the handler that takes the answer and the row that
keeps it agree; a draft that is gone or at another step makes a button or answer stale.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Msg
from models import Draft as DraftRow
from services.actors import Actor
from services.errors import DomainError
from services.inputs import id_number

D = TypeVar("D", bound="Draft")
STALE = N_("This button is no longer valid. Please start again from the menu.")


class Draft(BaseModel):
    """Base of every flow's draft: the step it is at, and the flow's typed answers."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    flow: ClassVar[str]
    steps: ClassVar[type[StrEnum] | None] = None  # the flow's named steps
    missing: ClassVar[Msg] = STALE  # what someone answering a draft that is gone is told

    step: str

    def __init_subclass__(
        cls, flow: str = "", steps: type[StrEnum] | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if flow:
            cls.flow = flow
        if steps is not None:
            cls.steps = steps


def _resident(actor: Actor) -> int:
    if actor.resident_id is None:
        raise DomainError(STALE)
    return actor.resident_id


async def begin(session: AsyncSession, actor: Actor, draft: Draft, *, now: datetime) -> Draft:
    """Start a flow afresh (an unfinished draft of the same flow is replaced)."""
    await save(session, actor, draft, now=now)
    return draft


async def save(session: AsyncSession, actor: Actor, draft: Draft, *, now: datetime) -> None:
    key = (_resident(actor), draft.flow)
    row = await session.get(DraftRow, key)
    data = draft.model_dump(mode="json", exclude={"step"})
    if row is None:
        session.add(
            DraftRow(resident_id=key[0], flow=key[1], step=draft.step, data=data, updated_at=now)
        )
    else:
        row.step, row.data, row.updated_at = draft.step, data, now
    await session.flush()


async def find(session: AsyncSession, actor: Actor, kind: type[D]) -> D | None:
    """The person's draft of this flow, or None (also when it no longer fits the model)."""
    if actor.resident_id is None:
        return None
    row = await session.get(DraftRow, (actor.resident_id, kind.flow))
    if row is None:
        return None
    try:
        return kind.model_validate({**row.data, "step": row.step})
    except ValidationError:
        return None  # written by an older version of the flow: start again


def number(value: str) -> int:
    """A button's number as the bot wrote it; anything else is forged and answered as stale."""
    found = id_number(value)
    if found is None:
        raise DomainError(STALE)
    return found


async def load(session: AsyncSession, actor: Actor, kind: type[D], step: str | None = None) -> D:
    """The draft, at `step` if given; otherwise the flow's `missing` message (stale)."""
    draft = await find(session, actor, kind)
    if draft is None or (step is not None and draft.step != step):
        raise DomainError(kind.missing)
    return draft


async def finish(session: AsyncSession, actor: Actor, kind: type[Draft]) -> None:
    """The flow is done or abandoned: its draft is deleted."""
    if actor.resident_id is None:
        return
    await session.exec(
        delete(DraftRow)
        .where(col(DraftRow.resident_id) == actor.resident_id)
        .where(col(DraftRow.flow) == kind.flow)
    )


async def take(session: AsyncSession, actor: Actor, kind: type[D], token: str, gone: str) -> D:
    """A form's draft kept at its preview (a `token` field), deleted as it is taken: a second
    post of the same form (or one racing it) finds none and is told `gone`."""
    found = await find(session, actor, kind)
    if found is None or not secrets.compare_digest(str(getattr(found, "token", "")), token):
        raise DomainError(gone)
    deleted = await session.exec(
        delete(DraftRow)
        .where(col(DraftRow.resident_id) == actor.resident_id)
        .where(col(DraftRow.flow) == kind.flow)
    )
    if deleted.rowcount != 1:  # another post of the same form took it a moment ago
        raise DomainError(gone)
    return found


async def forget(session: AsyncSession, resident_id: int) -> None:
    """Every draft of a person (PIPL: /forgetme)."""
    await session.exec(delete(DraftRow).where(col(DraftRow.resident_id) == resident_id))


def replace(draft: D, **changes: Any) -> D:
    """A copy with some answers changed, validated."""
    return type(draft).model_validate({**draft.model_dump(), **changes})
