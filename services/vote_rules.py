"""A compound's timing rules for owners' votes: the notice period, a floor of 15 days that local
rules may raise but never lower (DOMAIN §5, §9), and the shortest voting window (a week by
default, never under a day), read the same way wherever a vote's times are set."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from core.i18n import Translator
from models import Compound
from services.errors import DomainError

MIN_NOTICE_DAYS = 15  # DOMAIN §5/§9: at least 15 days' notice; local rules may only raise it
MIN_VOTING_DAYS = 1  # the shortest voting window a compound may set
MAX_SETTING_DAYS = 90


class VotingTooShort(DomainError):
    """The compound's shortest voting window (at least a day)."""

    def __init__(self, days: int) -> None:
        super().__init__("Voting must stay open at least {days} days.")
        self.days = days

    def render(self, _: Translator) -> Markup:
        return _.ngettext(
            "Voting must stay open at least {days} day.",
            "Voting must stay open at least {days} days.",
            self.days,
        ).format(days=self.days)


@dataclass(frozen=True)
class VotingRules:
    """A compound's timing rules: days of notice (never under the legal 15) and the shortest
    voting window (never under a day), whatever is stored."""

    notice_days: int
    min_days: int

    @classmethod
    def of(cls, compound: Compound) -> VotingRules:
        return cls(
            max(compound.vote_notice_days, MIN_NOTICE_DAYS),
            max(compound.vote_min_days, MIN_VOTING_DAYS),
        )
