"""The owners'-assembly tally under Civil Code Art. 278, in exact fractions.

Headcount follows the Supreme People's Court interpretation on building ownership (Art. 9): one
exclusive unit is one person, except that units held by the same buyer count as one, and all the
developer's unsold units together count as one. Co-owners of a unit are one buyer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, Inexact, Rounded, localcontext
from enum import StrEnum
from fractions import Fraction

DEVELOPER = "developer"


class MatterType(StrEnum):
    ORDINARY = "ordinary"  # > 1/2 of participating area and headcount
    SPECIAL = "special"  # Art. 278 items 6–8: ≥ 3/4 of participating area and headcount


class Choice(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"


@dataclass(frozen=True)
class Unit:
    """One exclusive unit in the vote's scope, as snapshotted when voting opened."""

    unit_id: int
    area: Decimal  # registered, else surveyed, else contract area
    owners: frozenset[str]  # who holds it; empty for the developer's unsold units
    developer: bool = False

    @property
    def voter(self) -> str:
        """The headcount unit this exclusive unit belongs to."""
        if self.developer:
            return DEVELOPER
        return "+".join(sorted(self.owners)) or f"unit:{self.unit_id}"


@dataclass(frozen=True)
class Voter:
    key: str
    area: Decimal  # exact: sums of areas are done in an exact decimal context
    units: tuple[int, ...]


# Areas are decimals with a few places; summing them in a context that traps any rounding keeps
# every figure exact while staying fast (Fraction additions are ten times slower).
EXACT = Context(prec=60, traps=[Inexact, Rounded])


def voters(units: Iterable[Unit]) -> dict[str, Voter]:
    """Group units into headcount units (voters) with their total area."""
    area: dict[str, Decimal] = defaultdict(Decimal)
    members: dict[str, list[int]] = defaultdict(list)
    with localcontext(EXACT):
        for unit in units:
            key = unit.voter
            area[key] += Decimal(unit.area)
            members[key].append(unit.unit_id)
    return {key: Voter(key, area[key], tuple(sorted(members[key]))) for key in area}


@dataclass(frozen=True)
class Axis:
    """Figures on one axis (area in ㎡ or headcount), each with what it is a share of."""

    total: Fraction
    participating: Fraction
    agree: Fraction
    disagree: Fraction
    abstain: Fraction

    @property
    def turnout(self) -> Fraction:
        return self.participating / self.total if self.total else Fraction(0)

    @property
    def approval(self) -> Fraction:
        return self.agree / self.participating if self.participating else Fraction(0)


@dataclass(frozen=True)
class ResolutionResult:
    matter: MatterType
    area: Axis
    headcount: Axis
    quorum: bool
    passed: bool
    unreturned_counted: bool = False

    @property
    def threshold(self) -> Fraction:
        return Fraction(3, 4) if self.matter == MatterType.SPECIAL else Fraction(1, 2)


QUORUM = Fraction(2, 3)


def _approves(agree: Fraction, participating: Fraction, matter: MatterType) -> bool:
    if participating == 0:
        return False
    share = agree / participating
    return share >= Fraction(3, 4) if matter == MatterType.SPECIAL else share > Fraction(1, 2)


def tally_resolution(
    units: Iterable[Unit],
    ballots: dict[str, Choice],
    matter: MatterType,
    *,
    count_unreturned_with_majority: bool = False,
) -> ResolutionResult:
    """Quorum (≥ 2/3 of area and of headcount take part), then approval of the participants.

    Abstentions take part (quorum) but do not approve. With the opt-in local rule, ballots not
    returned are counted, on each axis separately, with the side (agree or disagree) that leads on
    that axis among returned ballots; a tie adds them to neither.
    """
    areas = {key: voter.area for key, voter in voters(units).items()}
    return resolution_of_voters(
        areas, ballots, matter, count_unreturned_with_majority=count_unreturned_with_majority
    )


def resolution_of_voters(
    areas: Mapping[str, Decimal],
    ballots: Mapping[str, Choice],
    matter: MatterType,
    *,
    count_unreturned_with_majority: bool = False,
) -> ResolutionResult:
    """`tally_resolution` for headcount units already grouped (the stored snapshot): key → area."""
    sums: dict[str, dict[str, Decimal]] = {
        "area": defaultdict(Decimal),
        "head": defaultdict(Decimal),
    }
    with localcontext(EXACT):
        for key, area in areas.items():
            choice = ballots.get(key)
            bucket = choice.value if choice is not None else "unreturned"
            sums["area"][bucket] += area
            sums["head"][bucket] += 1
    return resolution_of_sums(
        sums["area"],
        sums["head"],
        matter,
        count_unreturned_with_majority=count_unreturned_with_majority,
    )


