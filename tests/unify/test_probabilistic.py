"""Probabilistic matching (Splink) over a crafted ``records`` table."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

pytest.importorskip("splink")

from helpers.unify import write_records
from personae.config.matching import MatchingConfig
from personae.engine import Engine
from personae.unify.matching import EDGES_TABLE, score_pairs
from personae.unify.matching.score import NEAR_MISSES_TABLE, threshold_weight

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


def _level(output_column: str, left: dict[str, str | None], right: dict[str, str | None]) -> str:
    """The label of the level of comparison ``output_column`` that the pair falls into."""
    import duckdb
    from splink import SettingsCreator

    from personae.unify.matching.model import comparisons
    from personae.unify.matching.records import MATCH_COLUMNS

    settings = SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="uid", comparisons=comparisons()
    ).create_settings_dict("duckdb")
    (comparison,) = (c for c in settings["comparisons"] if c["output_column_name"] == output_column)
    values = ", ".join(
        f"{value!r} AS {column}_{side}" if (value := row.get(column)) is not None
        else f"NULL::VARCHAR AS {column}_{side}"
        for side, row in (("l", left), ("r", right))
        for column in MATCH_COLUMNS
    )  # fmt: skip
    con = duckdb.connect()
    for level in comparison["comparison_levels"]:
        sql = level["sql_condition"].replace('"', "")
        if sql == "ELSE" or con.execute(f"SELECT {sql} FROM (SELECT {values})").fetchone()[0]:
            return str(level["label_for_charts"])
    raise AssertionError("no level holds")  # pragma: no cover


def test_a_swapped_pair_of_digits_is_one_edit() -> None:
    # a phone (or any numeric identifier) with two neighbouring digits swapped
    assert _level("phone", {"phone": "2271081"}, {"phone": "2271801"}) == (
        "Damerau-Levenshtein distance of phone <= 1"
    )
    # two digits changed is two edits, not one
    assert _level("phone", {"phone": "2271081"}, {"phone": "2271099"}).endswith("<= 2")
    # a postcode with two digits swapped is a near postcode, not another place
    near = _level("place", {"postcode": "4221"}, {"postcode": "4212"})
    assert "<= 1" in near
    assert _level("place", {"postcode": "4221"}, {"postcode": "5330"}) == "All other comparisons"


def _candidate(left: dict[str, str], right: dict[str, str]) -> bool:
    """Whether a default blocking rule makes the pair a candidate."""
    import duckdb

    from personae.unify.matching.records import MATCH_COLUMNS

    def side(row: dict[str, str]) -> str:
        return ", ".join(
            f"{row[c]!r} AS {c}" if c in row else f"NULL::VARCHAR AS {c}" for c in MATCH_COLUMNS
        )

    con = duckdb.connect()
    rules = " OR ".join(f"({rule})" for rule in MatchingConfig().blocking_rules)
    found = con.execute(
        f"SELECT {rules} FROM (SELECT {side(left)}) AS l, (SELECT {side(right)}) AS r"
    ).fetchone()[0]
    return bool(found)


def test_blocking_finds_pairs_whose_both_names_are_wrong() -> None:
    base = {"first_name_key": "jye", "last_name_key": "churches", "birth_date": "1920-02-10",
            "postcode": "4151", "city": "labrador", "address": "1 fraser court"}  # fmt: skip
    # names swapped and one mistyped, the birth date and postcode kept
    swapped = {**base, "first_name_key": "churches", "last_name_key": "jyeq",
               "address": "1 fraser scourt"}  # fmt: skip
    assert _candidate(base, swapped)
    # both names changed (a nickname and a new surname), no birth date: the same address
    moved = {"first_name_key": "matilda", "last_name_key": "satterley", "postcode": "3056",
             "city": "kedron", "address": "5 eugenia street"}  # fmt: skip
    renamed = {**moved, "first_name_key": "daniel", "last_name_key": "smith"}
    assert _candidate(moved, renamed)
    # the same address with a mistyped postcode, in the same city
    assert _candidate(moved, {**renamed, "postcode": "3065"})
    # strangers with nothing in common are not compared
    assert not _candidate(base, renamed)


@pytest.mark.parametrize(
    ("rule", "keys"),
    [
        ("l.phone = r.phone", ["phone"]),
        (
            "l.postcode = r.postcode AND substr(l.last_name_key, 1, 1) = "
            "substr(r.last_name_key, 1, 1)",
            ["postcode", "SUBSTRING(last_name_key, 1, 1)"],
        ),
        ("r.city = l.city", ["city"]),
        # no block of its own to measure: a swap, an inequality, one side only
        ("l.first_name_key = r.last_name_key", None),
        ("l.birth_date = r.birth_date AND l.postcode <> r.postcode", None),
        ("l.city = 'Paris'", None),
    ],
)
def test_equality_keys_of_blocking_rules(rule: str, keys: list[str] | None) -> None:
    from personae.unify.matching.blocking import equality_keys

    assert equality_keys(rule) == keys


def test_blocks_larger_than_the_cap_are_not_compared(engine: Engine, tmp_path: Path) -> None:
    """An address shared by more records than ``max_block_records`` blocks no pair: its
    records still meet through the other rules (here, the same name in the postcode)."""
    names = ["source", "record_id", "first_name", "last_name", "birth_date", "postcode",
             "city", "address", "email", "phone"]  # fmt: skip
    first = ["Anne", "Paul", "Zoé", "Marc", "Inès", "Hugo", "Lina", "Théo"]
    people = [
        # eight strangers at one address of a big city, in four postcodes
        ("crm", str(i), first[i], f"Nom{i}", None, f"7500{i % 4}", "Paris",
         "1 rue de la paix", None, None)
        for i in range(8)
    ] + [
        # one of them again, in another source, at the same address and postcode
        ("shop", "0", "Anne", "Nom0", None, "75000", "Paris", "1 rue de la paix", None, None)
    ]  # fmt: skip
    rows = [dict(zip(names, person, strict=True)) for person in people]
    for row in rows:
        row["last_name_key"] = str(row["last_name"]).lower()
        row["first_name_key"] = str(row["first_name"]).lower()
    write_records(engine, rows)
    only_address = ["l.address = r.address AND l.city = r.city"]
    settings = {"enabled": True, "threshold_match_probability": 0.0, "blocking_diagnostics": True}
    model = Path(__file__).parent / "data" / "matching_model.json"
    copy = tmp_path / "matching.json"
    copy.write_text(model.read_text())
    uncapped = MatchingConfig(**settings, blocking_rules=only_address, max_block_records=None)
    result = score_pairs(engine, "records", uncapped, copy, full=True)
    assert result.blocking_pairs == {only_address[0]: 36}  # 9 records: every pair
    capped = MatchingConfig(**settings, blocking_rules=only_address, max_block_records=8)
    result = score_pairs(engine, "records", capped, copy, full=True)
    assert result.blocking_pairs == {only_address[0]: 0}
    assert engine.count(EDGES_TABLE) == 0
    with_name = [*only_address, "l.first_name_key = r.first_name_key AND l.postcode = r.postcode"]
    capped = MatchingConfig(**settings, blocking_rules=with_name, max_block_records=8)
    score_pairs(engine, "records", capped, copy, full=True)
    assert _pairs(engine) == {(("crm", "0"), ("shop", "0"))}


def _edited(value: str, edits: int, rng: random.Random) -> str:
    """``value`` after ``edits`` random substitutions, insertions, deletions or swaps."""
    alphabet = "0123456789abé-"
    chars = list(value)
    for _ in range(edits):
        at = rng.randrange(len(chars) + 1)
        kind = rng.choice(("sub", "ins", "del", "swap"))
        if kind == "ins" or not chars:
            chars.insert(at, rng.choice(alphabet))
        elif kind == "swap" and at + 1 < len(chars):
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
        elif kind == "del":
            del chars[min(at, len(chars) - 1)]
        else:
            chars[min(at, len(chars) - 1)] = rng.choice(alphabet)
    return "".join(chars)


def test_edit_distance_levels_say_what_damerau_levenshtein_says() -> None:
    # each Damerau-Levenshtein level runs a cheap Levenshtein bound first: it must hold
    # for exactly the pairs Damerau-Levenshtein alone holds for
    import duckdb
    from splink import SettingsCreator

    from personae.unify.matching.model import comparisons

    rng = random.Random(7)
    pairs = [("", ""), ("ab", "ba"), ("é", "e"), ("abc", "ca"), ("1234", "2143")]
    for _ in range(20_000):
        value = "".join(rng.choice("0123456789aé") for _ in range(rng.randrange(1, 13)))
        pairs.append((value, _edited(value, rng.randrange(0, 6), rng)))
    settings = SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="uid", comparisons=comparisons()
    ).create_settings_dict("duckdb")
    con = duckdb.connect()
    checked = 0
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            sql = str(level["sql_condition"])
            found = re.search(r'damerau_levenshtein\("(\w+)_l", "\w+_r"\) <= (\d+)', sql)
            if found is None:
                continue
            column, threshold = found.group(1), int(found.group(2))
            con.execute(f"CREATE OR REPLACE TABLE p ({column}_l VARCHAR, {column}_r VARCHAR)")
            con.executemany("INSERT INTO p VALUES (?, ?)", pairs)
            differ, near = con.execute(
                f"""SELECT count(*) FILTER (WHERE ({sql}) IS DISTINCT FROM
                           (damerau_levenshtein({column}_l, {column}_r) <= {threshold})),
                           count(*) FILTER (WHERE damerau_levenshtein({column}_l, {column}_r)
                                            BETWEEN {threshold} AND {threshold + 1})
                    FROM p"""
            ).fetchone()
            assert differ == 0, (column, threshold)
            assert near > 1000  # the pairs test the edge of the level
            checked += 1
    # birth date, postcode, and the two levels of phone
    assert checked == 4


def test_block_sizes_count_the_records_sharing_each_key() -> None:
    import duckdb

    from personae.unify.matching.blocking import with_block_sizes

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'ann', '75001'), (2, 'amy', '75001'), "
        "(3, 'bob', '75001'), (4, 'ann', NULL), (5, NULL, '69001')) AS v(uid, name, postcode)"
    )
    rules = [
        "l.postcode = r.postcode AND substr(l.name, 1, 1) = substr(r.name, 1, 1)",
        "l.name = r.name",
        "l.name = r.postcode",  # no block of its own: no size
    ]
    sql = with_block_sizes("t", ["uid"], rules)
    sizes = con.execute(f"SELECT * FROM ({sql}) ORDER BY uid").fetchall()
    # (uid, block of rule 0, block of rule 1); NULL keys are in no block
    assert sizes == [(1, 2, 2), (2, 2, 1), (3, 1, 1), (4, None, 2), (5, None, None)]


def _scored(engine: Engine, table: str) -> list[tuple[str, str, str, str, float]]:
    return sorted(
        (str(sl), str(rl), str(sr), str(rr), round(float(w), 6))
        for sl, rl, sr, rr, w in engine.rows(
            f"SELECT source_l, record_id_l, source_r, record_id_r, match_weight FROM {table}"
        )
    )


def test_near_misses_are_the_pairs_within_the_review_band(engine: Engine, tmp_path: Path) -> None:
    _write(engine)
    model = tmp_path / "matching.json"
    none = MatchingConfig(enabled=True, threshold_match_probability=0.9, review_band=0)
    assert score_pairs(engine, "records", none, model).near_misses == 0
    assert engine.count(NEAR_MISSES_TABLE) == 0

    wide = none.model_copy(update={"review_band": 40.0})
    result = score_pairs(engine, "records", wide, model)
    assert _pairs(engine) == TRUE_PAIRS  # the band adds no edge
    near = _scored(engine, NEAR_MISSES_TABLE)
    assert result.near_misses == len(near) > 0
    threshold = threshold_weight(0.9)
    assert all(threshold - 40 <= w < threshold for *_, w in near)
    edges = {pair[:4] for pair in _scored(engine, EDGES_TABLE)}
    assert not edges & {pair[:4] for pair in near}
    assert all((sl, rl) < (sr, rr) for sl, rl, sr, rr, _ in near)  # smaller record left

    narrow = none.model_copy(update={"review_band": 2.0})
    score_pairs(engine, "records", narrow, model)
    assert _scored(engine, NEAR_MISSES_TABLE) == [p for p in near if p[4] >= threshold - 2]

    # an incremental run (one record changed) keeps the near misses a full run finds
    score_pairs(engine, "records", wide, model)
    engine.execute(
        "UPDATE records SET first_name = 'Sofie' WHERE source = 'shop' AND record_id = '3'"
    )
    incremental = score_pairs(engine, "records", wide, model)
    assert incremental.incremental
    after = _scored(engine, NEAR_MISSES_TABLE)
    score_pairs(engine, "records", wide, model, full=True)
    assert _scored(engine, NEAR_MISSES_TABLE) == after


def test_records_of_one_part_are_not_compared_and_a_split_part_is_scored_again(
    engine: Engine, tmp_path: Path
) -> None:
    """Pairs inside one deterministic part decide nothing: they are not scored. When the
    part splits (the records' own values unchanged), incremental scoring scores them."""
    _write(engine)
    config = MatchingConfig(enabled=True, threshold_match_probability=0.9)
    model = tmp_path / "matching.json"
    score_pairs(engine, "records", config, model)
    assert _pairs(engine) == TRUE_PAIRS

    def parts(*together: tuple[str, str]) -> str:
        """Every record alone, but ``together`` in part 1."""
        joined = " OR ".join(f"(source = '{s}' AND record_id = '{r}')" for s, r in together)
        joined = joined or "false"
        return (
            "SELECT source, record_id, CASE WHEN "
            f"{joined} THEN 1 ELSE 100 + row_number() OVER () END AS comp FROM records"
        )

    one_part = parts(("crm", "1"), ("shop", "1"), ("crm", "2"))
    joined = score_pairs(engine, "records", config, model, parts=one_part)
    assert _pairs(engine) == TRUE_PAIRS - {(("crm", "1"), ("shop", "1"))}
    assert joined.edges == len(TRUE_PAIRS) - 1

    # crm:2 leaves the part: its key changes, it alone is scored again, and the pair
    # inside the part stays unscored
    smaller = score_pairs(
        engine, "records", config, model, parts=parts(("crm", "1"), ("shop", "1"))
    )
    assert smaller.incremental and smaller.scored == 1
    assert _pairs(engine) == TRUE_PAIRS - {(("crm", "1"), ("shop", "1"))}

    # the part splits: shop:1 keeps no key of its old part, so it is scored again and
    # finds crm:1, whose values never changed
    split = score_pairs(engine, "records", config, model, parts=parts())
    assert split.incremental
    assert _pairs(engine) == TRUE_PAIRS
