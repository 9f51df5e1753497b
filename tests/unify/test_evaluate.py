"""Pairwise precision and recall against a ground truth, on a hand-computed example."""

from __future__ import annotations

import pytest

from personae.engine import Engine
from personae.errors import NotFoundError
from personae.unify import evaluate_against_truth


def write(engine: Engine, table: str, column: str, rows: list[tuple[str, str, object]]) -> None:
    kind = "BIGINT" if column == "person_id" else "VARCHAR"
    engine.execute(
        f"CREATE OR REPLACE TABLE {table} (source VARCHAR, record_id VARCHAR, {column} {kind})"
    )
    for row in rows:
        engine.execute(f"INSERT INTO {table} VALUES (?, ?, ?)", list(row))


def test_pairwise_scores(engine: Engine) -> None:
    # predicted persons {a b c} {d} {e f}; real people {a b} {c d} {e f}; g is unknown
    # to the truth and h to the map: both are ignored
    write(
        engine,
        "identity_map",
        "person_id",
        [("s", "a", 1), ("s", "b", 1), ("s", "c", 1), ("s", "d", 2), ("t", "e", 3),
         ("t", "f", 3), ("t", "g", 3)],
    )  # fmt: skip
    write(
        engine,
        "truth",
        "person",
        [("s", "a", "ann"), ("s", "b", "ann"), ("s", "c", "cid"), ("s", "d", "cid"),
         ("t", "e", "eve"), ("t", "f", "eve"), ("t", "h", "eve")],
    )  # fmt: skip
    scores = evaluate_against_truth(engine, "truth")
    # predicted pairs: 3 + 0 + 1; true pairs: 1 + 1 + 1; both: ab, ef
    assert (scores.predicted_pairs, scores.true_pairs, scores.true_positive_pairs) == (4, 3, 2)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert (scores.persons, scores.true_persons) == (3, 3)


def test_perfect_and_empty(engine: Engine) -> None:
    write(engine, "identity_map", "person_id", [("s", "a", 1), ("s", "b", 2)])
    write(engine, "truth", "person", [("s", "a", "x"), ("s", "b", "y")])
    scores = evaluate_against_truth(engine, "truth")
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
    assert scores.predicted_pairs == scores.true_pairs == 0


def test_missing_tables(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        evaluate_against_truth(engine, "truth")


def test_oracle_bound_follows_only_shared_evidence_within_a_real_person(
    engine: Engine,
) -> None:
    from helpers.tables import create
    from personae.unify.inspection import oracle_bound

    keys = ["email", "phone", "loyalty_id", "first_name_key", "last_name_key"]
    columns = {"source": "VARCHAR", "record_id": "VARCHAR"}
    columns |= dict.fromkeys(
        ["customer_id", "user_id", "anonymous_id", "device_id", *keys], "VARCHAR"
    )
    rows = {
        # ann: a-b share an e-mail, b-c a phone; d-e the same full name; f nothing
        "a": ("ann", {"email": "x@y.fr"}),
        "b": ("ann", {"email": "x@y.fr", "phone": "+33612345678"}),
        "c": ("ann", {"phone": "+33612345678"}),
        "d": ("ann", {"first_name_key": "ann", "last_name_key": "lee"}),
        "e": ("ann", {"first_name_key": "ann", "last_name_key": "lee"}),
        "f": ("ann", {"first_name_key": "ann"}),
        # bob shares ann's e-mail: the oracle never crosses real people
        "g": ("bob", {"email": "x@y.fr"}),
        "h": ("bob", {"loyalty_id": "L1"}),
    }
    create(
        engine,
        "records",
        columns,
        [
            ["s", rid, *(values.get(c) for c in list(columns)[2:])]
            for rid, (_, values) in rows.items()
        ],
    )
    write(engine, "truth", "person", [("s", rid, person) for rid, (person, _) in rows.items()])
    bound = oracle_bound(engine, "truth")
    # true pairs: 15 (ann) + 1 (bob); joined: abc (3) and de (1)
    assert (bound.true_pairs, bound.joined_pairs) == (16, 4)
    assert bound.recall == pytest.approx(0.25)
    assert not engine.table_exists("_oracle_map")
