"""Person-level overrides: merge_persons and split_persons, kept across re-runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpers.unify import T0, Run, person_of, write_records
from personae.config.identity import IdentityConfig
from personae.config.models import ProjectConfig
from personae.config.overrides import IdentityOverrides
from personae.engine import Engine

CHAIN = [
    {"source": "crm", "record_id": "A", "first_name": "Ana", "email": "ana.lopez@gmail.com"},
    {
        "source": "shop",
        "record_id": "B",
        "first_name": "Ana",
        "email": "ana.lopez@gmail.com",
        "phone": "+33645871290",
    },
    {"source": "web", "record_id": "C", "first_name": "Ana", "phone": "+33645871290"},
    {"source": "crm", "record_id": "D", "first_name": "Bob", "email": "bob.martin@free.fr"},
    {"source": "shop", "record_id": "E", "first_name": "Rob", "email": "rob.m@orange.fr"},
]


def config(**overrides: Any) -> ProjectConfig:
    return ProjectConfig(identity=IdentityConfig(overrides=IdentityOverrides(**overrides)))


def test_split_persons_separates_records_for_good(engine: Engine, run: Run) -> None:
    write_records(engine, CHAIN)
    run(run_id="r1")
    ana = person_of(engine, "crm", "A")
    assert person_of(engine, "web", "C") == ana

    split = config(split_persons=[{"person": ana, "records": ["web:C"]}])
    for day, run_id in enumerate(("r2", "r3", "r4"), start=1):
        report = run(split, run_id=run_id, now=T0 + dt.timedelta(days=day))
        assert not report.warnings
        assert person_of(engine, "crm", "A") == ana  # the majority keeps the id
        assert person_of(engine, "shop", "B") == ana
        assert person_of(engine, "web", "C") != ana
    reasons = [
        str(r[0])
        for r in engine.rows("SELECT reason FROM identity_history WHERE action = 'drop_link'")
    ]
    assert any("split_persons" in r for r in reasons), reasons
    splits = engine.rows("SELECT run_id FROM identity_history WHERE action = 'split'")
    assert [str(r[0]) for r in splits] == ["r2"]  # split once, never undone nor redone


def test_merge_persons_joins_them_and_the_older_id_survives(engine: Engine, run: Run) -> None:
    write_records(engine, CHAIN)
    run(run_id="r1")
    bob, rob = person_of(engine, "crm", "D"), person_of(engine, "shop", "E")
    assert bob != rob
    merge = config(merge_persons=[[rob, bob]])
    for day, run_id in enumerate(("r2", "r3"), start=1):
        run(merge, run_id=run_id, now=T0 + dt.timedelta(days=day))
        assert person_of(engine, "crm", "D") == person_of(engine, "shop", "E") == min(bob, rob)
    merged = engine.rows("SELECT run_id FROM identity_history WHERE action = 'merge'")
    assert [str(r[0]) for r in merged] == ["r2"]


def test_an_unknown_person_is_a_warning(engine: Engine, run: Run) -> None:
    write_records(engine, CHAIN)
    run(run_id="r1")
    report = run(config(merge_persons=[[1, 999]]), run_id="r2")
    assert any("person 999 does not exist" in w for w in report.warnings)
