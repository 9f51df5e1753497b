"""Person ids survive re-runs; merges keep the oldest id, splits keep the majority."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from helpers.unify import T0, Run, groups, history, person_of, write_records
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.unify import resolve_person_id

T1 = T0 + dt.timedelta(days=1)
T2 = T0 + dt.timedelta(days=2)


def mapping(engine: Engine) -> dict[str, int]:
    return {
        f"{s}/{r}": int(p)
        for s, r, p in engine.rows("SELECT source, record_id, person_id FROM identity_map")
    }


def persons(engine: Engine) -> dict[int, tuple[dt.datetime, int | None, int]]:
    return {
        int(p): (created, merged, int(n))
        for p, created, merged, n in engine.rows(
            "SELECT person_id, created_at, merged_into, records FROM persons"
        )
    }


BASE: list[dict[str, Any]] = [
    {"source": "crm", "record_id": "A", "email": "alice.martin@mail.fr", "customer_id": "C1"},
    {"source": "web", "record_id": "A1", "email": "alice.martin@mail.fr"},
    {"source": "crm", "record_id": "B", "phone": "+33611111234", "customer_id": "C2"},
    {"source": "crm", "record_id": "C", "first_name": "Carl"},
]


def test_new_ids_follow_the_smallest_record(engine: Engine, run: Run) -> None:
    write_records(engine, BASE)
    run()
    assert mapping(engine) == {"crm/A": 1, "web/A1": 1, "crm/B": 2, "crm/C": 3}
    assert persons(engine) == {1: (T0, None, 2), 2: (T0, None, 1), 3: (T0, None, 1)}


def test_a_rerun_keeps_every_id(engine: Engine, run: Run) -> None:
    write_records(engine, BASE)
    run()
    before = mapping(engine), persons(engine)
    report = run(run_id="r2", now=T1)
    assert (mapping(engine), persons(engine)) == before
    assert report.merges == report.splits == report.new_persons == 0
    assert history(engine, "merge") == history(engine, "split") == []


def test_adding_records_keeps_ids(engine: Engine, run: Run) -> None:
    # the new records sort before the old ones: ids must not follow them
    write_records(engine, BASE)
    run()
    before = mapping(engine)
    write_records(
        engine,
        [
            {"source": "app", "record_id": "0", "customer_id": "C2"},
            {"source": "app", "record_id": "1", "email": "zoe@mail.fr"},
            {"source": "app", "record_id": "2"},
        ],
        replace=False,
    )
    report = run(run_id="r2", now=T1)
    after = mapping(engine)
    assert {k: after[k] for k in before} == before
    assert after["app/0"] == before["crm/B"]
    assert (after["app/1"], after["app/2"]) == (4, 5)
    assert report.new_persons == 2
    assert persons(engine)[2] == (T0, None, 2)
    assert persons(engine)[4] == (T1, None, 1)


def test_a_merge_keeps_the_older_id(engine: Engine, run: Run) -> None:
    bob = {"source": "crm", "record_id": "B", "phone": "+33611111234"}
    alice = [
        {"source": "crm", "record_id": "A", "email": "alice.martin@mail.fr"},
        {"source": "web", "record_id": "A1", "email": "alice.martin@mail.fr"},
    ]
    write_records(engine, [bob])
    run(now=T0)  # B gets id 1
    write_records(engine, [bob, *alice])
    run(run_id="r2", now=T1)  # A and A1 get id 2
    assert mapping(engine) == {"crm/B": 1, "crm/A": 2, "web/A1": 2}
    # a new record links Alice's email and B's phone
    link = {"source": "shop", "record_id": "L", "email": "alice.martin@mail.fr"}
    link["phone"] = "+33611111234"
    write_records(engine, [bob, *alice, link])
    report = run(run_id="r3", now=T2)
    assert set(mapping(engine).values()) == {1}
    assert report.merges == 1
    found = persons(engine)
    assert found[1] == (T0, None, 4)
    assert found[2] == (T1, 1, 0)
    (merge,) = history(engine, "merge")
    assert (merge["person_id"], merge["other_person_id"], merge["run_id"]) == (1, 2, "r3")
    assert (merge["id_type"], merge["id_value"]) == ("email", "alice.martin@mail.fr")
    assert "linked by email alice.martin@mail.fr" in merge["reason"]
    assert merge["at"] == T2
    assert resolve_person_id(engine, 2) == 1
    assert resolve_person_id(engine, 1) == 1


def test_retired_ids_resolve_through_chains(engine: Engine, run: Run) -> None:
    rows: list[dict[str, Any]] = [{"source": "s", "record_id": "X", "loyalty_id": "LX"}]
    write_records(engine, rows)
    run(now=T0)  # X: 1
    rows.append({"source": "s", "record_id": "Y", "device_id": "DY"})
    write_records(engine, rows)
    run(run_id="r2", now=T1)  # Y: 2
    rows.append({"source": "s", "record_id": "Z", "anonymous_id": "AZ"})
    write_records(engine, rows)
    run(run_id="r3", now=T2)  # Z: 3
    # Y and Z merge (Z retired into Y), then X and Y merge (Y retired into X)
    rows.append({"source": "t", "record_id": "YZ", "device_id": "DY", "anonymous_id": "AZ"})
    write_records(engine, rows)
    run(run_id="r4", now=T2)
    assert persons(engine)[3][1] == 2
    rows.append({"source": "t", "record_id": "XY", "loyalty_id": "LX", "device_id": "DY"})
    write_records(engine, rows)
    run(run_id="r5", now=T2)
    assert persons(engine)[2][1] == 1
    assert persons(engine)[3][1] == 2  # history kept: 3 -> 2 -> 1
    assert resolve_person_id(engine, 3) == 1
    assert set(mapping(engine).values()) == {1}


def test_resolve_unknown_person(engine: Engine, run: Run) -> None:
    with pytest.raises(NotFoundError):
        resolve_person_id(engine, 1)
    write_records(engine, BASE)
    run()
    with pytest.raises(NotFoundError, match="person 42"):
        resolve_person_id(engine, 42)


def test_a_split_keeps_the_id_on_the_majority(engine: Engine, run: Run) -> None:
    phone = "+33622222345"
    rows: list[dict[str, Any]] = [
        {"source": "crm", "record_id": "A", "email": "bob.l@mail.fr"},
        {"source": "crm", "record_id": "B", "email": "bob.l@mail.fr", "phone": phone},
        {"source": "crm", "record_id": "E", "email": "bob.l@mail.fr"},
        {"source": "sms", "record_id": "C", "phone": phone},
        {"source": "sms", "record_id": "D", "phone": phone},
    ]
    write_records(engine, rows)
    run()
    assert set(mapping(engine).values()) == {1}
    # B's phone is corrected: C and D are no longer linked to Bob
    rows[1] = {"source": "crm", "record_id": "B", "email": "bob.l@mail.fr"}
    write_records(engine, rows)
    report = run(run_id="r2", now=T1)
    after = mapping(engine)
    assert after["crm/A"] == after["crm/B"] == after["crm/E"] == 1
    assert after["sms/C"] == after["sms/D"] == 2
    assert report.splits == 1
    (split,) = history(engine, "split")
    assert (split["person_id"], split["other_person_id"]) == (1, 2)
    assert split["reason"].startswith("2 of 5 records of person 1")
    assert persons(engine) == {1: (T0, None, 3), 2: (T1, None, 2)}


def test_a_split_tie_goes_to_the_smallest_record(engine: Engine, run: Run) -> None:
    rows: list[dict[str, Any]] = [
        {"source": "b", "record_id": "1", "user_id": "U1"},
        {"source": "a", "record_id": "9", "user_id": "U1", "email": "tie.case@mail.fr"},
        {"source": "c", "record_id": "1", "email": "tie.case@mail.fr"},
        {"source": "c", "record_id": "2", "email": "tie.case@mail.fr"},
    ]
    write_records(engine, rows)
    run()
    rows[1] = {"source": "a", "record_id": "9", "user_id": "U1"}
    write_records(engine, rows)
    run(run_id="r2", now=T1)
    # two parts of two records: the one holding a/9 keeps the id
    assert groups(engine) == {frozenset({"a/9", "b/1"}), frozenset({"c/1", "c/2"})}
    assert person_of(engine, "a", "9") == 1
    assert person_of(engine, "c", "1") == 2


def test_a_split_and_a_merge_in_one_run(engine: Engine, run: Run) -> None:
    rows: list[dict[str, Any]] = [
        {"source": "s", "record_id": "1", "email": "p.one@mail.fr"},
        {"source": "s", "record_id": "2", "email": "p.one@mail.fr", "loyalty_id": "L7"},
        {"source": "s", "record_id": "3", "loyalty_id": "L7"},
        {"source": "s", "record_id": "4", "device_id": "D4"},
        {"source": "s", "record_id": "5", "device_id": "D4"},
    ]
    write_records(engine, rows)
    run()
    assert mapping(engine) == {"s/1": 1, "s/2": 1, "s/3": 1, "s/4": 2, "s/5": 2}
    # record 3 leaves person 1 and joins person 2
    rows[1] = {"source": "s", "record_id": "2", "email": "p.one@mail.fr"}
    rows[2] = {"source": "s", "record_id": "3", "loyalty_id": "L7", "device_id": "D4"}
    write_records(engine, rows)
    report = run(run_id="r2", now=T1)
    assert mapping(engine) == {"s/1": 1, "s/2": 1, "s/3": 2, "s/4": 2, "s/5": 2}
    assert (report.splits, report.merges, report.new_persons) == (1, 0, 0)
    (split,) = history(engine, "split")
    assert (split["person_id"], split["other_person_id"]) == (1, 2)
    assert "now person 2" in split["reason"]


def test_records_without_identifiers_keep_their_ids(engine: Engine, run: Run) -> None:
    rows = [{"source": "crm", "record_id": str(i), "first_name": "Ann"} for i in range(3)]
    write_records(engine, rows)
    run()
    before = mapping(engine)
    write_records(engine, [{"source": "crm", "record_id": "00"}, *rows])
    run(run_id="r2", now=T1)
    after = mapping(engine)
    assert {k: after[k] for k in before} == before
    assert after["crm/00"] == 4


def test_the_oldest_id_survives_even_when_larger(engine: Engine, run: Run) -> None:
    rows: list[dict[str, Any]] = [
        {"source": "crm", "record_id": "A", "loyalty_id": "L1"},
        {"source": "crm", "record_id": "B", "device_id": "D1"},
    ]
    write_records(engine, rows)
    run()
    assert mapping(engine) == {"crm/A": 1, "crm/B": 2}
    # person 2 was created first (e.g. restored from an earlier warehouse)
    engine.execute("UPDATE persons SET created_at = ? WHERE person_id = 2", [T0 - T1 + T0])
    rows.append({"source": "crm", "record_id": "C", "loyalty_id": "L1", "device_id": "D1"})
    write_records(engine, rows)
    report = run(run_id="r2", now=T1)
    assert set(mapping(engine).values()) == {2}
    assert report.merges == 1
    assert persons(engine)[1][1:] == (2, 0)
    assert resolve_person_id(engine, 1) == 2
