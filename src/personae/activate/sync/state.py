"""The sync's own tables: what each destination holds (``destination_state``), every run
(``destination_runs``) and the changes that failed for good (``destination_dead_letters``).

Each acknowledged batch is written to ``destination_state`` as soon as the destination
acknowledges it, so a run that crashes resumes, on the next run, with what is left: the
diff against the state never holds what was acknowledged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pyarrow as pa

from personae.catalog import DESTINATION_DEAD_LETTERS, DESTINATION_RUNS, DESTINATION_STATE
from personae.engine import Engine
from personae.query.asof import timestamp_sql
from personae.sql import literal

_DDL = {
    DESTINATION_STATE: "destination VARCHAR, person_id BIGINT, fingerprint VARCHAR, "
    "payload VARCHAR, synced_at TIMESTAMP, run_id VARCHAR",
    DESTINATION_RUNS: "run_id VARCHAR, destination VARCHAR, started_at TIMESTAMP, "
    "finished_at TIMESTAMP, status VARCHAR, added BIGINT, updated BIGINT, removed BIGINT, "
    "failed BIGINT, error VARCHAR",
    DESTINATION_DEAD_LETTERS: "destination VARCHAR, run_id VARCHAR, person_id BIGINT, "
    "change VARCHAR, payload VARCHAR, reason VARCHAR, attempts BIGINT, failed_at TIMESTAMP",
}
_FAILED = "_activate_failed"


def ensure_tables(engine: Engine) -> None:
    for table, columns in _DDL.items():
        if not engine.table_exists(table):
            engine.execute(f"CREATE TABLE {table} ({columns})")


def start_run(engine: Engine, destination: str, run_id: str, now: dt.datetime) -> None:
    """Record the run as ``running``; a run of the destination still ``running`` was cut
    short (a crash): it becomes ``interrupted``."""
    running = f"destination = {literal(destination)} AND status = 'running'"
    if engine.scalar(f"SELECT count(*) FROM {DESTINATION_RUNS} WHERE {running}"):
        _update_runs(
            engine,
            running,
            {
                "status": "'interrupted'",
                "error": literal(
                    "the process stopped before the run finished; acknowledged changes "
                    "were kept and the next run sent the rest"
                ),
            },
        )
    engine.execute(
        f"INSERT INTO {DESTINATION_RUNS} VALUES ({literal(run_id)}, {literal(destination)}, "
        f"{timestamp_sql(now)}, CAST(NULL AS TIMESTAMP), 'running', 0, 0, 0, 0, "
        "CAST(NULL AS VARCHAR))"
    )


def finish_run(
    engine: Engine,
    run_id: str,
    *,
    status: str,
    counts: dict[str, int],
    failed: int,
    error: str | None,
    now: dt.datetime,
) -> None:
    _update_runs(
        engine,
        f"run_id = {literal(run_id)}",
        {
            "finished_at": timestamp_sql(now),
            "status": literal(status),
            "added": str(int(counts.get("add", 0))),
            "updated": str(int(counts.get("update", 0))),
            "removed": str(int(counts.get("remove", 0))),
            "failed": str(int(failed)),
            "error": "CAST(NULL AS VARCHAR)" if error is None else literal(error),
        },
    )


def _update_runs(engine: Engine, where: str, values: dict[str, str]) -> None:
    """``UPDATE destination_runs SET <values> WHERE <where>``, written as a rewrite of
    the table (it holds a row per run), which every engine runs: Spark's Parquet tables
    have no UPDATE. The rows keep their order."""
    kinds = dict(column.split(" ") for column in _DDL[DESTINATION_RUNS].split(", "))
    select = ", ".join(
        f"CAST(CASE WHEN {where} THEN {values[c]} ELSE {c} END AS {kinds[c]}) AS {c}"
        if c in values
        else c
        for c in DESTINATION_RUNS.columns
    )
    engine.create_table_as(DESTINATION_RUNS, f"SELECT {select} FROM {DESTINATION_RUNS}")


def acknowledge(
    engine: Engine,
    destination: str,
    run_id: str,
    changes: str,
    seqs: tuple[int, int],
    refused: Iterable[int],
    now: dt.datetime,
    *,
    had_dead_letters: bool = True,
    only_adds: bool = False,
) -> None:
    """Record that the destination holds the changes of table ``changes`` (``kind``,
    ``person_id``, ``payload``, ``fingerprint``, ``seq``) with ``seq`` in ``seqs``
    (inclusive), but the ``refused`` members: removals leave the state, additions and
    updates replace the member's row; their dead letters are delivered at last.
    ``only_adds``: the batch adds members only (none of which the state holds)."""
    lo, hi = seqs
    skip = ", ".join(str(int(p)) for p in refused)
    acked = f"SELECT person_id FROM {changes} WHERE seq BETWEEN {int(lo)} AND {int(hi)}" + (
        f" AND person_id NOT IN ({skip})" if skip else ""
    )
    where = f"destination = {literal(destination)} AND person_id IN ({acked})"
    if not only_adds:  # an added member has no state row to replace
        engine.execute(f"DELETE FROM {DESTINATION_STATE} WHERE {where}")
    if had_dead_letters:
        engine.execute(f"DELETE FROM {DESTINATION_DEAD_LETTERS} WHERE {where}")
    engine.execute(
        f"INSERT INTO {DESTINATION_STATE} SELECT {literal(destination)}, person_id, "
        f"fingerprint, payload, {timestamp_sql(now)}, {literal(run_id)} FROM {changes} "
        f"WHERE seq BETWEEN {int(lo)} AND {int(hi)} AND kind <> 'remove'"
        + (f" AND person_id NOT IN ({skip})" if skip else "")
    )


def has_dead_letters(engine: Engine, destination: str) -> bool:
    return bool(
        engine.scalar(
            f"SELECT count(*) FROM {DESTINATION_DEAD_LETTERS} WHERE destination = ?",
            [destination],
        )
    )


def apply_changes(
    engine: Engine, destination: str, run_id: str, changes: str, now: dt.datetime
) -> None:
    """The destination now holds what it held with every change of table ``changes``
    applied (a snapshot was written): only the changed members' rows are rewritten."""
    where = (
        f"destination = {literal(destination)} AND person_id IN (SELECT person_id FROM {changes})"
    )
    engine.execute(f"DELETE FROM {DESTINATION_STATE} WHERE {where}")
    engine.execute(f"DELETE FROM {DESTINATION_DEAD_LETTERS} WHERE {where}")
    engine.execute(
        f"INSERT INTO {DESTINATION_STATE} SELECT {literal(destination)}, person_id, "
        f"fingerprint, payload, {timestamp_sql(now)}, {literal(run_id)} FROM {changes} "
        "WHERE kind <> 'remove'"
    )


