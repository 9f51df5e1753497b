"""Probabilistic matching (Splink) over a crafted ``records`` table."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("splink")

from helpers.unify import write_records
from personae.config.matching import MatchingConfig
from personae.engine import Engine
from personae.unify.matching import EDGES_TABLE, score_pairs

PEOPLE = [
    # (source, id, first, last, birth, postcode, city, address, email, phone)
    (
        "crm",
        "1",
        "Marie",
        "Dupont",
        "1980-03-14",
        "75011",
        "Paris",
        "12 rue Oberkampf",
        "marie.dupont@example.com",
        "+33612345678",
    ),
    (
        "shop",
        "1",
        "Mary",
        "Dupont",
        "1980-03-14",
        "75011",
        "Paris",
        "12 rue Oberkampf",
        None,
        "+33612345678",
    ),
    (
        "crm",
        "2",
        "Jean",
        "Martin",
        "1975-07-02",
        "69003",
        "Lyon",
        "4 cours Gambetta",
        "jmartin@example.org",
        None,
    ),
    ("loyalty", "2", "Martin", "Jean", "1975-07-02", "69003", "Lyon", None, None, None),
    (
        "crm",
        "3",
        "Sophie",
        "Bernard",
        "1990-11-30",
        "33000",
        "Bordeaux",
        "8 quai Richelieu",
        "sophie.b@example.net",
        "+33698765432",
    ),
    (
        "shop",
        "3",
        "Sophie",
        "Bernardd",
        "1990-11-30",
        "33000",
        "Bordeaux",
        "8 quai Richelieu",
        "sophie.b@example.fr",
        None,
    ),
    # namesakes of crm/3 in the same town, other birth dates: different people
    (
        "crm",
        "4",
        "Sophie",
        "Bernard",
        "1962-01-05",
        "33000",
        "Bordeaux",
        "90 cours Victor Hugo",
        None,
        None,
    ),
    (
        "shop",
        "4",
        "Sophie",
        "Bernard",
        "1999-06-21",
        "33000",
        "Bordeaux",
        "3 rue Sainte",
        None,
        "+33655554444",
    ),
    (
        "crm",
        "5",
        "Luc",
        "Petit",
        "1985-09-09",
        "13001",
        "Marseille",
        "1 la Canebiere",
        "luc.petit@example.com",
        "+33611112222",
    ),
    (
        "shop",
        "5",
        "Luc",
        "Petit",
        "1985-09-09",
        "13001",
        "Marseille",
        "1 la Canebiere",
        "lucpetit@example.com",
        None,
    ),
    (
        "crm",
        "6",
        "Anne",
        "Leroy",
        "1970-02-28",
        "59000",
        "Lille",
        "7 rue Nationale",
        "anne.leroy@example.com",
        None,
    ),
    (
        "crm",
        "7",
        "Paul",
        "Moreau",
        "2001-12-12",
        "44000",
        "Nantes",
        "5 rue Crebillon",
        None,
        "+33622223333",
    ),
]
TRUE_PAIRS = {
    (("crm", "1"), ("shop", "1")),
    (("crm", "2"), ("loyalty", "2")),
    (("crm", "3"), ("shop", "3")),
    (("crm", "5"), ("shop", "5")),
}


def _write(engine: Engine) -> None:
    names = ["source", "record_id", "first_name", "last_name", "birth_date", "postcode",
             "city", "address", "email", "phone"]  # fmt: skip
    rows = [dict(zip(names, person, strict=True)) for person in PEOPLE]
    for row in rows:
        row["last_name_key"] = str(row["last_name"]).lower()
    write_records(engine, rows)


def _pairs(engine: Engine) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    found = set()
    for sl, rl, sr, rr in engine.rows(
        f"SELECT source_l, record_id_l, source_r, record_id_r FROM {EDGES_TABLE}"
    ):
        pair = sorted([(str(sl), str(rl)), (str(sr), str(rr))])
        found.add((pair[0], pair[1]))
    return found


def test_finds_true_pairs_and_not_namesakes(engine: Engine, tmp_path: Path) -> None:
    _write(engine)
    config = MatchingConfig(enabled=True, threshold_match_probability=0.9)
    model = tmp_path / "model" / "matching.json"
    result = score_pairs(engine, "records", config, model)
    assert result.trained
    assert model.exists()
    assert result.records == len(PEOPLE)
    found = _pairs(engine)
    assert found == TRUE_PAIRS
    assert result.edges == len(TRUE_PAIRS)
    # blocking pair counts block every pair a second time: only when asked for
    assert result.blocking_pairs == {}

    # the saved model is reused, not trained again, and scores the same
    again = score_pairs(engine, "records", config, model)
    assert not again.trained
    assert _pairs(engine) == TRUE_PAIRS

    # retrain on demand
    assert score_pairs(
        engine, "records", config.model_copy(update={"retrain": True}), model
    ).trained


def test_blocking_diagnostics_count_the_pairs_each_rule_adds(
    engine: Engine, tmp_path: Path
) -> None:
    _write(engine)
    config = MatchingConfig(
        enabled=True, threshold_match_probability=0.9, blocking_diagnostics=True
    )
    result = score_pairs(engine, "records", config, tmp_path / "matching.json", full=True)
    assert list(result.blocking_pairs) == config.blocking_rules
    assert all(pairs >= 0 for pairs in result.blocking_pairs.values())
    # every true pair is a candidate, counted once (by the first rule that holds)
    assert sum(result.blocking_pairs.values()) >= len(TRUE_PAIRS)
    assert _pairs(engine) == TRUE_PAIRS


def test_events_without_name_do_not_take_part(engine: Engine) -> None:
    write_records(
        engine,
        [
            {"source": "web", "record_id": "e1", "source_kind": "events", "email": "a@b.c"},
            {"source": "web", "record_id": "e2", "source_kind": "events", "email": "a@b.c"},
        ],
    )
    result = score_pairs(engine, "records", MatchingConfig(), None)
    assert result.records == 0
    assert result.edges == 0
    assert engine.count(EDGES_TABLE) == 0
