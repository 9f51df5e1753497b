"""Probabilistic edges in the identity graph: crafted cases, each asserted.

The model is fixed (``data/matching_model.json``, trained without labels on the demo
data) so every case is deterministic; a background population gives the term
frequencies a realistic spread.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("splink")

from helpers.unify import T0, person_of, write_records
from personae.config.identity import IdentityConfig
from personae.config.matching import MatchingConfig
from personae.config.models import ProjectConfig
from personae.config.overrides import IdentityOverrides
from personae.engine import Engine
from personae.unify import ResolveReport, resolve_identities
from personae.unify.inspection import explain_person, explain_records, find_duplicates
from personae.unify.matching import model_path

MODEL = Path(__file__).parent / "data" / "matching_model.json"

FIRST = ["arthur", "beatrice", "cedric", "delphine", "etienne", "florence", "gaston", "helene"]
LAST = ["aubert", "barbier", "carpentier", "deschamps", "esnault", "fontaine", "guillot"]
LAST += ["hamon", "jacob", "lemoine", "marchal", "noel", "olivier", "perrot", "quere"]


def background() -> list[dict[str, Any]]:
    """120 distinct people, one CRM row each, sharing nothing with the crafted cases."""
    rows = []
    for i, (first, last) in enumerate(itertools.product(FIRST, LAST)):
        rows.append(
            {
                "source": "crm",
                "record_id": f"B{i:03d}",
                "customer_id": f"B{i:03d}",
                "first_name": first.title(),
                "last_name_key": last,
                "birth_date": (dt.date(1950, 1, 1) + dt.timedelta(days=97 * i)).isoformat(),
                "postcode": f"{10000 + 331 * i}",
                "city": f"ville{i % 40}",
            }
        )
    return rows


def person(source: str, record_id: str, first: str, last: str, **more: Any) -> dict[str, Any]:
    """A record named ``first`` (as written) ``last`` (already a key)."""
    plain = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    return {
        "source": source,
        "record_id": record_id,
        "first_name": first,
        "first_name_key": plain.lower(),
        "last_name_key": last,
        **more,
    }


def matching_config(**identity: Any) -> ProjectConfig:
    identity.setdefault("matching", MatchingConfig(enabled=True))
    return ProjectConfig(identity=IdentityConfig(**identity))


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    target = model_path(tmp_path)
    target.parent.mkdir(parents=True)
    shutil.copy(MODEL, target)
    return tmp_path


def resolve(
    engine: Engine,
    project_dir: Path,
    config: ProjectConfig | None = None,
    *,
    run_id: str = "r1",
    full: bool = False,
    now: dt.datetime = T0,
) -> ResolveReport:
    return resolve_identities(
        engine,
        config or matching_config(),
        run_id,
        now,
        project_dir=project_dir,
        full=full,
    )


def same(engine: Engine, a: tuple[str, str], b: tuple[str, str]) -> bool:
    return person_of(engine, *a) == person_of(engine, *b)


def partition(engine: Engine) -> set[frozenset[tuple[str, str]]]:
    groups: dict[int, set[tuple[str, str]]] = {}
    for source, record_id, person_id in engine.rows(
        "SELECT source, record_id, person_id FROM identity_map"
    ):
        groups.setdefault(int(person_id), set()).add((str(source), str(record_id)))
    return {frozenset(g) for g in groups.values()}


def test_typo_and_accent_variants_join(engine: Engine, project_dir: Path) -> None:
    write_records(
        engine,
        [
            *background(),
            person(
                "crm",
                "H1",
                "Hélène",
                "dubois",
                birth_date="1980-03-14",
                postcode="75011",
                city="Paris",
                email="helene.dubois@example.com",
                customer_id="H1",
            ),
            person(
                "loyalty",
                "L1",
                "HELENE",
                "dubios",
                birth_date="1980-03-14",
                postcode="75011",
                loyalty_id="L1",
            ),
        ],
    )
    report = resolve(engine, project_dir)
    assert not report.model_trained  # the saved model is reused
    assert same(engine, ("crm", "H1"), ("loyalty", "L1"))
    assert report.match_linked >= 1
    # the background stays one person per record
    assert len(partition(engine)) == 121


def test_swapped_first_and_last_names_join(engine: Engine, project_dir: Path) -> None:
    write_records(
        engine,
        [
            *background(),
            person(
                "crm",
                "J1",
                "Jean",
                "martin",
                birth_date="1975-07-02",
                postcode="69003",
                city="Lyon",
                customer_id="J1",
            ),
            person(
                "support",
                "S1",
                "Martin",
                "jean",
                birth_date="1975-07-02",
                postcode="69003",
                city="Lyon",
            ),
        ],
    )
    resolve(engine, project_dir)
    assert same(engine, ("crm", "J1"), ("support", "S1"))


def test_namesakes_in_one_town_stay_apart_and_the_chain_between_them_is_cut(
    engine: Engine, project_dir: Path
) -> None:
    write_records(
        engine,
        [
            *background(),
            person(
                "crm",
                "N1",
                "Sophie",
                "bernard",
                birth_date="1962-01-05",
                postcode="33000",
                city="Bordeaux",
                customer_id="N1",
            ),
            person(
                "loyalty",
                "N2",
                "Sophie",
                "bernard",
                birth_date="1999-06-21",
                postcode="33000",
                city="Bordeaux",
                loyalty_id="N2",
            ),
            # no birth date: it could join either, but not both
            person("shop", "N3", "Sophie", "bernard", postcode="33000", city="Bordeaux"),
        ],
    )
    resolve(engine, project_dir)
    assert not same(engine, ("crm", "N1"), ("loyalty", "N2"))
    # the undated record joins at most one of them
    assert not (
        same(engine, ("shop", "N3"), ("crm", "N1"))
        and same(engine, ("shop", "N3"), ("loyalty", "N2"))
    )


def test_conflicting_birth_dates_reject_a_strong_match(engine: Engine, project_dir: Path) -> None:
    """Everything agrees but the birth dates: the edge is rejected, not followed."""
    home = {"postcode": "44000", "city": "Nantes", "address": "3 rue crebillon"}
    write_records(
        engine,
        [
            *background(),
            person(
                "crm",
                "T1",
                "Yann",
                "le goff",
                birth_date="1961-04-02",
                customer_id="T1",
                phone="+33611223344",
                email="yann.legoff@example.com",
                **home,
            ),
            person(
                "orders",
                "T2",
                "Yann",
                "le goff",
                birth_date="1994-10-30",
                phone="+33611223345",
                email="yann.legoff@example.org",
                **home,
            ),
        ],
    )
    resolve(
        engine,
        project_dir,
        matching_config(matching=MatchingConfig(enabled=True, threshold_match_probability=0.5)),
    )
    assert not same(engine, ("crm", "T1"), ("orders", "T2"))
    reasons = [
        str(r[0])
        for r in engine.rows("SELECT reason FROM identity_matches WHERE status = 'rejected'")
    ]
    assert any("conflicting birth dates" in r for r in reasons), reasons


def test_a_household_stays_two_people(engine: Engine, project_dir: Path) -> None:
    home = {
        "phone": "+33140000000",
        "postcode": "75005",
        "city": "Paris",
        "address": "5 rue des ecoles",
        "email": "famille.girard@example.com",
    }
    write_records(
        engine,
        [
            *background(),
            person(
                "crm", "G1", "Paul", "girard", birth_date="1970-01-01", customer_id="G1", **home
            ),
            person(
                "crm", "G2", "Claire", "girard", birth_date="1972-02-02", customer_id="G2", **home
            ),
            person("orders", "O1", "Claire", "girard", **home),
        ],
    )
    resolve(engine, project_dir)
    assert not same(engine, ("crm", "G1"), ("crm", "G2"))
    assert same(engine, ("crm", "G2"), ("orders", "O1"))


def test_a_chain_through_a_generic_value_is_cut(engine: Engine, project_dir: Path) -> None:
    shared = "+33645871234"
    rows = [
        person("shop", f"X{i}", first, last, phone=shared)
        for i, (first, last) in enumerate(
            [
                ("Alice", "roux"),
                ("Bruno", "faure"),
                ("Chloe", "andre"),
                ("David", "mercier"),
                ("Emma", "blanc"),
                ("Fabien", "guerin"),
                ("Gilles", "boyer"),
            ]
        )
    ]
    write_records(engine, [*background(), *rows])
    report = resolve(engine, project_dir)
    assert report.generic_values == 1
    assert engine.scalar("SELECT guard FROM identity_guards WHERE id_value = ?", [shared]) == (
        "generic"
    )
    persons = {person_of(engine, "shop", f"X{i}") for i in range(7)}
    assert len(persons) == 7


def test_two_customer_ids_of_one_source_stay_apart(engine: Engine, project_dir: Path) -> None:
    twin = {
        "birth_date": "1970-02-28",
        "postcode": "59000",
        "city": "Lille",
        "address": "7 rue nationale",
    }
    write_records(
        engine,
        [
            *background(),
            person("crm", "A1", "Anne", "leroy", customer_id="A1", **twin),
            person("crm", "A2", "Anne", "leroy", customer_id="A2", **twin),
        ],
    )
    resolve(engine, project_dir, on_conflict("keep_apart"))
    assert not same(engine, ("crm", "A1"), ("crm", "A2"))
    reason = engine.scalar("SELECT reason FROM identity_matches WHERE status = 'rejected'")
    assert "customer_id" in str(reason) and "crm" in str(reason)


def test_a_cannot_link_override_holds_across_reruns(engine: Engine, project_dir: Path) -> None:
    write_records(
        engine,
        [
            *background(),
            person(
                "crm",
                "H1",
                "Helene",
                "dubois",
                birth_date="1980-03-14",
                postcode="75011",
                customer_id="H1",
            ),
            person("loyalty", "L1", "Helene", "dubois", birth_date="1980-03-14", postcode="75011"),
        ],
    )
    resolve(engine, project_dir)
    assert same(engine, ("crm", "H1"), ("loyalty", "L1"))
    config = matching_config(overrides=IdentityOverrides(cannot_link=[("crm:H1", "loyalty:L1")]))
    for run_id in ("r2", "r3"):
        resolve(engine, project_dir, config, run_id=run_id)
        assert not same(engine, ("crm", "H1"), ("loyalty", "L1"))


def test_ids_are_stable_across_an_incremental_run_a_merge_and_a_split(
    engine: Engine, project_dir: Path
) -> None:
    x = person(
        "crm",
        "X1",
        "Luc",
        "petit",
        birth_date="1985-09-09",
        postcode="13001",
        city="Marseille",
        customer_id="X1",
    )
    y = person("shop", "Y1", "L", "petit", postcode="13100", city="Aix")
    write_records(engine, [*background(), x, y])
    first = resolve(engine, project_dir, run_id="r1")
    assert first.match_scored == first.match_records  # the first run scores everything
    px, py = person_of(engine, "crm", "X1"), person_of(engine, "shop", "Y1")
    assert px != py
    before = dict(
        ((str(s), str(r)), int(p))
        for s, r, p in engine.rows("SELECT source, record_id, person_id FROM identity_map")
    )

    # incremental: a new record attaches to X1's person; nobody's id changes
    z = person(
        "loyalty", "Z1", "Luc", "petit", birth_date="1985-09-09", postcode="13001", loyalty_id="Z1"
    )
    write_records(engine, [z], replace=False)
    second = resolve(engine, project_dir, run_id="r2", now=T0 + dt.timedelta(days=1))
    assert second.match_scored == 1
    assert person_of(engine, "loyalty", "Z1") == px
    for key, pid in before.items():
        assert person_of(engine, *key) == pid
    incremental = partition(engine)
    resolve(engine, project_dir, run_id="r2b", full=True, now=T0 + dt.timedelta(days=1))
    assert partition(engine) == incremental  # a full rebuild gives the same partition

    # merge: Y1 is corrected and now matches X1; the older id (X1's) survives
    engine.execute(
        "UPDATE records SET first_name = 'Luc', first_name_key = 'luc', "
        "birth_date = DATE '1985-09-09', postcode = '13001', city = 'Marseille' "
        "WHERE record_id = 'Y1'"
    )
    resolve(engine, project_dir, run_id="r3", now=T0 + dt.timedelta(days=2))
    assert person_of(engine, "shop", "Y1") == px
    merged_into = engine.scalar("SELECT merged_into FROM persons WHERE person_id = ?", [py])
    assert merged_into == px
    merge = engine.rows(
        "SELECT reason FROM identity_history WHERE action = 'merge' AND run_id = 'r3'"
    )
    assert len(merge) == 1 and "matched" in str(merge[0][0]) and "match weight" in str(merge[0][0])

    # split: Y1's birth date now contradicts X1's; X1's side (most records) keeps the id
    engine.execute("UPDATE records SET birth_date = DATE '2001-12-24' WHERE record_id = 'Y1'")
    resolve(engine, project_dir, run_id="r4", now=T0 + dt.timedelta(days=3))
    assert person_of(engine, "crm", "X1") == px
    assert person_of(engine, "loyalty", "Z1") == px
    py_new = person_of(engine, "shop", "Y1")
    assert py_new not in (px, py)
    split = engine.rows(
        "SELECT reason FROM identity_history WHERE action = 'split' AND run_id = 'r4'"
    )
    assert len(split) == 1 and "no longer linked" in str(split[0][0])


def test_a_size_limit_stops_a_cluster_growing(engine: Engine, project_dir: Path) -> None:
    same_person = [
        person(
            f"s{i}",
            f"R{i}",
            "Marcel",
            "pagnol",
            birth_date="1955-02-28",
            postcode="13005",
            city="Marseille",
        )
        for i in range(6)
    ]
    write_records(engine, [*background(), *same_person])
    config = matching_config(matching=MatchingConfig(enabled=True, max_cluster_records=4))
    resolve(engine, project_dir, config)
    sizes = sorted(len(g) for g in partition(engine) if any(s.startswith("s") for s, _ in g))
    assert max(sizes) <= 4
    assert sum(sizes) == 6


def test_explain_names_the_evidence_and_the_waterfall_adds_up(
    engine: Engine, project_dir: Path
) -> None:
    write_records(
        engine,
        [
            *background(),
            person(
                "crm",
                "H1",
                "Hélène",
                "dubois",
                birth_date="1980-03-14",
                postcode="75011",
                city="Paris",
                email="helene.dubois@gmail.com",
                customer_id="H1",
            ),
            person("orders", "O1", "Helene", "dubois", email="helene.dubois@gmail.com"),
            person(
                "loyalty",
                "L1",
                "HELENE",
                "dubios",
                birth_date="1980-03-14",
                postcode="75011",
                loyalty_id="L1",
            ),
        ],
    )
    config = matching_config()
    resolve(engine, project_dir, config)
    found = explain_records(engine, config, "orders:O1", "loyalty:L1", model_path(project_dir))
    assert found.same_person
    # the chain: a shared e-mail, then a probabilistic match with its weight
    assert [(s.id_type, s.id_value.split(" ")[0]) for s in found.chain] == [
        ("email", "helene.dubois@gmail.com"),
        ("match", "match"),
    ]
    pair = explain_records(engine, config, "crm:H1", "loyalty:L1", model_path(project_dir))
    assert pair.match is not None and pair.match.status == "linked"
    waterfall = pair.waterfall
    assert waterfall is not None
    assert waterfall.match_weight == pytest.approx(pair.match.match_weight, abs=1e-6)
    steps = {s.comparison: s for s in waterfall.steps}
    assert steps["birth_date"].weight > 0 and "Exact" in steps["birth_date"].level
    assert steps["first_name_key_last_name_key"].weight > 0
    person_id = person_of(engine, "crm", "H1")
    explained = explain_person(engine, person_id, config)
    assert {(m.a, m.b) for m in explained.matches} >= {("crm:H1", "loyalty:L1")}
    assert any(link.id_type == "email" for link in explained.links)


def double_sign_up(**changes: Any) -> list[dict[str, Any]]:
    """Anne Leroy signed up twice in the CRM: two customer ids, everything else equal."""
    same_person = {
        "birth_date": "1970-02-28",
        "postcode": "59000",
        "city": "Lille",
        "address": "7 rue nationale",
        "email": "anne.leroy@mail.fr",
    }
    return [
        *background(),
        person("crm", "A1", "Anne", "leroy", customer_id="A1", **same_person),
        person("crm", "A2", "Anne", "leroy", customer_id="A2", **{**same_person, **changes}),
    ]


def on_conflict(policy: str, certain: float = 0.999) -> ProjectConfig:
    types = dict(IdentityConfig().types)
    types["customer_id"] = types["customer_id"].model_copy(update={"on_conflict": policy})
    return matching_config(
        types=types, matching=MatchingConfig(enabled=True, certain_probability=certain)
    )


def merge_when_certain(certain: float = 0.999) -> ProjectConfig:
    return on_conflict("merge_when_certain", certain)


def test_a_double_sign_up_merges_when_certain_and_is_listed(
    engine: Engine, project_dir: Path
) -> None:
    write_records(engine, double_sign_up())
    resolve(engine, project_dir, on_conflict("keep_apart"))
    assert not same(engine, ("crm", "A1"), ("crm", "A2"))
    resolve(engine, project_dir, merge_when_certain(), run_id="r2")
    assert IdentityConfig().types["customer_id"].on_conflict == "merge_when_certain"
    assert same(engine, ("crm", "A1"), ("crm", "A2"))
    # the merged person keeps both ids, and the report names them
    ids = engine.rows(
        "SELECT id_value FROM identifiers WHERE id_type = 'customer_id' "
        "AND record_id IN ('A1', 'A2') ORDER BY 1"
    )
    assert ids == [("A1",), ("A2",)]
    [duplicate] = find_duplicates(engine, merge_when_certain())
    assert duplicate.person_id == person_of(engine, "crm", "A1")
    assert (duplicate.source, duplicate.id_type) == ("crm", "customer_id")
    assert (duplicate.value_a, duplicate.value_b) == ("A1", "A2")
    assert duplicate.probability is not None and duplicate.probability >= 0.999


def test_a_double_sign_up_below_certain_or_with_a_conflict_stays_apart(
    engine: Engine, project_dir: Path
) -> None:
    write_records(engine, double_sign_up())
    resolve(engine, project_dir, on_conflict("keep_apart"))
    probability = float(
        engine.scalar(
            "SELECT max(match_probability) FROM identity_matches WHERE status = 'rejected'"
        )
    )
    # an edge just below the certainty asked for does not merge
    assert probability < 1.0
    resolve(engine, project_dir, merge_when_certain(certain=1.0), run_id="r2")
    assert not same(engine, ("crm", "A1"), ("crm", "A2"))
    # two birth dates are a hard conflict, however strong the edge
    write_records(engine, double_sign_up(birth_date="1985-11-03"))
    resolve(engine, project_dir, merge_when_certain(certain=0.5), run_id="r3", full=True)
    assert not same(engine, ("crm", "A1"), ("crm", "A2"))
    assert find_duplicates(engine, merge_when_certain()) == []
