"""The "done when" of erasure: a demo person across every source plus collected events
is exported, erased, re-imported and replayed, and none of their values is anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from helpers.collect import basic, new_key
from personae.catalog import IDENTITY_MAP
from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.config import load_config
from personae.demo import generate_demo
from personae.pipeline import run
from personae.privacy.access import access_export, write_access_export
from personae.privacy.erasure import erase
from personae.privacy.models import tf_files
from personae.privacy.person import Selector, find_person
from personae.project import Project
from personae.protect.audit import AUDIT_FILE, AuditLog
from personae.unify.matching.records import INPUT_SQL

pytestmark = pytest.mark.slow


def _post_events(root: Path, user_id: str, email: str) -> int:
    """The person's SDK: an identify with their e-mail and two tracks, then flushed."""
    collector = Collector(root, load_config(root).collect)
    key = new_key(root)
    messages = [
        {"type": "identify", "userId": user_id, "messageId": "m-identify",
         "traits": {"email": email}},
        {"type": "track", "userId": user_id, "event": "Product Viewed", "messageId": "m-view"},
        {"type": "track", "anonymousId": "anon-erased-1", "userId": user_id,
         "event": "Added To Cart", "messageId": "m-cart"},
    ]  # fmt: skip
    with TestClient(create_app(collector)) as client:
        response = client.post("/v1/batch", json={"batch": messages}, headers=basic(key))
        assert response.status_code == 200
        collector.flush()
    return collector.suppressed


def _values_in_tables(project: Project, values: set[str]) -> list[str]:
    engine = project.engine
    found = []
    for table in engine.tables():
        for column in engine.columns(table):
            hits = engine.scalar(
                f'SELECT count(*) FROM "{table}" WHERE '
                + " OR ".join(f'contains(CAST("{column}" AS VARCHAR), ?)' for _ in values),
                sorted(values),
            )
            if hits:
                found.append(f"{table}.{column}")
    return found


