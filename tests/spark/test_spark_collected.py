"""Events collected by several collectors into one shared folder reach Spark.

Two collectors (ids ``a1`` and ``b1``) write side by side into ``collect.events_dir``;
one retried message reached both. A DuckDB project and a Spark project reading that
folder load the same events once each, and stitch and count them the same way.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers.collect import basic, new_key

pytest.importorskip("pyspark")

from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.collect.flush import parquet_files
from personae.config import load_config
from personae.pipeline import run
from personae.project import Project

CONFIG = """
as_of: 2026-11-01
{engine}
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {{customer_id: id, user_id: id, email: email, first_name: first}}
traits:
  order_count: {{aggregate: count, event: Order Completed}}
  revenue: {{aggregate: sum, event: Order Completed, of: revenue}}
collect:
  flush_seconds: 60
  events_dir: {events}
"""

SPARK = "engine:\n  type: spark\n  master: local[2]"


def message(number: int, user: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "userId": user,
        "event": "Order Completed",
        "messageId": f"m{number}",
        "properties": {"revenue": float(number)},
        "timestamp": f"2026-10-{10 + number:02d}T10:00:00Z",
        **extra,
    }


def collect(root: Path, collector_id: str, messages: list[dict[str, Any]]) -> None:
    collector = Collector(root, load_config(root).collect, collector_id=collector_id)
    with TestClient(create_app(collector)) as client:
        key = new_key(root)
        response = client.post("/v1/batch", json={"batch": messages}, headers=basic(key))
        assert response.status_code == 200, response.text
        collector.flush()


def test_collectors_side_by_side_reach_spark(tmp_path: Path) -> None:
    events = tmp_path / "shared-events"
    roots = {}
    for name, engine in (("duckdb", ""), ("spark", SPARK)):
        root = tmp_path / name
        root.mkdir()
        (root / "personae.yml").write_text(
            textwrap.dedent(CONFIG.format(engine=engine, events=events)), encoding="utf-8"
        )
        (root / "crm.csv").write_text("id,email,first\nu1,jeanne@mail.fr,Jeanne\n")
        roots[name] = root
    collect(roots["duckdb"], "a1", [message(1, "u1"), message(2, "u1"), message(3, "u2")])
    # m3 again: a client retry that reached the other collector
    collect(roots["duckdb"], "b1", [message(3, "u2"), message(4, "u1")])
    names = sorted(p.name.split("-")[1] for p in parquet_files(events))
    assert names == ["a1", "b1"]

    loaded = {}
    for name, root in roots.items():
        with Project.load(root) as project:
            run(project)
            engine = project.engine
            loaded[name] = (
                sorted(engine.rows("SELECT message_id, user_id FROM raw_collected")),
                sorted(engine.rows("SELECT file, rows FROM collected_files")),
                sorted(
                    engine.rows(
                        "SELECT m.record_id, t.order_count, t.revenue FROM traits AS t "
                        "JOIN identity_map AS m ON m.person_id = t.person_id "
                        "WHERE m.source = 'crm'"
                    )
                ),
            )
    assert loaded["duckdb"][0] == [("m1", "u1"), ("m2", "u1"), ("m3", "u2"), ("m4", "u1")]
    assert loaded["duckdb"][2] == [("u1", 3, 7.0)]
    assert loaded["spark"] == loaded["duckdb"]
