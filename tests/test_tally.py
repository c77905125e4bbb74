"""The Art. 278 tally: exact boundaries on each axis, headcount rules, and a property test
against a deliberately simple second implementation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from services.tally import Choice, MatterType, Unit, tally_election, tally_resolution, voters

A, D, X = Choice.AGREE, Choice.DISAGREE, Choice.ABSTAIN


def units_of(areas: list[int | str]) -> list[Unit]:
    """One owner per unit, named o0, o1, ..."""
    return [Unit(i, Decimal(str(a)), frozenset({f"o{i}"})) for i, a in enumerate(areas)]


def ballots(*choices: Choice | None) -> dict[str, Choice]:
    return {f"o{i}": c for i, c in enumerate(choices) if c is not None}


def test_quorum_exactly_two_thirds_on_both_axes_is_enough():
    result = tally_resolution(units_of([100, 100, 100]), ballots(A, A, None), MatterType.ORDINARY)
    assert result.area.turnout == Fraction(2, 3) and result.headcount.turnout == Fraction(2, 3)
    assert result.quorum and result.passed


def test_just_under_two_thirds_of_area_fails_quorum():
    # headcount 2/3 exactly, area 199.99 / 300 < 2/3
    result = tally_resolution(
        units_of(["100", "99.99", "100.01"]), ballots(A, A, None), MatterType.ORDINARY
    )
    assert result.headcount.turnout == Fraction(2, 3) and result.area.turnout < Fraction(2, 3)
    assert not result.quorum and not result.passed


def test_area_quorum_but_not_headcount():
    result = tally_resolution(
        units_of([500, 10, 10, 10]), ballots(A, A, None, None), MatterType.ORDINARY
    )
    assert result.area.turnout > Fraction(2, 3) and result.headcount.turnout == Fraction(1, 2)
    assert not result.quorum


def test_ordinary_needs_more_than_half_exactly_half_fails():
    result = tally_resolution(
        units_of([100, 100, 100, 100]), ballots(A, A, D, D), MatterType.ORDINARY
    )
    assert result.area.approval == Fraction(1, 2) and not result.passed
    result = tally_resolution(
        units_of([100, 100, 100, 100]), ballots(A, A, A, D), MatterType.ORDINARY
    )
    assert result.passed


def test_special_matter_exactly_three_quarters_passes_just_under_fails():
    result = tally_resolution(units_of([100] * 4), ballots(A, A, A, D), MatterType.SPECIAL)
    assert result.area.approval == Fraction(3, 4) and result.passed
    result = tally_resolution(
        units_of(["100", "100", "99.99", "100.01"]), ballots(A, A, A, D), MatterType.SPECIAL
    )
    assert result.headcount.approval == Fraction(3, 4) and result.area.approval < Fraction(3, 4)
    assert not result.passed


def test_area_passes_but_headcount_fails_and_the_reverse():
    big_agrees = tally_resolution(units_of([1000, 10, 10]), ballots(A, D, D), MatterType.ORDINARY)
    assert big_agrees.area.approval > Fraction(1, 2) and big_agrees.headcount.approval < Fraction(
        1, 2
    )
    assert not big_agrees.passed
    small_agree = tally_resolution(units_of([1000, 10, 10]), ballots(D, A, A), MatterType.ORDINARY)
    assert small_agree.headcount.approval > Fraction(1, 2) and not small_agree.passed


def test_abstentions_count_for_quorum_not_for_approval():
    result = tally_resolution(units_of([100] * 6), ballots(A, A, A, X, X, D), MatterType.ORDINARY)
    assert result.quorum and result.area.participating == 600
    assert result.area.approval == Fraction(1, 2) and not result.passed


def test_multi_unit_owner_counts_once_with_all_their_area():
    units = [
        Unit(1, Decimal("80"), frozenset({"wang"})),
        Unit(2, Decimal("120"), frozenset({"wang"})),
        Unit(3, Decimal("100"), frozenset({"li"})),
    ]
    people = voters(units)
    assert len(people) == 2 and people["wang"].area == 200
    result = tally_resolution(units, {"wang": A}, MatterType.ORDINARY)
    assert result.headcount.total == 2 and not result.quorum  # 1 of 2 people


def test_co_owners_of_a_unit_count_once():
    units = [
        Unit(1, Decimal("90"), frozenset({"zhang", "zhao"})),
        Unit(2, Decimal("90"), frozenset({"qian"})),
    ]
    assert len(voters(units)) == 2
    assert "zhang+zhao" in voters(units)


def test_developer_unsold_units_together_count_once():
    units = units_of([100, 100]) + [
        Unit(10 + i, Decimal("100"), frozenset(), developer=True) for i in range(5)
    ]
    people = voters(units)
    assert len(people) == 3 and people["developer"].area == 500
    result = tally_resolution(units, {"o0": A, "o1": A}, MatterType.ORDINARY)
    assert result.headcount.turnout == Fraction(2, 3) and result.area.turnout == Fraction(2, 7)
    assert not result.quorum


def test_building_scope_is_the_units_given():
    building_3 = units_of([100, 100, 100])
    result = tally_resolution(building_3, ballots(A, A, A), MatterType.ORDINARY)
    assert result.passed and result.headcount.total == 3


def test_unreturned_ballots_counted_with_the_majority_when_opted_in():
    units = units_of([100] * 10)
    returned = ballots(A, A, A, D, None, None, None, None, None, None)
    plain = tally_resolution(units, returned, MatterType.ORDINARY)
    assert not plain.quorum
    opted = tally_resolution(
        units, returned, MatterType.ORDINARY, count_unreturned_with_majority=True
    )
    assert opted.quorum and opted.passed and opted.area.agree == 900
    tie = tally_resolution(
        units, ballots(A, D), MatterType.ORDINARY, count_unreturned_with_majority=True
    )
    assert not tie.quorum


def test_election_with_several_seats():
    units = units_of([100] * 6)
    votes = {
        f"o{i}": frozenset(s)
        for i, s in enumerate([{"a", "b"}, {"a", "b"}, {"a", "c"}, {"a", "c"}, {"b"}, {"b"}])
    }
    result = tally_election(units, votes, ["a", "b", "c"], seats=2)
    elected = {c.candidate for c in result.candidates if c.elected}
    assert result.quorum and elected == {"a", "b"}
    c = next(c for c in result.candidates if c.candidate == "c")
    assert c.headcount == 2 and not c.majority
    one_seat = {
        f"o{i}": frozenset(s) for i, s in enumerate([{"a"}, {"a"}, {"a"}, {"a"}, {"b"}, set()])
    }
    assert [c.elected for c in tally_election(units, one_seat, ["a", "b"], seats=1).candidates] == [
        True,
        False,
    ]
    three_way = {
        f"o{i}": frozenset(s)
        for i, s in enumerate(
            [{"a", "b"}, {"a", "b"}, {"a", "c"}, {"a", "c"}, {"b", "c"}, {"b", "c"}]
        )
    }
    tied = tally_election(units, three_way, ["a", "b", "c"], seats=2)
    assert all(c.majority for c in tied.candidates) and not any(c.elected for c in tied.candidates)


# --- the property test -----------------------------------------------------------------
def reference(
    areas: list[int],
    owners: list[int],
    developer: list[bool],
    choices: list[int | None],
    special: bool,
    majority_rule: bool,
) -> tuple[bool, bool]:
    """Deliberately plain: integer areas, loops and cross-multiplication only."""
    people: dict[str, int] = {}
    for area, owner, dev in zip(areas, owners, developer, strict=True):
        key = "developer" if dev else f"o{owner}"
        people[key] = people.get(key, 0) + area
    keys = sorted(people)
    vote = {k: choices[i % len(choices)] for i, k in enumerate(keys)}
    total_area = sum(people.values())
    total_head = len(keys)
    agree_a = sum(people[k] for k in keys if vote[k] == 0)
    dis_a = sum(people[k] for k in keys if vote[k] == 1)
    abst_a = sum(people[k] for k in keys if vote[k] == 2)
    agree_h = sum(1 for k in keys if vote[k] == 0)
    dis_h = sum(1 for k in keys if vote[k] == 1)
    abst_h = sum(1 for k in keys if vote[k] == 2)
    part_a, part_h = agree_a + dis_a + abst_a, agree_h + dis_h + abst_h
    if majority_rule:
        if agree_a != dis_a:
            if agree_a > dis_a:
                agree_a += total_area - part_a
            else:
                dis_a += total_area - part_a
            part_a = total_area
        if agree_h != dis_h:
            if agree_h > dis_h:
                agree_h += total_head - part_h
            else:
                dis_h += total_head - part_h
            part_h = total_head
    quorum = total_area > 0 and 3 * part_a >= 2 * total_area and 3 * part_h >= 2 * total_head
    if special:
        ok = 4 * agree_a >= 3 * part_a and 4 * agree_h >= 3 * part_h and part_a > 0
    else:
        ok = 2 * agree_a > part_a and 2 * agree_h > part_h
    return quorum, quorum and ok


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(1, 300), min_size=n, max_size=n),
            st.lists(st.integers(0, 5), min_size=n, max_size=n),
            st.lists(st.booleans(), min_size=n, max_size=n),
        )
    ),
    st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=1, max_size=12),
    st.booleans(),
    st.booleans(),
)
def test_tally_agrees_with_the_simple_reference(community, choices, special, majority_rule):
    areas, owners, developer = community
    units = [
        Unit(i, Decimal(a), frozenset() if dev else frozenset({f"o{o}"}), developer=dev)
        for i, (a, o, dev) in enumerate(zip(areas, owners, developer, strict=True))
    ]
    keys = sorted(voters(units))
    picked = {k: choices[i % len(choices)] for i, k in enumerate(keys)}
    votes = {k: [A, D, X][c] for k, c in picked.items() if c is not None}
    result = tally_resolution(
        units,
        votes,
        MatterType.SPECIAL if special else MatterType.ORDINARY,
        count_unreturned_with_majority=majority_rule,
    )
    assert (result.quorum, result.passed) == reference(
        areas, owners, developer, choices, special, majority_rule
    )
