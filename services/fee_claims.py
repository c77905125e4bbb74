"""Paying outside the bot, the way residents in China pay (DOMAIN §6).

An administrator uploads the compound's WeChat Pay / Alipay QR code and the payee's name; /bills
shows it with the reference to write on the payment (the home, as the roster spells it, which is
also what `admin import-payments` matches). The resident then says "I have paid" and how; the
property staff are told, check their account and confirm — the claim is then booked as a payment,
once — or say they cannot find the money yet. A home has at most one open claim, which /bills
shows; the resident may withdraw it (a claim made by mistake) until the office has answered.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    ClaimStatus,
    Household,
    Media,
    OutboxMessage,
    OutboxStatus,
    PaymentAccount,
    PaymentClaim,
    PaymentMethod,
    Resident,
    Role,
    pk,
)
from services import audit, billing, fee_reminders, media, notify, outbox, payments
from services.actors import Actor
from services.errors import DomainError, NotAllowed, NotFound
from services.notify import Recipient
from services.places import household_labels
from services.policy import Permission, authorize, compound_ids, holders, rule

CLAIM_METHODS = (PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.BANK)
FOR_STAFF = "fees.claim_for_staff"  # "1栋 1单元 101 says it has paid", with the two answers
NOT_FOUND = "fees.claim_not_found"  # to the household: the office has not found it yet
WITHDRAWN = "fees.claim_withdrawn"  # to the staff who had the claim: nothing to check now
MAX_QR_BYTES = 5 * 1024 * 1024
_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


@dataclass(frozen=True)
class Claimed:
    claim: PaymentClaim
    new: bool  # False: the home already had an open claim (a double tap, or a co-owner's)


@dataclass(frozen=True)
class Decided:
    claim: PaymentClaim
    already: bool  # someone had decided it before (a double tap, or a colleague)
    booking: payments.Booking | None = None
    label: str = ""


def image_kind(content: bytes) -> str:
    for magic, kind in _IMAGE_MAGIC.items():
        if content.startswith(magic):
            return kind
    raise DomainError(N_("The payment code must be a PNG or JPEG picture."))


async def set_account(
    session: AsyncSession,
    actor: Actor | None,
    *,
    compound_id: int,
    payee: str | None,
    image: bytes | None,
    now: datetime,
    bank_account: str | None = None,
) -> PaymentAccount:
    """Upload (or replace) the compound's payment code, and/or set the bank account number its
    statements carry (`admin import-payments` picks the compound by it). Administrators only."""
    await authorize(session, actor, Permission.FEES_PAYMENT_CODE, compound_id)
    account = await session.get(PaymentAccount, compound_id)
    payee = " ".join((payee or "").split()) or (account.payee if account else "")
    if not payee or len(payee) > 200:
        raise DomainError(
            N_("Name the payee in 1 to 200 characters, as residents see it when they scan.")
        )
    media_id = await _code_image(session, compound_id, image, now=now)
    number = await _bank_account(session, compound_id, bank_account)
    if account is None:
        account = PaymentAccount(compound_id=compound_id, payee=payee, updated_at=now)
        session.add(account)
    account.payee, account.updated_at = payee, now
    account.qr_media_id = media_id or account.qr_media_id
    account.bank_account = number or account.bank_account
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="payment_account.set",
        subject_type="compound",
        subject_id=compound_id,
        payee=payee,
        media_id=media_id,
        bank_account=number,
    )
    await session.flush()
    return account


async def _code_image(
    session: AsyncSession, compound_id: int, image: bytes | None, *, now: datetime
) -> int | None:
    if image is None:
        return None
    if not image or len(image) > MAX_QR_BYTES:
        raise DomainError(N_("The payment code must be a picture of at most 5 MB."))
    kind = image_kind(image)
    return await media.store(session, image, f"payment-code-{compound_id}.{kind}", now=now)


def account_number(text: str | None) -> str:
    """A bank account number as statements print it ("6222 0210 0123 4567", "6222-0210…",
    full-width digits): its digits."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch.isdigit())


async def _bank_account(session: AsyncSession, compound_id: int, text: str | None) -> str | None:
    if text is None:
        return None
    number = account_number(text)
    if not 6 <= len(number) <= 40:
        raise DomainError(N_("A bank account number has 6 to 40 digits."))
    other = (
        await session.exec(select(PaymentAccount).where(col(PaymentAccount.bank_account) == number))
    ).first()
    if other is not None and other.compound_id != compound_id:
        raise DomainError(N_("That bank account number is already another compound's."))
    return number


async def compound_of_account(session: AsyncSession, text: str) -> int | None:
    """The compound whose payment account has this bank account number."""
    number = account_number(text)
    found = (
        await session.exec(
            select(col(PaymentAccount.compound_id)).where(
                col(PaymentAccount.bank_account) == number
            )
        )
    ).first()
    return found if number else None


