"""Deterministic stitching and its guards: blocked values, generic values, households."""

from __future__ import annotations

import pytest

from helpers.unify import Run, groups, guards, history, person_of, write_records
from personae.config.identity import BlockedValues, IdentityConfig, IdentityTypeRule
from personae.config.models import ProjectConfig
from personae.config.sources import CustomField
from personae.engine import Engine
from personae.errors import ProjectError


def identifiers(engine: Engine) -> set[tuple[str, str, str, str]]:
    return {
        (str(s), str(r), str(t), str(v)) for s, r, t, v in engine.rows("SELECT * FROM identifiers")
    }


def test_a_chain_of_shared_identifiers_is_one_person(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "marie.curie@mail.fr"},
            {
                "source": "crm",
                "record_id": "B",
                "email": "marie.curie@mail.fr",
                "phone": "+33612345670",
            },
            {"source": "shop", "record_id": "C", "phone": "+33612345670"},
            {"source": "shop", "record_id": "D", "phone": "+33698765432"},
        ],
    )
    report = run()
    assert groups(engine) == {frozenset({"crm/A", "crm/B", "shop/C"}), frozenset({"shop/D"})}
    assert report.records == 4
    assert report.persons == 2
    assert report.merges == report.splits == report.dropped_links == 0
    assert engine.rows("SELECT count(*), count(DISTINCT person_id) FROM identity_map") == [(4, 2)]
    persons = engine.rows("SELECT person_id, merged_into, records FROM persons ORDER BY 1")
    assert persons == [(1, None, 3), (2, None, 1)]


def test_records_without_identifiers_are_their_own_person(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "first_name": "Marie"},
            {"source": "crm", "record_id": "B", "first_name": "Marie"},
            {"source": "web", "record_id": "C", "anonymous_id": "anon-1"},
        ],
    )
    report = run()
    assert groups(engine) == {
        frozenset({"crm/A"}),
        frozenset({"crm/B"}),
        frozenset({"web/C"}),
    }
    assert report.persons == 3
    assert identifiers(engine) == {("web", "C", "anonymous_id", "anon-1")}


def test_a_transitive_chain_of_many_hops_is_one_person(engine: Engine, run: Run) -> None:
    # a path: record i holds device d<i // 2> and anonymous id a<(i + 1) // 2> (within
    # the limits of 20 devices and 200 anonymous ids)
    rows = [
        {
            "source": "app",
            "record_id": f"r{i:03}",
            "device_id": f"d{i // 2:03}",
            "anonymous_id": f"a{(i + 1) // 2:03}",
        }
        for i in range(36)
    ]
    write_records(engine, rows)
    run()
    assert groups(engine) == {frozenset(f"app/r{i:03}" for i in range(36))}


def test_blocked_values_do_not_link(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "test@test.com", "phone": "+33000000000"},
            {"source": "crm", "record_id": "B", "email": "test@test.com", "phone": "+33000000000"},
            {"source": "shop", "record_id": "C", "customer_id": "N/A"},
            {"source": "shop", "record_id": "D", "customer_id": "n/a"},
            {"source": "shop", "record_id": "E", "email": "noreply@shop.fr"},
            {"source": "shop", "record_id": "F", "email": "noreply@shop.fr"},
        ],
    )
    report = run()
    assert all(len(group) == 1 for group in groups(engine))
    found = guards(engine)
    assert {key for key, (guard, _, _) in found.items() if guard == "blocked"} == {
        ("email", "test@test.com"),
        ("phone", "+33000000000"),
        ("customer_id", "N/A"),
        ("customer_id", "n/a"),
        ("email", "noreply@shop.fr"),
    }
    assert found[("email", "test@test.com")][1] == 2
    assert "^test@test" in found[("email", "test@test.com")][2]
    assert report.blocked_values == 5
    assert identifiers(engine) == set()
    logged = {(row["id_type"], row["id_value"]) for row in history(engine, "blocked")}
    assert ("email", "test@test.com") in logged and len(logged) == 5