def resolution_of_sums(
    area_sums: Mapping[str, Decimal],
    head_sums: Mapping[str, Decimal | int],
    matter: MatterType,
    *,
    count_unreturned_with_majority: bool = False,
) -> ResolutionResult:
    """The result from the sums per bucket (agree, disagree, abstain, unreturned) of area and
    headcount — however they were added up (in Python above, or exactly in SQL)."""
    sums: dict[str, dict[str, Decimal]] = {
        "area": defaultdict(Decimal, area_sums),
        "head": defaultdict(Decimal, {k: Decimal(v) for k, v in head_sums.items()}),
    }

    def axis(decimals: dict[str, Decimal]) -> Axis:
        values = {k: Fraction(decimals[k]) for k in ("agree", "disagree", "abstain", "unreturned")}
        agree, disagree, abstain = values["agree"], values["disagree"], values["abstain"]
        returned, unreturned = agree + disagree + abstain, values["unreturned"]
        participating = returned
        if count_unreturned_with_majority and agree != disagree:
            if agree > disagree:
                agree += unreturned
            else:
                disagree += unreturned
            participating = returned + unreturned
        return Axis(returned + unreturned, participating, agree, disagree, abstain)

    area, head = axis(sums["area"]), axis(sums["head"])
    quorum = (
        area.total > 0
        and area.participating >= QUORUM * area.total
        and head.participating >= QUORUM * head.total
    )
    passed = (
        quorum
        and _approves(area.agree, area.participating, matter)
        and _approves(head.agree, head.participating, matter)
    )
    return ResolutionResult(matter, area, head, quorum, passed, count_unreturned_with_majority)


@dataclass(frozen=True)
class CandidateResult:
    candidate: str
    area: Fraction
    headcount: Fraction
    majority: bool  # > 1/2 of participating area and headcount
    elected: bool = False


@dataclass(frozen=True)
class ElectionResult:
    seats: int
    area: Axis
    headcount: Axis
    quorum: bool
    candidates: list[CandidateResult] = field(default_factory=list)


def tally_election(
    units: Iterable[Unit], ballots: dict[str, frozenset[str]], candidates: list[str], seats: int
) -> ElectionResult:
    """Each voter may choose up to `seats` candidates (an empty choice is an abstention). A
    candidate needs more than half of the participating area and headcount; the seats go to those
    with the most headcount, then area; candidates tied across the last seat are not elected."""
    areas = {key: voter.area for key, voter in voters(units).items()}
    return election_of_voters(areas, ballots, candidates, seats)


def election_of_voters(
    areas: Mapping[str, Decimal],
    ballots: Mapping[str, frozenset[str]],
    candidates: list[str],
    seats: int,
) -> ElectionResult:
    """`tally_election` for headcount units already grouped (the stored snapshot): key → area."""
    decimal_area: dict[str, Decimal] = defaultdict(Decimal)
    per_head: dict[str, Fraction] = defaultdict(Fraction)
    part_head = Fraction(0)
    with localcontext(EXACT):
        total = sum(areas.values(), Decimal(0))
        taking_part = Decimal(0)
        for key, home_area in areas.items():
            if key not in ballots:
                continue
            chosen = ballots[key]
            if len(chosen) > seats or not chosen <= set(candidates):
                raise ValueError(f"invalid ballot for {key}")
            taking_part += home_area
            part_head += 1
            for name in chosen:
                decimal_area[name] += home_area
                per_head[name] += 1
    total_area, part_area = Fraction(total), Fraction(taking_part)
    total_head = Fraction(len(areas))
    per_area = {name: Fraction(decimal_area[name]) for name in candidates}
    area = Axis(total_area, part_area, Fraction(0), Fraction(0), Fraction(0))
    head = Axis(total_head, part_head, Fraction(0), Fraction(0), Fraction(0))
    quorum = (
        total_area > 0 and part_area >= QUORUM * total_area and part_head >= QUORUM * total_head
    )
    results = [
        CandidateResult(
            name,
            per_area[name],
            per_head[name],
            quorum
            and _approves(per_area[name], part_area, MatterType.ORDINARY)
            and _approves(per_head[name], part_head, MatterType.ORDINARY),
        )
        for name in candidates
    ]
    # Seats go to whole groups of equal (headcount, area), best first; a group that does not fit
    # in the remaining seats gets none of them (a tie at the cut is for a run-off, not for us).
    groups: dict[tuple[Fraction, Fraction], list[str]] = defaultdict(list)
    for result in results:
        if result.majority:
            groups[(result.headcount, result.area)].append(result.candidate)
    elected: set[str] = set()
    for score in sorted(groups, reverse=True):
        if len(elected) + len(groups[score]) > seats:
            break
        elected.update(groups[score])
    final = [
        CandidateResult(r.candidate, r.area, r.headcount, r.majority, r.candidate in elected)
        for r in results
    ]
    return ElectionResult(seats, area, head, quorum, final)