async def remember_file_id(session: AsyncSession, account: PaymentAccount, file_id: str) -> None:
    """The code came as a Telegram photo: residents are sent that photo, not a new upload."""
    picture = await session.get(Media, account.qr_media_id) if account.qr_media_id else None
    if picture is not None and picture.telegram_file_id is None:
        picture.telegram_file_id = file_id


async def keep_file_id(session: AsyncSession, picture: Media, file_id: str) -> None:
    """The code was sent (uploaded, or by its id): residents are sent it by this id next."""
    stored = await session.get(Media, picture.id)
    if stored is not None and stored.telegram_file_id != file_id:
        stored.telegram_file_id = file_id


async def account_of(
    session: AsyncSession, household_id: int
) -> tuple[PaymentAccount, Media] | None:
    """The payee and code residents of this home pay to, if their compound has one."""
    row = (
        await session.exec(
            select(PaymentAccount, Media)
            .join(Household, col(Household.compound_id) == col(PaymentAccount.compound_id))
            .join(Media, col(Media.id) == col(PaymentAccount.qr_media_id))
            .where(col(Household.id) == household_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def open_claim(session: AsyncSession, household_id: int) -> PaymentClaim | None:
    return (
        await session.exec(
            select(PaymentClaim)
            .where(col(PaymentClaim.household_id) == household_id)
            .where(col(PaymentClaim.status) == ClaimStatus.PENDING)
        )
    ).first()


@dataclass(frozen=True)
class Offer:
    """What /bills can offer a home: the code and the amount owed, or the claim still open."""

    household_id: int
    account: PaymentAccount
    picture: Media
    owed: Decimal
    waiting: PaymentClaim | None
    label: str


async def offer(session: AsyncSession, actor: Actor, household_id: int) -> Offer:
    """The compound's code for a home whose bills this person sees."""
    await payments.require_bill_reader(session, actor, household_id)
    found = await account_of(session, household_id)
    if found is None:
        raise DomainError(
            N_(
                "This compound has not set up paying by QR code yet. Please pay at the property office."
            )
        )
    waiting = await open_claim(session, household_id)
    owed = await billing.outstanding(session, household_id)
    label = (await household_labels(session, [household_id]))[household_id]
    return Offer(household_id, found[0], found[1], owed, waiting, label)


async def claim(
    session: AsyncSession, actor: Actor, *, household_id: int, method: str, fen: int, now: datetime
) -> Claimed:
    """ "I have paid {fen} by {method}": one open claim per home, for the amount the button showed."""
    if method not in {m.value for m in CLAIM_METHODS}:
        raise DomainError(N_("That is not a way of paying this bot knows."))
    offered = await offer(session, actor, household_id)
    if offered.waiting is not None:
        return Claimed(offered.waiting, new=False)
    if offered.owed <= 0:
        raise DomainError(N_("Nothing to pay. Thank you!"))
    if int(offered.owed * 100) != fen:
        raise DomainError(N_("The amount due has changed. Please open /bills again."))
    row = PaymentClaim(
        household_id=household_id,
        compound_id=offered.account.compound_id,
        claimed_by=pk(actor.resident) if actor.resident else 0,
        amount=offered.owed,
        method=method,
        claimed_at=now,
    )
    try:
        async with session.begin_nested():  # a co-owner's tap at the same moment: one claim
            session.add(row)
    except IntegrityError:
        existing = await open_claim(session, household_id)
        if existing is None:
            raise
        return Claimed(existing, new=False)
    await payments.cancel_reminders(session, household_id)
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="payment_claim.create",
        subject_type="household",
        subject_id=household_id,
        claim_id=row.id,
        amount=str(offered.owed),
        method=method,
    )
    # The staff check their account; a compound without staff has its administrators do it.
    office = await holders(session, Permission.FEES_CONFIRM_CLAIM, row.compound_id, {Role.STAFF})
    office = office or await holders(session, Permission.FEES_CONFIRM_CLAIM, row.compound_id)
    notify.tell(
        session,
        f"fee-claim:{row.id}",
        FOR_STAFF,
        [Recipient.of(p) for p in office],
        now=now,
        claim=row,
        label=offered.label,
    )
    return Claimed(row, new=True)


async def decide(
    session: AsyncSession,
    actor: Actor,
    claim_id: int,
    *,
    received: bool,
    today: date,
    now: datetime,
) -> Decided:
    """Staff found the money (booked as a payment, once) or could not find it yet."""
    row = await session.get(PaymentClaim, claim_id)
    if row is None:
        raise NotFound(N_("That payment report does not exist."))
    await authorize(session, actor, Permission.FEES_CONFIRM_CLAIM, row.compound_id)
    label = (await household_labels(session, [row.household_id]))[row.household_id]
    status = ClaimStatus.CONFIRMED if received else ClaimStatus.NOT_FOUND
    # Only the first answer changes the claim: a colleague's (or a double tap's) finds it decided.
    decided = await session.exec(
        sa.update(PaymentClaim)
        .where(col(PaymentClaim.id) == claim_id, col(PaymentClaim.status) == ClaimStatus.PENDING)
        .values(status=status, decided_by=actor.resident_id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    if decided.rowcount != 1:
        return Decided(row, already=True, label=label)
    booking = None
    if received:  # booking it tells the household that the money arrived
        booking = await payments.record_payment(
            session,
            actor,
            household_id=row.household_id,
            amount=Decimal(row.amount),
            method=row.method,
            reference=f"claim-{row.id}",
            paid_on=today,
            now=now,
        )
        row.payment_id = booking.payment.id
    else:
        household = await session.get(Household, row.household_id)
        assert household is not None
        readers = [
            Recipient.of(p, household.id)
            for p in await payments.bill_recipients(session, household)
        ]
        notify.tell(
            session,
            f"fee-claim:{row.id}:not-found",
            NOT_FOUND,
            readers,
            now=now,
            claim=row,
            label=label,
        )
    _audit(session, actor, row, now=now)
    return Decided(row, already=False, booking=booking, label=label)


async def open_claims(
    session: AsyncSession, actor: Actor, *, now: datetime
) -> list[tuple[PaymentClaim, str]]:
    """Claims waiting for the staff of this person's compounds, oldest first, with the homes'
    labels; a read of the claimants' payments, audited per compound."""
    compounds = await compound_ids(session, actor, Permission.FEES_CONFIRM_CLAIM)
    if not compounds:
        raise NotAllowed(rule(Permission.FEES_CONFIRM_CLAIM).refusal)
    claims = list(
        (
            await session.exec(
                select(PaymentClaim)
                .where(col(PaymentClaim.compound_id).in_(compounds))
                .where(col(PaymentClaim.status) == ClaimStatus.PENDING)
                .order_by(col(PaymentClaim.claimed_at), col(PaymentClaim.id))
            )
        ).all()
    )
    labels = await household_labels(session, [c.household_id for c in claims])
    for compound_id in sorted({c.compound_id for c in claims}):
        mine = [c for c in claims if c.compound_id == compound_id]
        await audit.record_read(
            session,
            at=now,
            actor_id=actor.resident_id,
            what="claims",
            subject_type="compound",
            subject_id=compound_id,
            compound_id=compound_id,
            residents=[c.claimed_by for c in mine],
            households=[c.household_id for c in mine],
        )
    return [(claim, labels[claim.household_id]) for claim in claims]


# --- the resident takes an open claim back --------------------------------------------------------
@dataclass(frozen=True)
class Withdrawn:
    claim: PaymentClaim
    label: str
    already: bool  # it was no longer open: withdrawn before (a double tap), or answered


async def withdrawable(
    session: AsyncSession, actor: Actor, claim_id: int
) -> tuple[PaymentClaim, str]:
    """The claim and its home's label, for someone who sees the home's bills."""
    row = await session.get(PaymentClaim, claim_id)
    household = await session.get(Household, row.household_id) if row else None
    if row is None or household is None:
        raise NotFound(N_("That payment report does not exist."))
    await authorize(
        session, actor, Permission.FEES_WITHDRAW_CLAIM, household.compound_id, household=household
    )
    return row, (await household_labels(session, [row.household_id]))[row.household_id]


async def withdraw(
    session: AsyncSession, actor: Actor, claim_id: int, *, now: datetime
) -> Withdrawn:
    """Withdraw an open "I have paid" (once): reminders may go again where due; a staff card not
    delivered yet is withdrawn, and the staff who had it are told there is nothing to check."""
    row, label = await withdrawable(session, actor, claim_id)
    changed = await session.exec(
        sa.update(PaymentClaim)
        .where(col(PaymentClaim.id) == claim_id, col(PaymentClaim.status) == ClaimStatus.PENDING)
        .values(status=ClaimStatus.WITHDRAWN, decided_by=actor.resident_id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    if changed.rowcount != 1:
        return Withdrawn(row, label, already=True)
    await fee_reminders.allow_again(session, row.household_id)
    await outbox.cancel(session, f"fee-claim:{claim_id}")
    had = (
        await session.exec(
            select(Resident)
            .join(OutboxMessage, col(OutboxMessage.resident_id) == col(Resident.id))
            .where(col(OutboxMessage.purpose) == f"fee-claim:{claim_id}")
            .where(col(OutboxMessage.status).in_([OutboxStatus.SENT, OutboxStatus.SENDING]))
            .where(col(Resident.telegram_id).is_not(None))
            .order_by(col(Resident.id))
        )
    ).all()
    notify.tell(
        session,
        f"fee-claim:{claim_id}:withdrawn",
        WITHDRAWN,
        [Recipient.of(p) for p in had],
        now=now,
        claim=row,
        label=label,
    )
    _audit(session, actor, row, now=now)
    return Withdrawn(row, label, already=False)


def _audit(session: AsyncSession, actor: Actor, row: PaymentClaim, *, now: datetime) -> None:
    """The claim's new status, by whom (staff answering, or the resident withdrawing)."""
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action=f"payment_claim.{ClaimStatus(row.status).value}",
        subject_type="household",
        subject_id=row.household_id,
        claim_id=row.id,
    )
