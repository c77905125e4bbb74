"""The console's fee form (物业费定价): a compound's new price from a date, or the end of its fee,
answered through the very steps of the bot's /fees (services.fee_setting), previewed with what
saving does, then saved once. A refusal names the field it is about."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Compound
from services import drafts, fee_setting
from services.actors import Actor
from services.drafts import Draft
from services.errors import BadInput, DomainError, NotFound
from services.fee_schedules import Change
from services.fee_setting import FeeDraft, FeeQuestion, FeeStep
from services.policy import Permission, authorize

NOT_OFFERED = N_("Choose one of the values offered.")
NO_COMPOUND = N_("That compound does not exist.")
FEE_GONE = N_(
    "This form was saved already, or a newer preview replaced it, so nothing more was changed. "
    "Open the fee schedules again to see what is in force."
)
FEE_CHANGED = N_("The form was changed after its preview, so nothing was saved. Preview it again.")
FIELDS = {
    FeeStep.PRICE: "price",
    FeeStep.PERIOD: "period",
    FeeStep.DUE_DAY: "due_day",
    FeeStep.SUBSIDY: "subsidy",
    FeeStep.LATE_CHARGE: "late_charge",
    FeeStep.START: "starts_on",
    FeeStep.END: "ends_on",
}


@dataclass(frozen=True)
class FeeForm:
    """What the office typed and picked, as sent (the steps read it). `ending`: the form that
    ends the fee after `ends_on` instead of setting a new price."""

    compound_id: int
    price: str = ""
    period: str = ""
    due_day: str = ""
    subsidy: str = ""
    late_charge: str = ""
    starts_on: str = ""
    ends_on: str = ""
    ending: bool = False

    def answers(self) -> list[tuple[FeeStep, str]]:
        """The answers to /fees's questions, in the order the bot asks them."""
        if self.ending:
            return [(FeeStep.PRICE, fee_setting.END), (FeeStep.END, self.ends_on)]
        return [
            (FeeStep.PRICE, self.price),
            (FeeStep.PERIOD, self.period),
            (FeeStep.DUE_DAY, self.due_day),
            (FeeStep.SUBSIDY, self.subsidy),
            (FeeStep.LATE_CHARGE, self.late_charge),
            (FeeStep.START, self.starts_on),
        ]

    def digest(self) -> str:
        return hashlib.sha256(repr(sorted(asdict(self).items())).encode()).hexdigest()


class FeeFormDraft(Draft, flow="console_fees"):
    """A fee form as previewed: saving takes it, once. The bot's /fees draft is another flow."""

    token: str
    digest: str


@dataclass(frozen=True)
class FeePreview:
    """The checked form, what saving it does (as the bot's last question shows it) and the
    token the save button carries."""

    question: FeeQuestion
    token: str


async def check_form(
    session: AsyncSession, actor: Actor, form: FeeForm, *, today: date
) -> FeeQuestion:
    """The form answered step by step with the checks of /fees, up to its last question; a
    refusal is a BadInput of its field. Nothing is written."""
    if await session.get(Compound, form.compound_id) is None:
        raise NotFound(NO_COMPOUND)
    await authorize(session, actor, Permission.FEES_CONFIGURE, form.compound_id)
    draft = await fee_setting.chosen(
        session, FeeDraft(step=FeeStep.COMPOUND), form.compound_id, today
    )
    for step, value in form.answers():
        field = FIELDS[FeeStep.END if form.ending else step]
        try:
            draft = fee_setting.answered(draft, step, value, today)
        except ValueError:  # a value no button of /fees offers (a forged or empty choice)
            raise BadInput(field, NOT_OFFERED) from None
        except DomainError as error:  # the bot calls a forged number a stale button
            if error.msgid == drafts.STALE:
                raise BadInput(field, NOT_OFFERED) from None
            raise BadInput(field, error.msgid, **error.params) from None
    try:
        change = await fee_setting.effect_of(session, draft)
    except DomainError as error:  # ending a fee not charged after that day
        raise BadInput(FIELDS[FeeStep.END], error.msgid, **error.params) from None
    return FeeQuestion(draft, change)


async def preview(
    session: AsyncSession, actor: Actor, form: FeeForm, *, today: date, now: datetime
) -> FeePreview:
    """The form checked, and kept (its digest) for the one save that may follow."""
    question = await check_form(session, actor, form, today=today)
    token = secrets.token_urlsafe(12)
    kept = FeeFormDraft(step="preview", token=token, digest=form.digest())
    await drafts.begin(session, actor, kept, now=now)
    return FeePreview(question, token)


async def save(
    session: AsyncSession,
    actor: Actor,
    form: FeeForm,
    token: str,
    *,
    today: date,
    now: datetime,
) -> tuple[FeeDraft, Change]:
    """The previewed form saved, once, through the bot's own save (permission, terms, settling
    of days already billed, audit): checked again, since time has passed since the preview."""
    taken = await drafts.take(session, actor, FeeFormDraft, token, FEE_GONE)
    if not secrets.compare_digest(taken.digest, form.digest()):
        raise DomainError(FEE_CHANGED)
    question = await check_form(session, actor, form, today=today)
    saved = await fee_setting.save_draft(session, actor, question.draft, today=today, now=now)
    return question.draft, saved
