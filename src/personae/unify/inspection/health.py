"""How healthy identity resolution looks: the figures of an identity dashboard.

``identity_health(engine)`` reads what the unify stage wrote (``persons``,
``identity_map``, ``identity_guards``, ``identity_matches``, ``identity_history``) and
returns one :class:`IdentityHealth`; a table the project has not built (matching off,
say) leaves its part empty. Every field is a plain JSON value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from personae.catalog import (
    IDENTITY_GUARDS,
    IDENTITY_HISTORY,
    IDENTITY_MAP,
    IDENTITY_MATCHES,
    PERSONS,
)
from personae.engine import Engine
from personae.query.tables import require_tables

#: the merge-size buckets: (label, fewest records, most records or None)
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5-9", 5, 9),
    ("10-19", 10, 19),
    ("20-49", 20, 49),
    ("50+", 50, None),
)


@dataclass(frozen=True)
class Cluster:
    """One of the largest persons: its records, and how many come from each source."""

    person_id: int
    records: int
    sources: dict[str, int]


@dataclass(frozen=True)
class GuardedValue:
    """An identifier value a guard stopped from linking records (``identity_guards``)."""

    id_type: str
    id_value: str
    guard: str
    records: int
    reason: str


@dataclass(frozen=True)
class LastRun:
    """What the last resolve that changed identities did: ``actions`` counts its
    ``identity_history`` rows per action (``merge``, ``split``, ``drop_link``,
    ``blocked``, ``generic``); ``at`` is ISO 8601, naive UTC."""

    run_id: str
    at: str
    actions: dict[str, int]

    @property
    def merges(self) -> int:
        return self.actions.get("merge", 0)

    @property
    def splits(self) -> int:
        return self.actions.get("split", 0)


@dataclass(frozen=True)
class IdentityHealth:
    """The identity dashboard.

    ``merge_sizes`` maps each bucket of :data:`BUCKETS` (``"1"``, … ``"50+"``) to the
    live persons with that many records; ``guards`` maps a guard type (``blocked``,
    ``generic``, ``household``) to its guarded values and ``guarded_records`` to the
    records holding them; ``matches`` counts probabilistic matches per status
    (``linked``, ``within``, ``rejected``)."""

    persons: int
    retired_persons: int
    records: int
    merge_sizes: dict[str, int]
    largest: tuple[Cluster, ...]
    guards: dict[str, int]
    guarded_records: dict[str, int]
    top_guarded: tuple[GuardedValue, ...]
    matches: dict[str, int]
    last_run: LastRun | None

    @property
    def records_per_person(self) -> float:
        return self.records / self.persons if self.persons else 0.0


def identity_health(engine: Engine, *, top: int = 10) -> IdentityHealth:
    """The identity dashboard's figures, with the ``top`` largest persons and the
    ``top`` guarded values holding most records. Raises MissingTableError before
    ``personae resolve`` ran."""
    require_tables(engine, [PERSONS, IDENTITY_MAP])
    live, retired = engine.rows(
        f"SELECT count(*) FILTER (WHERE merged_into IS NULL), "
        f"count(*) FILTER (WHERE merged_into IS NOT NULL) FROM {PERSONS}"
    )[0]
    records = engine.count(IDENTITY_MAP)
    return IdentityHealth(
        persons=int(live or 0),
        retired_persons=int(retired or 0),
        records=records,
        merge_sizes=merge_sizes(engine),
        largest=largest_clusters(engine, top),
        guards=_guards(engine, "count(*)"),
        guarded_records=_guards(engine, "sum(records)"),
        top_guarded=_top_guarded(engine, top),
        matches=_counts(engine, IDENTITY_MATCHES, "status"),
        last_run=last_run(engine),
    )


def live_persons(engine: Engine) -> int | None:
    """Persons live now (not merged into another); None before ``personae resolve``."""
    if not engine.table_exists(PERSONS):
        return None
    return int(engine.scalar(f"SELECT count(*) FROM {PERSONS} WHERE merged_into IS NULL") or 0)


def merge_sizes(engine: Engine) -> dict[str, int]:
    """Bucket label → live persons with that many records, every bucket present (read
    from ``persons.records``, which unify and erasure keep equal to ``identity_map``)."""
    cases = " ".join(
        f"WHEN records BETWEEN {low} AND {high} THEN '{label}'"
        if high is not None
        else f"WHEN records >= {low} THEN '{label}'"
        for label, low, high in BUCKETS
    )
    found = {
        str(bucket): int(persons)
        for bucket, persons in engine.rows(
            f"SELECT CASE {cases} END AS bucket, count(*) FROM {PERSONS} "
            "WHERE merged_into IS NULL GROUP BY bucket"
        )
        if bucket is not None
    }
    return {label: found.get(label, 0) for label, _, _ in BUCKETS}


def largest_clusters(engine: Engine, top: int = 10) -> tuple[Cluster, ...]:
    """The ``top`` live persons with most records (ties: the smaller id first), with
    their records per source."""
    biggest = [
        (int(person), int(n))
        for person, n in engine.rows(
            f"SELECT person_id, records FROM {PERSONS} WHERE merged_into IS NULL "
            f"ORDER BY records DESC, person_id LIMIT {int(top)}"
        )
    ]
    if not biggest:
        return ()
    sources: dict[int, dict[str, int]] = {}
    ids = ", ".join(str(person) for person, _ in biggest)
    for person, source, count in engine.rows(
        f"SELECT person_id, source, count(*) AS n FROM {IDENTITY_MAP} "
        f"WHERE person_id IN ({ids}) GROUP BY person_id, source ORDER BY n DESC, source"
    ):
        sources.setdefault(int(person), {})[str(source)] = int(count)
    return tuple(Cluster(person, n, sources.get(person, {})) for person, n in biggest)


def last_run(engine: Engine) -> LastRun | None:
    """The newest run in ``identity_history`` and its rows per action."""
    if not engine.table_exists(IDENTITY_HISTORY):
        return None
    newest = engine.rows(
        f'SELECT run_id, max("at") AS last_at FROM {IDENTITY_HISTORY} '
        "GROUP BY run_id ORDER BY last_at DESC, run_id DESC LIMIT 1"
    )
    if not newest:
        return None
    run_id, at = newest[0]
    actions = engine.rows(
        f"SELECT action, count(*) FROM {IDENTITY_HISTORY} WHERE run_id = ? "
        "GROUP BY action ORDER BY action",
        [run_id],
    )
    when = at.isoformat() if isinstance(at, dt.datetime) else str(at)
    return LastRun(str(run_id), when, {str(a): int(n) for a, n in actions})


def _guards(engine: Engine, measure: str) -> dict[str, int]:
    if not engine.table_exists(IDENTITY_GUARDS):
        return {}
    return {
        str(guard): int(n or 0)
        for guard, n in engine.rows(
            f"SELECT guard, {measure} FROM {IDENTITY_GUARDS} GROUP BY guard ORDER BY guard"
        )
    }


def _top_guarded(engine: Engine, top: int) -> tuple[GuardedValue, ...]:
    if not engine.table_exists(IDENTITY_GUARDS):
        return ()
    return tuple(
        GuardedValue(str(t), str(v), str(g), int(n or 0), str(r or ""))
        for t, v, g, n, r in engine.rows(
            f"SELECT id_type, id_value, guard, records, reason FROM {IDENTITY_GUARDS} "
            f"ORDER BY records DESC, id_type, id_value LIMIT {int(top)}"
        )
    )


def _counts(engine: Engine, table: str, column: str) -> dict[str, int]:
    if not engine.table_exists(table):
        return {}
    return {
        str(key): int(n)
        for key, n in engine.rows(
            f"SELECT {column}, count(*) FROM {table} GROUP BY {column} ORDER BY {column}"
        )
    }
