"""Duplicate accounts: persons holding more values of a limited identifier type than its
limit (two customer ids from one CRM), merged because matching found them certain
(``on_conflict: merge_when_certain``) or because an override said so.

The list is what a user sends back to the source system to clean it: the person, the
source, the two values and the strongest match probability between records holding them.
Read from the unify stage's outputs (``identifiers``, ``identity_map``,
``identity_matches``); bounded by the persons over a limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.catalog import IDENTIFIERS, IDENTITY_MAP, IDENTITY_MATCHES
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.query.tables import require_tables
from personae.unify.rules import identity_types, types_sql


@dataclass(frozen=True)
class Duplicate:
    """Person ``person_id`` holds both ``value_a`` and ``value_b`` of ``id_type``."""

    person_id: int
    #: the source holding both (or the two sources, ``a/b``, for a limit across sources)
    source: str
    id_type: str
    value_a: str
    value_b: str
    #: the strongest probabilistic match between records holding them (None: none)
    probability: float | None

    def __str__(self) -> str:
        found = "" if self.probability is None else f", match probability {self.probability:.4f}"
        return (
            f"person {self.person_id}: {self.id_type} {self.value_a} and {self.value_b} "
            f"from {self.source}{found}"
        )


def find_duplicates(engine: Engine, config: ProjectConfig) -> list[Duplicate]:
    """Every pair of values of a limited type one person holds over the limit."""
    require_tables(engine, (IDENTIFIERS, IDENTITY_MAP))
    types = [t for t in identity_types(config) if t.rule.limit is not None]
    if not types:
        return []
    matched = (
        f"""
        SELECT source_l AS sa, record_id_l AS ra, source_r AS sb, record_id_r AS rb,
               match_probability AS p FROM {IDENTITY_MATCHES} WHERE status <> 'rejected'
        UNION ALL
        SELECT source_r, record_id_r, source_l, record_id_l, match_probability
        FROM {IDENTITY_MATCHES} WHERE status <> 'rejected'
        """
        if engine.table_exists(IDENTITY_MATCHES)
        else "SELECT CAST(NULL AS VARCHAR) AS sa, CAST(NULL AS VARCHAR) AS ra, "
        "CAST(NULL AS VARCHAR) AS sb, CAST(NULL AS VARCHAR) AS rb, "
        "CAST(NULL AS DOUBLE) AS p WHERE false"
    )
    rows = engine.rows(
        f"""
        WITH ids AS (
            SELECT m.person_id, i.source, i.record_id, i.id_type, i.id_value,
                   CASE WHEN t.per_source THEN i.source ELSE '' END AS scope, t.max_values
            FROM {IDENTIFIERS} AS i
            JOIN ({types_sql(types)}) AS t ON t.id_type = i.id_type
            JOIN {IDENTITY_MAP} AS m ON m.source = i.source AND m.record_id = i.record_id
        ),
        over AS (
            SELECT person_id, id_type, scope FROM ids
            GROUP BY person_id, id_type, scope
            HAVING count(DISTINCT id_value) > max(max_values)
        ),
        held AS (
            SELECT i.* FROM ids AS i
            JOIN over AS o ON o.person_id = i.person_id AND o.id_type = i.id_type
             AND o.scope = i.scope
        ),
        matched AS ({matched})
        SELECT a.person_id, min(a.source), min(b.source), a.id_type, a.id_value, b.id_value,
               max(x.p)
        FROM held AS a
        JOIN held AS b ON b.person_id = a.person_id AND b.id_type = a.id_type
         AND b.scope = a.scope AND a.id_value < b.id_value
        LEFT JOIN matched AS x ON x.sa = a.source AND x.ra = a.record_id
         AND x.sb = b.source AND x.rb = b.record_id
        GROUP BY a.person_id, a.id_type, a.scope, a.id_value, b.id_value
        ORDER BY a.person_id, a.id_type, a.id_value, b.id_value
        """
    )
    return [
        Duplicate(
            int(person),
            str(sa) if sa == sb else f"{sa}/{sb}",
            str(id_type),
            str(va),
            str(vb),
            None if p is None else float(p),
        )
        for person, sa, sb, id_type, va, vb, p in rows
    ]