def test_blocked_values_from_the_configuration(engine: Engine, run: Run) -> None:
    config = ProjectConfig(
        identity=IdentityConfig(
            blocked=BlockedValues(literals=["ACME"], patterns={"loyalty_id": ["^TMP-"]})
        )
    )
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "customer_id": "acme", "loyalty_id": "tmp-1"},
            {"source": "crm", "record_id": "B", "customer_id": "acme", "loyalty_id": "tmp-1"},
            {"source": "crm", "record_id": "C", "email": "test@test.com"},
            {"source": "crm", "record_id": "D", "email": "test@test.com"},
        ],
    )
    run(config)
    # the default test@test.com pattern is replaced by the configured ones
    assert groups(engine) == {
        frozenset({"crm/A"}),
        frozenset({"crm/B"}),
        frozenset({"crm/C", "crm/D"}),
    }
    assert {k for k, v in guards(engine).items() if v[0] == "blocked"} == {
        ("customer_id", "acme"),
        ("loyalty_id", "tmp-1"),
    }


def test_a_generic_value_stops_linking_and_is_reported(engine: Engine, run: Run) -> None:
    names = ["Marie", "Paul", "Jeanne", "Louis", "Sophie", "Hugo", "Emma"]
    rows = [
        {
            "source": "crm",
            "record_id": f"R{i}",
            "email": "contact@acme-corp.fr",
            "first_name": name,
            "customer_id": f"C{i}",
        }
        for i, name in enumerate(names)
    ]
    # Marie's record again: still linked to her by her customer id
    rows.append(
        {"source": "crm", "record_id": "R7", "customer_id": "C0", "email": "contact@acme-corp.fr"}
    )
    write_records(engine, rows)
    report = run()
    assert report.generic_values == 1
    assert groups(engine) == {
        frozenset({"crm/R0", "crm/R7"}),
        *(frozenset({f"crm/R{i}"}) for i in range(1, 7)),
    }
    guard, records, reason = guards(engine)[("email", "contact@acme-corp.fr")]
    assert (guard, records) == ("generic", 8)
    assert "7 different first names" in reason
    assert [row["id_value"] for row in history(engine, "generic")] == ["contact@acme-corp.fr"]
    assert not any(t == "email" for _, _, t, _ in identifiers(engine))


def test_a_value_shared_by_few_names_is_not_generic(engine: Engine, run: Run) -> None:
    config = ProjectConfig(identity=IdentityConfig(generic_threshold=3))
    names = ["Marie", "Paul", "Jeanne"]
    rows = [
        {"source": "crm", "record_id": f"R{i}", "loyalty_id": "L1", "first_name": name}
        for i, name in enumerate(names)
    ]
    write_records(engine, rows)
    run(config)
    assert groups(engine) == {frozenset({"crm/R0", "crm/R1", "crm/R2"})}
    rows.append({"source": "crm", "record_id": "R3", "loyalty_id": "L1", "first_name": "Luc"})
    write_records(engine, rows)
    run(config, run_id="r2")
    assert len(groups(engine)) == 4
    assert guards(engine)[("loyalty_id", "L1")][0] == "generic"


def test_a_household_sharing_a_phone_stays_two_people(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {
                "source": "crm",
                "record_id": "mother",
                "phone": "+33612345678",
                "first_name": "Marie",
                "birth_date": "1975-03-02",
            },
            {
                "source": "crm",
                "record_id": "son",
                "phone": "+33612345678",
                "first_name": "Paul",
                "birth_date": "2004-11-20",
            },
            # the mother again, with a typo in her first name and her birth date
            {
                "source": "shop",
                "record_id": "m2",
                "phone": "+33612345678",
                "first_name": "Mari",
                "birth_date": "1975-03-02",
            },
            # the son again: same first name, no birth date
            {"source": "shop", "record_id": "s2", "phone": "+33612345678", "first_name": "paul"},
        ],
    )
    report = run()
    assert groups(engine) == {
        frozenset({"crm/mother", "shop/m2"}),
        frozenset({"crm/son", "shop/s2"}),
    }
    assert report.household_splits == 1
    guard, records, _ = guards(engine)[("phone", "+33612345678")]
    assert (guard, records) == ("household", 4)
    # the split value still links (part of) its records
    assert ("crm", "mother", "phone", "+33612345678") in identifiers(engine)