def _values_in_files(folder: Path, values: set[str]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {v}" for v in values if v.encode() in data]
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("erase")
    generate_demo(400, root, seed=11)
    project = Project.load(root)
    yield project
    project.close()


def _richest_person(project: Project) -> tuple[int, str, str]:
    """The person held by the most sources, with a CRM user id and an e-mail."""
    row = project.engine.rows(
        f"""
        SELECT m.person_id, any_value(r.user_id) FILTER (WHERE r.source = 'crm'),
               any_value(r.email) FILTER (WHERE r.source = 'crm')
        FROM {IDENTITY_MAP} m JOIN records r USING (source, record_id)
        GROUP BY m.person_id
        HAVING count(*) FILTER (WHERE r.source = 'crm') = 1
           AND any_value(r.email) FILTER (WHERE r.source = 'crm') IS NOT NULL
        ORDER BY count(DISTINCT m.source) DESC, m.person_id LIMIT 1
        """
    )[0]
    return int(row[0]), str(row[1]), str(row[2])


def _own_match_values(project: Project, person_ids: list[int]) -> dict[str, set[str]]:
    """Per term-frequency column: the values in its file that only the person holds."""
    ids = ", ".join(map(str, person_ids))
    found = {}
    for column, file in tf_files(project.root).items():
        held = {str(v) for v in pq.read_table(file)[column].to_pylist() if v is not None}
        rows = project.engine.rows(
            f"SELECT CAST(i.{column} AS VARCHAR) FROM ({INPUT_SQL.format(table='records')}) i "
            f"JOIN {IDENTITY_MAP} m USING (source, record_id) WHERE i.{column} IS NOT NULL "
            f"GROUP BY 1 HAVING bool_and(m.person_id IN ({ids}))"
        )
        found[column] = {str(r[0]) for r in rows} & held
    return found


def _left_in_model(root: Path, values: dict[str, set[str]]) -> list[str]:
    files = tf_files(root)
    return [
        f"{column}: {v}"
        for column, gone in values.items()
        for v in gone & set(pq.read_table(files[column])[column].to_pylist())
    ]


def test_a_person_is_exported_then_erased_everywhere_and_stays_erased(
    demo: Project, tmp_path: Path
) -> None:
    root = demo.root
    run(demo)
    _, user_id, email = _richest_person(demo)
    assert _post_events(root, user_id, email) == 0
    run(demo)

    # access: every source that holds the person, and the collected events
    person = find_person(demo, Selector(email=email.upper()))
    held = {s for s, _ in person.records}
    export = access_export(demo, person)
    assert set(export.sections["sources"]) | {"web"} >= held - {"web"}
    assert {s for s in held if s in demo.config.sources} == set(export.sections["sources"])
    assert len(export.sections["collected_events"]) == 3
    assert export.sections["profile"] and export.sections["profile_lineage"]
    out = tmp_path / "access.json"
    write_access_export(export, out)
    assert json.loads(out.read_text())["person_ids"] == person.person_ids
    assert len(held) >= 4

    values = {v for _, v in person.own_identifiers if len(v) >= 6}
    assert email in values and user_id in values

    # the model's term frequencies hold the person's rarer values (e-mail local part…)
    model_values = _own_match_values(demo, person.person_ids)
    assert sum(map(len, model_values.values())) >= 1

    dry = erase(demo, person, Selector(email=email), dry_run=True)
    assert dry.tables and find_person(demo, Selector(email=email)).person_ids
    assert dry.models and _own_match_values(demo, person.person_ids) == model_values

    report = erase(demo, person, Selector(email=email))
    assert report.tables.keys() == dry.tables.keys() and report.models == dry.models
    assert _left_in_model(root, model_values) == []
    assert report.files  # the collected Parquet file was rewritten
    erasures = list(AuditLog(root).entries("privacy.erase"))
    assert [e["details"]["dry_run"] for e in erasures] == [True, False]
    assert erasures[-1]["details"]["request_id"] == report.request_id
    assert erasures[-1]["details"]["tables"] == report.tables
    logged = (root / AUDIT_FILE).read_text()
    assert not [v for v in values if v in logged]

    # a new CRM export (one more customer: the file is read again) and the SDK's replay
    crm = root / "data" / "crm.csv"
    lines = crm.read_text(encoding="utf-8").splitlines()
    crm.write_text("\n".join([*lines, lines[-1].replace(lines[-1].split(",")[0], "C-NEW", 1)])
                   + "\n", encoding="utf-8")  # fmt: skip
    assert _post_events(root, user_id, email) == 3  # answered 200, dropped
    reports: Any = run(demo)
    assert reports.get("ingest").rows_suppressed == 1  # the CRM row
    # the pruned model still scores, incrementally: no remaining pair's score changed
    unify = reports.get("unify")
    assert not unify.model_trained and unify.match_scored < unify.match_records / 10
    assert _left_in_model(root, model_values) == []

    assert _values_in_tables(demo, values) == []
    demo.close()
    assert _values_in_files(demo.state_dir, values) == []
    with pytest.raises(Exception, match="no person found"):
        find_person(demo, Selector(email=email))

    # a full rebuild: the warehouse deleted, every unchanged source file loaded again;
    # the suppression list lives outside the warehouse and still drops the person's rows
    demo.close()
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        (demo.state_dir / name).unlink(missing_ok=True)
    rebuilt: Any = run(demo)
    assert rebuilt.get("ingest").rows_suppressed >= len(held - {"web"})
    assert _values_in_tables(demo, values) == []
    with pytest.raises(Exception, match="no person found"):
        find_person(demo, Selector(email=email))
    with pytest.raises(Exception, match="no person found"):
        find_person(demo, Selector(user_id=user_id))
    demo.close()
    assert _values_in_files(demo.state_dir, values) == []