def dead_letter(
    engine: Engine,
    destination: str,
    run_id: str,
    failures: Iterable[tuple[str, int, str, str, int]],
    now: dt.datetime,
) -> int:
    """Record changes that failed for good: (kind, person_id, payload, reason, attempts).
    A member has at most one dead letter per destination; its attempts add up."""
    rows = list(failures)
    if not rows:
        return 0
    kinds, persons, payloads, reasons, attempts = zip(*rows, strict=True)
    table = pa.table(
        {
            "change": pa.array(kinds, pa.string()),
            "person_id": pa.array(persons, pa.int64()),
            "payload": pa.array(payloads, pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "attempts": pa.array(attempts, pa.int64()),
        }
    )
    engine.write_arrow(_FAILED, table, mode="replace")
    engine.execute(
        f"CREATE OR REPLACE TABLE {_FAILED} AS SELECT f.*, f.attempts + coalesce(d.attempts, 0) "
        f"AS total FROM {_FAILED} f LEFT JOIN {DESTINATION_DEAD_LETTERS} d ON "
        f"d.destination = {literal(destination)} AND d.person_id = f.person_id"
    )
    engine.execute(
        f"DELETE FROM {DESTINATION_DEAD_LETTERS} WHERE destination = ? AND person_id IN "
        f"(SELECT person_id FROM {_FAILED})",
        [destination],
    )
    engine.execute(
        f"INSERT INTO {DESTINATION_DEAD_LETTERS} SELECT {literal(destination)}, "
        f"{literal(run_id)}, person_id, change, payload, reason, total, "
        f"{timestamp_sql(now)} FROM {_FAILED}"
    )
    return len(rows)


def clear_dead_letters(engine: Engine, destination: str) -> int:
    """Forget a destination's dead letters so the next run's diff holds them again."""
    ensure_tables(engine)
    count = int(
        engine.scalar(
            f"SELECT count(*) FROM {DESTINATION_DEAD_LETTERS} WHERE destination = ?",
            [destination],
        )
        or 0
    )
    engine.execute(f"DELETE FROM {DESTINATION_DEAD_LETTERS} WHERE destination = ?", [destination])
    return count


def drop_scratch(engine: Engine) -> None:
    for table in (_FAILED,):
        engine.drop_table(table)
