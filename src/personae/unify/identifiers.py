"""Step 1-3 of stitching: unpivot ``records`` into identifiers, then guard them.

* every non-null identity field of a record becomes one identifier ``(id_type, id_value)``;
* **blocked** values (``identity.blocked``: literals compared case-insensitively on every
  type, per-type regexes) never link;
* **generic** values, held by records showing more than ``identity.generic_threshold``
  different first names, stop linking.

Guards are decided once per distinct value in ``_unify_values``, whose ``role`` says what
the value does: ``blocked``, ``generic``, ``link`` (held by several records: a node of the
identity graph) or ``single`` (held by one record: usable, links nothing).
"""

from __future__ import annotations

from personae.config.models import BlockedValues, ProjectConfig
from personae.engine import Engine
from personae.errors import ProjectError
from personae.sql import ident, literal
from personae.unify.rules import IdentityType
from personae.unify.tables import (
    RECORDS,
    ROLE_BLOCKED,
    ROLE_GENERIC,
    ROLE_LINK,
    ROLE_SINGLE,
    WORK_IDS,
    WORK_RAW,
    WORK_RECORDS,
    WORK_RECORDS_WIDE,
    WORK_VALUES,
)

_COUNTS = "_unify_value_counts"
_NAMES = "_unify_value_names"

_REQUIRED = ("source", "record_id", "first_name_key", "birth_date")


def _column(name: str) -> str:
    return ident(f"id__{name}")


def number_records(engine: Engine, types: list[IdentityType]) -> None:
    """``_unify_records_wide``: each record with a dense ``rid``, and its identity columns.

    ``rid`` is only a compact join key: it is not ordered, and nothing written out
    depends on its value.
    """
    if not engine.table_exists(RECORDS):
        raise ProjectError("there is no 'records' table yet: run the clean stage first")
    present = set(engine.columns(RECORDS))
    missing = [c for c in (*_REQUIRED, *(t.name for t in types)) if c not in present]
    if missing:
        raise ProjectError(
            f"the 'records' table has no column {', '.join(missing)}: run the clean stage "
            "again after changing identity fields"
        )
    copies = "".join(f", CAST({ident(t.name)} AS VARCHAR) AS {_column(t.name)}" for t in types)
    engine.create_table_as(
        WORK_RECORDS_WIDE,
        "SELECT row_number() OVER () AS rid, source, record_id, "
        f"first_name_key AS fn, birth_date AS bd{copies} FROM {RECORDS}",
    )


def extract_identifiers(engine: Engine, config: ProjectConfig, types: list[IdentityType]) -> None:
    """Unpivot, decide the guard of every distinct value, then number the identifiers.

    Writes ``_unify_raw`` (rid, source, record_id, fn, bd, id_type, id_value),
    ``_unify_values``, ``_unify_ids`` and ``_unify_records`` (rid, source, record_id).
    """
    if types:
        branches = [
            f"SELECT rid, source, record_id, fn, bd, {literal(t.name)} AS id_type, "
            f"{_column(t.name)} AS id_value FROM {WORK_RECORDS_WIDE} "
            f"WHERE {_column(t.name)} IS NOT NULL AND {_column(t.name)} <> ''"
            for t in types
        ]
        engine.create_table_as(WORK_RAW, " UNION ALL ".join(branches))
    else:
        engine.create_table_as(
            WORK_RAW,
            "SELECT rid, source, record_id, fn, bd, CAST(NULL AS VARCHAR) AS id_type, "
            f"CAST(NULL AS VARCHAR) AS id_value FROM {WORK_RECORDS_WIDE} WHERE false",
        )
    engine.create_table_as(WORK_RECORDS, f"SELECT rid, source, record_id FROM {WORK_RECORDS_WIDE}")
    engine.drop_table(WORK_RECORDS_WIDE)

    # distinct first names: min/max tell 0, 1 or "several"; only values with several
    # names need the (costly) exact count
    blocked = blocked_reason_sql(config.identity.blocked, [t.name for t in types])
    engine.create_table_as(
        _COUNTS,
        f"""
        SELECT id_type, id_value, count(*) AS records, min(fn) AS fn_min, max(fn) AS fn_max,
               {blocked} AS blocked
        FROM {WORK_RAW} GROUP BY id_type, id_value
        """,
    )
    engine.create_table_as(
        _NAMES,
        f"""
        SELECT r.id_type, r.id_value, count(DISTINCT r.fn) AS names FROM {WORK_RAW} AS r
        JOIN (SELECT id_type, id_value FROM {_COUNTS} WHERE fn_min <> fn_max) AS m
          ON m.id_type = r.id_type AND m.id_value = r.id_value
        GROUP BY r.id_type, r.id_value
        """,
    )
    threshold = config.identity.generic_threshold
    engine.create_table_as(
        WORK_VALUES,
        f"""
        SELECT row_number() OVER () AS vid, id_type, id_value, records, names,
               CASE WHEN blocked IS NOT NULL THEN {literal(ROLE_BLOCKED)}
                    WHEN names > {threshold} THEN {literal(ROLE_GENERIC)}
                    WHEN records > 1 THEN {literal(ROLE_LINK)}
                    ELSE {literal(ROLE_SINGLE)} END AS role,
               CASE WHEN blocked IS NOT NULL THEN blocked
                    WHEN names > {threshold} THEN
                        'held by records of ' || CAST(names AS VARCHAR)
                        || ' different first names (generic_threshold {threshold})'
               END AS reason
        FROM (
            SELECT c.id_type, c.id_value, c.records, c.blocked,
                   CASE WHEN c.fn_min IS NULL THEN 0 WHEN c.fn_min = c.fn_max THEN 1
                        ELSE n.names END AS names
            FROM {_COUNTS} AS c
            LEFT JOIN {_NAMES} AS n ON n.id_type = c.id_type AND n.id_value = c.id_value
        ) AS v
        """,
    )
    engine.create_table_as(
        WORK_IDS,
        f"""
        SELECT r.rid, r.source, r.fn, r.bd, r.id_type, v.vid, v.role
        FROM {WORK_RAW} AS r
        JOIN {WORK_VALUES} AS v ON v.id_type = r.id_type AND v.id_value = r.id_value
        """,
    )
    engine.drop_table(_COUNTS)
    engine.drop_table(_NAMES)


def blocked_reason_sql(blocked: BlockedValues, type_names: list[str]) -> str:
    """A CASE expression over ``id_type``/``id_value``: why the value is blocked, or NULL."""
    whens: list[str] = []
    literals = sorted({value.lower() for value in blocked.literals})
    if literals:
        listed = ", ".join(literal(value) for value in literals)
        whens.append(
            f"WHEN lower(id_value) IN ({listed}) THEN 'blocked value (identity.blocked.literals)'"
        )
    for id_type, patterns in blocked.patterns.items():
        if id_type not in type_names:
            continue
        for pattern in patterns:
            whens.append(
                f"WHEN id_type = {literal(id_type)} AND "
                f"regexp_matches(id_value, {literal('(?i)' + pattern)}) "
                f"THEN {literal(f'matches blocked pattern {pattern}')}"
            )
    if not whens:
        return "CAST(NULL AS VARCHAR)"
    return "CASE " + " ".join(whens) + " END"
