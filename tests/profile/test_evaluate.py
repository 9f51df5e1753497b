"""Golden-record accuracy against a ground truth of true attributes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from helpers.tables import create
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.profile import build_profiles
from personae.profile.evaluate import golden_accuracy

AT = dt.datetime(2024, 1, 1)
Loader = Callable[..., None]


def test_accuracy_overall_and_where_a_record_holds_the_truth(
    engine: Engine, load_records: Loader
) -> None:
    names = [
        # real person A: three records in person 1 (two say Anna), one split off to person 2
        ("a1", 1, "A", "Anna"),
        ("a2", 1, "A", "Anna"),
        ("a3", 1, "A", "Anne"),
        ("a4", 2, "A", "Anna"),
        # B: no record holds the true name, so no rule can show it
        ("b1", 3, "B", "Bob"),
        # C: a record holds the truth, but the profile shows the majority's typo
        ("c1", 4, "C", "Carl"),
        ("c2", 4, "C", "Carl"),
        ("c3", 4, "C", "Karl"),
    ]
    load_records(
        [
            {"source": "s", "record_id": rid, "person_id": pid, "observed_at": AT,
             "first_name": first}
            for rid, pid, _, first in names
        ]
    )  # fmt: skip
    build_profiles(engine, ProjectConfig.model_validate({}))
    create(
        engine,
        "truth",
        {"source": "VARCHAR", "record_id": "VARCHAR", "person": "VARCHAR"},
        [("s", rid, person) for rid, _, person, _ in names],
    )
    create(
        engine,
        "truth_persons",
        {"person": "VARCHAR", "first_name": "VARCHAR", "nickname": "VARCHAR"},
        [("A", "Anna", "x"), ("B", "Robert", "x"), ("C", "Karl", "x")],
    )
    (first,) = golden_accuracy(engine, "truth", "truth_persons", ["first_name", "nickname"])
    assert (first.field, first.persons, first.right) == ("first_name", 3, 1)
    assert (first.decidable, first.decidable_right) == (2, 1)
    assert first.accuracy == pytest.approx(1 / 3)
    assert first.decidable_accuracy == pytest.approx(0.5)


def test_a_missing_table_is_named(engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="no table 'nowhere'"):
        golden_accuracy(engine, "nowhere", "truth_persons", ["first_name"])