def test_a_typo_with_the_same_birth_date_stays_one_person(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {
                "source": "crm",
                "record_id": "A",
                "email": "jo.martin@mail.fr",
                "first_name": "Jonathan",
                "birth_date": "1990-01-15",
            },
            {
                "source": "shop",
                "record_id": "B",
                "email": "jo.martin@mail.fr",
                "first_name": "Johnatan",
                "birth_date": "1990-01-15",
            },
        ],
    )
    report = run()
    assert groups(engine) == {frozenset({"crm/A", "shop/B"})}
    assert report.household_splits == 0


def test_typo_variants_rejoin_inside_a_split_household(engine: Engine, run: Run) -> None:
    phone = "+33611223344"
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "phone": phone, "first_name": "Jonathan",
             "birth_date": "1990-01-15"},
            # a distance-2 typo, same birth date: joins A through the birth date
            {"source": "crm", "record_id": "B", "phone": phone, "first_name": "Johnatan",
             "birth_date": "1990-01-15"},
            # a distance-1 typo without birth date: joins A through the close first name
            {"source": "crm", "record_id": "C", "phone": phone, "first_name": "Jonathn"},
            {"source": "crm", "record_id": "D", "phone": phone, "first_name": "Claire",
             "birth_date": "1992-06-30"},
            # an event without names: it cannot tell who it is
            {"source": "sms", "record_id": "E", "phone": phone},
            {"source": "sms", "record_id": "F", "phone": phone},
        ],
    )  # fmt: skip
    run()
    assert groups(engine) == {
        frozenset({"crm/A", "crm/B", "crm/C"}),
        frozenset({"crm/D"}),
        frozenset({"sms/E", "sms/F"}),
    }


def test_household_safety_follows_the_configuration(engine: Engine, run: Run) -> None:
    rows = [
        {"source": "crm", "record_id": "A", "phone": "+33612345678", "first_name": "Marie"},
        {"source": "crm", "record_id": "B", "phone": "+33612345678", "first_name": "Paul"},
    ]
    write_records(engine, rows)
    run()
    assert len(groups(engine)) == 2
    types = dict(IdentityConfig().types)
    types["phone"] = IdentityTypeRule(priority=5, limit=5, household_safe=False)
    run(ProjectConfig(identity=IdentityConfig(types=types)), run_id="r2")
    assert len(groups(engine)) == 1


def test_custom_identity_fields_link(engine: Engine, run: Run) -> None:
    config = ProjectConfig(
        custom_fields={
            "member_no": CustomField(type="number", identity=True),
            "segment": CustomField(),
        }
    )
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "member_no": 1234.0, "segment": "x"},
            {"source": "club", "record_id": "B", "member_no": 1234.0, "segment": "x"},
            {"source": "club", "record_id": "C", "member_no": 99.0, "segment": "x"},
        ],
        extra=(("member_no", "DOUBLE"), ("segment", "VARCHAR")),
    )
    run(config)
    assert groups(engine) == {frozenset({"crm/A", "club/B"}), frozenset({"club/C"})}
    assert person_of(engine, "crm", "A") == person_of(engine, "club", "B")


def test_empty_records(engine: Engine, run: Run) -> None:
    write_records(engine, [])
    report = run()
    assert report.records == report.persons == 0
    for table in ("identity_map", "persons", "identifiers", "identity_guards"):
        assert engine.count(table) == 0


def test_missing_records_table(engine: Engine, run: Run) -> None:
    with pytest.raises(ProjectError, match="no table records yet: run `personae clean`"):
        run()


def test_working_tables_are_dropped(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "a.b@mail.fr", "customer_id": "C1"},
            {"source": "crm", "record_id": "B", "email": "a.b@mail.fr", "customer_id": "C2"},
        ],
    )
    run()
    left = engine.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%unify%'"
    )
    assert left == []


def test_a_failed_run_leaves_the_last_results_and_no_working_tables(
    engine: Engine, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "a.b@mail.fr"},
            {"source": "crm", "record_id": "B", "email": "a.b@mail.fr", "customer_id": "C1"},
        ],
    )
    run()
    before = engine.rows("SELECT * FROM identity_map ORDER BY 1, 2")

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("personae.unify.stable_ids.assign_person_ids", fail)
    with pytest.raises(RuntimeError):
        run(run_id="r2")
    assert engine.rows("SELECT * FROM identity_map ORDER BY 1, 2") == before
    left = engine.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%unify%'"
    )
    assert left == []
