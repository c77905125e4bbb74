"""The code printed on a paper ballot (纸质选票编码), as text and as a QR code: the vote, the home
and a signature, e.g. `V12-H345-K7QX2MPA`. The signature is an HMAC under a random key kept with
the vote, so nobody can make the code of another home or of another vote from one they hold;
staff type or paste it instead of the home when they enter the ballot."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass

from core.i18n import N_
from models import Poll
from services.errors import DomainError

SIGNATURE = 8  # base32 characters: 40 bits, checked against one vote's key
SHAPE = re.compile(rf"^V(\d+)-H(\d+)-([A-Z2-7]{{{SIGNATURE}}})$")
LOOSE = re.compile(rf"^V\d+-H\d+-\w{{{SIGNATURE}}}$")
WRONG = N_("This is not a valid paper ballot code. Please check it, or send the home instead.")
OTHER_VOTE = N_("This paper ballot code belongs to vote #{other}, not to vote #{poll}.")


@dataclass(frozen=True)
class BallotCode:
    poll_id: int
    household_id: int


def ensure_key(poll: Poll) -> str:
    """The vote's signing key, made the first time its ballots are printed."""
    if not poll.paper_key:
        poll.paper_key = secrets.token_hex(16)
    return poll.paper_key


def _signature(key: str, poll_id: int, household_id: int) -> str:
    digest = hmac.new(key.encode(), f"{poll_id}:{household_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:SIGNATURE]


def ballot_code(poll: Poll, household_id: int) -> str:
    poll_id = poll.id or 0
    return f"V{poll_id}-H{household_id}-{_signature(ensure_key(poll), poll_id, household_id)}"


def _normal(text: str) -> str:
    """As typed or pasted: full-width characters, spaces and case do not matter."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def looks_like_code(text: str) -> bool:
    return bool(LOOSE.match(_normal(text)))


def read_code(poll: Poll, text: str) -> BallotCode:
    """The home a code of this vote names; a code of another vote, or a wrong one, is refused."""
    found = SHAPE.match(_normal(text))
    if found is None:
        raise DomainError(WRONG)
    poll_id, household_id, signature = int(found[1]), int(found[2]), found[3]
    if poll_id != poll.id:
        raise DomainError(OTHER_VOTE, other=poll_id, poll=poll.id)
    if not poll.paper_key or not hmac.compare_digest(
        signature, _signature(poll.paper_key, poll_id, household_id)
    ):
        raise DomainError(WRONG)
    return BallotCode(poll_id, household_id)
