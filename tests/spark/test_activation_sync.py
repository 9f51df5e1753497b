"""The sync's SQL on Spark: a file destination's full sync, then a 1% change diffed,
give the same files, diffs and state as on DuckDB; and a journey-fed audience and an
identifier change (removal then addition) are diffed alike."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from helpers.audience import Person, Recorder, set_people
from personae.activate.sync import Options, run_destination
from personae.config.loader import parse_config
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.engine.duckdb import DuckDBEngine
from personae.engine.spark import SparkEngine

T0 = dt.datetime(2026, 5, 1, 9, 0)
N = 400

CONFIG = """
sources: {}
segments:
  vip: {all: [{trait: record_count, ">=": 1}]}
journeys:
  ads: {entry: {segment: vip}, steps: [{audience: {add: fans}}]}
destinations:
  lake:
    type: file
    audience: vip
    path: out/vip.csv
    fields: {Email: email, Prenom: first_name}
    purpose: email_marketing
    diff_files: true
  crm:
    type: webhook
    audience: vip
    url: http://127.0.0.1:9/hook
    fields: [email, first_name]
    purpose: email_marketing
  fans:
    type: webhook
    audience: {journey: ads}
    url: http://127.0.0.1:9/hook
    fields: [email]
    purpose: advertising
"""


def crowd() -> list[Person]:
    return [
        Person(i, f"p{i}@corp.fr", first_name=f"N{i}", consent=i % 10 != 0) for i in range(1, N + 1)
    ]


def read(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "out" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Keyed(Recorder):
    identity_fields: tuple[str, ...] = ("email",)


def journey_rows(
    engine: Engine, rows: list[tuple[int, dt.datetime | None, dt.datetime | None]]
) -> None:
    engine.write_arrow(
        "journey_audience_members",
        pa.table(
            {
                "destination": pa.array(["fans"] * len(rows), pa.string()),
                "person_id": pa.array([r[0] for r in rows], pa.int64()),
                "journey": pa.array(["ads"] * len(rows), pa.string()),
                "added_at": pa.array([r[1] for r in rows], pa.timestamp("us")),
                "removed_at": pa.array([r[2] for r in rows], pa.timestamp("us")),
            }
        ),
        mode="replace",
    )
    ids = sorted({r[0] for r in rows} | {p.person_id for p in crowd()})
    engine.write_arrow(
        "persons",
        pa.table(
            {
                "person_id": pa.array(ids, pa.int64()),
                "created_at": pa.array([T0] * len(ids), pa.timestamp("us")),
                # person 1000 was merged into person 5
                "merged_into": pa.array([5 if i == 1000 else None for i in ids], pa.int64()),
                "records": pa.array([1] * len(ids), pa.int64()),
            }
        ),
        mode="replace",
    )


def scenario(engine: Engine, config: ProjectConfig, root: Path) -> dict[str, Any]:
    """Full sync, a 1% change, the journey audience and an identifier change."""
    out: dict[str, Any] = {}
    people = crowd()
    set_people(engine, people)
    first = run_destination(engine, config, root, "lake", Options(now=T0))
    out["first"] = (first.status, first.added, first.updated, first.removed, first.members)
    out["first_file"] = read(root, "vip.csv")
    # 1%: two e-mails change, one person leaves the segment, one withdraws
    people[0].email = "changed1@corp.fr"
    people[1].first_name = "Renamed"
    people[2].vip = False
    people[3].consent = False
    set_people(engine, people)
    second = run_destination(engine, config, root, "lake", Options(now=T0))
    out["second"] = (second.status, second.added, second.updated, second.removed)
    out["second_file"] = read(root, "vip.csv")
    out["diffs"] = {k: read(root, f"vip.{k}.csv") for k in ("added", "updated", "removed")}
    out["state"] = sorted(
        (int(p), str(f))
        for p, f in engine.rows(
            "SELECT person_id, fingerprint FROM destination_state WHERE destination = 'lake'"
        )
    )
    # a journey audience: latest row an addition, merged persons as the survivor
    journey_rows(
        engine,
        [
            (5, T0, None),
            (6, T0, None),
            (6, None, T0 + dt.timedelta(hours=1)),
            (7, None, T0),
            (7, T0 + dt.timedelta(hours=2), None),
            (1000, T0, None),
            (10, T0, None),  # no consent: held back
        ],
    )
    fans = Recorder(max_batch=100)
    report = run_destination(
        engine, config, root, "fans", Options(now=T0, connectors={"fans": fans})
    )
    out["fans"] = (sorted(fans.kinds()), report.members, report.held_back)
    # an identifier change on a connector that knows members by e-mail
    run_destination(
        engine, config, root, "crm", Options(now=T0, connectors={"crm": Keyed(max_batch=1000)})
    )
    people[4].email = "changed5@corp.fr"
    people[5].first_name = "Other"
    set_people(engine, people)
    keyed = Keyed(max_batch=1000)
    run_destination(engine, config, root, "crm", Options(now=T0, connectors={"crm": keyed}))
    out["crm"] = [(c.kind, c.person_id, c.fields["email"]) for c in keyed.received]
    out["crm_calls"] = keyed.calls
    return out


def test_the_sync_gives_duckdbs_answer_on_spark(tmp_path: Path) -> None:
    config = parse_config(CONFIG)
    duck = DuckDBEngine(str(tmp_path / "duck.duckdb"))
    try:
        expected = scenario(duck, config, tmp_path / "duck")
    finally:
        duck.close()
    spark = SparkEngine(str(tmp_path / "warehouse"), master="local[1]")
    try:
        got = scenario(spark, config, tmp_path / "spark")
    finally:
        spark.close()
    assert expected["first"] == ("ok", 360, 0, 0, 360)
    assert expected["second"] == ("ok", 0, 2, 2)
    assert [r["person_id"] for r in expected["diffs"]["removed"]] == ["3", "4"]
    assert expected["fans"] == ([("add", 5), ("add", 7)], 2, 1)
    assert expected["crm"] == [
        ("remove", 5, "p5@corp.fr"),
        ("update", 6, "p6@corp.fr"),
        ("add", 5, "changed5@corp.fr"),
    ]
    assert expected["crm_calls"] == 2
    for key in expected:
        assert got[key] == expected[key], key
