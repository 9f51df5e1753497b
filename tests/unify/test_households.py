"""Household safety: a shared e-mail or phone is a household only when its holders'
names (or birth dates) cannot be one person; typos and swapped names are not households."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.unify import Run, groups, write_records
from personae.engine import Engine
from personae.unify.households import names_compatible


def holder(record_id: str, first: str, last: str | None, bd: str | None = None) -> dict[str, Any]:
    """A CRM record with the name keys the clean stage writes (lower case, no accents)."""
    return {
        "source": "crm",
        "record_id": record_id,
        "email": "famille.durand@mail.fr",
        "first_name_key": first,
        "last_name_key": last,
        "birth_date": bd,
    }


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("alpohnse", "durand"),  # two letters swapped (Levenshtein 2)
        ("alphonse", "durand"),  # case and accents: the keys are equal
        ("alphnse", "durand"),  # a missing letter
        ("a", "durand"),  # an initial
        ("durand", "alphonse"),  # first and last name swapped
        ("alphonsed", "urand"),  # the parts cut differently
    ],
)
def test_a_typo_of_a_name_is_not_a_household(
    engine: Engine, run: Run, first: str, last: str
) -> None:
    write_records(
        engine,
        [
            holder("A", "alphonse", "durand", "1961-05-04"),
            holder("B", first, last),
            holder("C", "alphonse", "durand"),
        ],
    )
    report = run()
    assert report.household_splits == 0
    assert groups(engine) == {frozenset({"crm/A", "crm/B", "crm/C"})}


def test_a_dropped_accent_and_a_missing_letter_rejoin(engine: Engine, run: Run) -> None:
    # the failures of issue 15: Andrée/Andre and Arnaud/Anaud sharing one e-mail each,
    # one record with a birth date and one without
    write_records(
        engine,
        [
            {**holder("A", "andree", "morel", "1950-02-03"), "email": "a.morel@mail.fr"},
            {**holder("B", "andre", "morel"), "email": "a.morel@mail.fr"},
            {**holder("C", "arnaud", "petit", "1988-07-09"), "email": "arnaud@mail.fr"},
            {**holder("D", "anaud", "petit"), "email": "arnaud@mail.fr"},
        ],
    )
    assert run().household_splits == 0
    assert groups(engine) == {frozenset({"crm/A", "crm/B"}), frozenset({"crm/C", "crm/D"})}


def test_real_households_stay_apart(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            # two different first names sharing a landline
            {**holder("marie", "marie", "durand"), "email": None, "phone": "+33147829163"},
            {**holder("paul", "paul", "durand"), "email": None, "phone": "+33147829163"},
            # similar first names of one family, birth dates 30 years apart
            holder("jeanne", "jeanne", "martin", "1950-01-01"),
            holder("jean", "jean", "martin", "1980-06-15"),
            # Jean again, without a birth date: it may be either, stays with its name
            holder("jean2", "jean", "martin"),
        ],
    )
    report = run()
    assert report.household_splits == 2
    assert groups(engine) == {
        frozenset({"crm/marie"}),
        frozenset({"crm/paul"}),
        frozenset({"crm/jeanne"}),
        frozenset({"crm/jean", "crm/jean2"}),
    }


def test_names_compatible_tolerates_what_clustering_tolerates() -> None:
    assert names_compatible(("alpohnse", None), ("alphonse", None))
    assert names_compatible(("j", "martin"), ("jeanpierre", "martin"))
    assert names_compatible(("martin", "jean"), ("jean", "martin"))
    assert not names_compatible(("marie", "durand"), ("paul", "durand"))
    assert not names_compatible(("marie", None), ("durand", "marie"))
