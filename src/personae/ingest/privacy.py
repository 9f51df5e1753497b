"""What ingest removes for privacy: rows of erased persons and rows past retention.

* **Suppression.** Before a file's rows land in ``raw_<source>``, the distinct values
  of every identity column (e-mail, phone, ids; mixed columns under both kinds) are
  checked against the suppression list (:mod:`personae.protect.suppression`), in
  Python, once per distinct value; rows holding a suppressed value are dropped. An empty
  list costs nothing. Collected messages are checked on ``user_id``, ``anonymous_id``,
  ``previous_id`` and the e-mail and phone of their traits.
* **Retention.** A source with ``retention: 3y`` loses, on every ingest, the raw rows
  older than that: by the event timestamp of an events source, else ``updated_at``,
  else (or when the date cannot be read) the time the row was loaded. Collected events
  whose ``source`` is that source go by their timestamp.

Both are counted in ``ingest_removals`` (counts only, never values) and in ``status``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from personae.catalog import INGEST_REMOVALS, RAW_COLLECTED
from personae.config.models import ProjectConfig
from personae.config.sources import SourceConfig, retention_days
from personae.engine import Engine
from personae.protect.suppression import Suppression
from personae.sql import ident, literal

SUPPRESSED = "suppressed"
RETENTION = "retention"
_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("reason", pa.string()),
        ("rows", pa.int64()),
        ("at", pa.timestamp("us")),
    ]
)
#: identifiers of a collected message: (kind, SQL over raw_collected)
COLLECTED_IDENTIFIERS: tuple[tuple[str, str], ...] = (
    ("user_id", "user_id"),
    ("anonymous_id", "anonymous_id"),
    ("anonymous_id", "previous_id"),
    ("email", "json_extract_string(payload, '$.traits.email')"),
    ("email", "json_extract_string(payload, '$.context.traits.email')"),
    ("phone", "json_extract_string(payload, '$.traits.phone')"),
    ("phone", "json_extract_string(payload, '$.context.traits.phone')"),
)


def column_sql(column: str) -> str:
    """A source column; ``a.b`` reads key ``b`` of the JSON column ``a``."""
    if "." in column:
        head, _, path = column.partition(".")
        return f"nullif(trim(json_extract_string({ident(head)}, {literal('$.' + path)})), '')"
    return f"nullif(trim({ident(column)}), '')"


def identity_columns(
    config: ProjectConfig, source: SourceConfig
) -> list[tuple[str, str, str | None]]:
    """(kind, SQL of the column, phone region) of every identity column of a source."""
    identity = set(config.identity_fields)
    region = config.defaults.phone_region
    found: list[tuple[str, str, str | None]] = []
    for name, spec in source.field_specs().items():
        kinds = spec.mixed or ((name,) if name in identity else ())
        for kind in kinds:
            found.append((kind, column_sql(spec.column), spec.region or region))
    return found


def drop_suppressed(
    engine: Engine,
    table: str,
    suppression: Suppression,
    columns: Sequence[tuple[str, str, str | None]],
) -> int:
    """Delete the rows of ``table`` holding a suppressed value; returns how many."""
    if not suppression:
        return 0
    conditions = []
    for kind, sql, region in columns:
        values = [
            row[0]
            for row in engine.rows(f"SELECT DISTINCT {sql} FROM {table} WHERE {sql} IS NOT NULL")
        ]
        hits = suppression.matching(kind, values, region)
        if hits:
            conditions.append(f"{sql} IN ({', '.join(literal(v) for v in hits)})")
    if not conditions:
        return 0
    before = engine.count(table)
    engine.execute(f"DELETE FROM {table} WHERE {' OR '.join(conditions)}")
    return before - engine.count(table)


def date_sql(source: SourceConfig) -> str:
    """The SQL date a raw row of ``source`` is aged by (see the module's docstring)."""
    spec = source.event.timestamp if source.event else source.updated_at
    if spec is None:
        return "_loaded_at"
    value = column_sql(spec.column)
    parsed = (
        f"try_strptime({value}, {literal(spec.format)})"
        if spec.format
        else f"CAST(TRY_CAST({value} AS TIMESTAMPTZ) AS TIMESTAMP)"
    )
    return f"coalesce({parsed}, _loaded_at)"


def cutoff(retention: str, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=retention_days(retention))


def apply_retention(
    engine: Engine, raw: str, name: str, source: SourceConfig, now: dt.datetime
) -> int:
    """Delete the rows of ``raw`` (and collected events of source ``name``) older than
    the source's retention; returns how many raw rows went."""
    if source.retention is None:
        return 0
    limit = literal(cutoff(source.retention, now).isoformat(sep=" "))
    removed = 0
    if engine.table_exists(raw):
        before = engine.count(raw)
        engine.execute(f"DELETE FROM {raw} WHERE {date_sql(source)} < CAST({limit} AS TIMESTAMP)")
        removed = before - engine.count(raw)
    if engine.table_exists(RAW_COLLECTED):
        before = engine.count(RAW_COLLECTED)
        engine.execute(
            f"DELETE FROM {RAW_COLLECTED} WHERE source = {literal(name)} "
            f"AND timestamp < CAST({limit} AS TIMESTAMP)"
        )
        removed += before - engine.count(RAW_COLLECTED)
    return removed


def record_removals(engine: Engine, removals: list[tuple[str, str, int]]) -> None:
    """Append (source, reason, rows) counts to ``ingest_removals``."""
    if not engine.table_exists(INGEST_REMOVALS):
        engine.write_arrow(INGEST_REMOVALS, _SCHEMA.empty_table(), mode="append")
    kept = [r for r in removals if r[2]]
    if not kept:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    engine.write_arrow(
        INGEST_REMOVALS,
        pa.table(
            {
                "source": [r[0] for r in kept],
                "reason": [r[1] for r in kept],
                "rows": [r[2] for r in kept],
                "at": [now] * len(kept),
            },
            schema=_SCHEMA,
        ),
        mode="append",
    )


def removal_counts(engine: Engine) -> list[tuple[str, str, int]]:
    """(source, reason, rows) summed over every run, for ``status``."""
    if not engine.table_exists(INGEST_REMOVALS):
        return []
    return [
        (str(s), str(r), int(n))
        for s, r, n in engine.rows(
            f"SELECT source, reason, sum(rows) FROM {INGEST_REMOVALS} GROUP BY 1, 2 ORDER BY 1, 2"
        )
    ]
