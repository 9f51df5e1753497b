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

from personae.catalog import RECORDS
from personae.config.identity import BlockedValues
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ProjectError
from personae.query.tables import require_tables
from personae.sql import ident, literal
from personae.unify.rules import IdentityType
from personae.unify.tables import (
    ROLE_BLOCKED,
    ROLE_GENERIC,
    ROLE_LINK,
    ROLE_SINGLE,
    WORK_RAW,
    WORK_RECORDS,
    WORK_VALUES,
)

_REQUIRED = ("source", "record_id", "first_name_key", "last_name_key", "birth_date")


def _column(name: str) -> str:
    return ident(f"id__{name}")


def check_records(engine: Engine, types: list[IdentityType]) -> None:
    require_tables(engine, [RECORDS])
    present = set(engine.columns(RECORDS))
    missing = [c for c in (*_REQUIRED, *(t.name for t in types)) if c not in present]
    if missing:
        raise ProjectError(
            f"the '{RECORDS}' table has no column {', '.join(missing)}: run `personae clean` "
            "again after changing identity fields"
        )


def identifiers_sql(types: list[IdentityType]) -> str:
    """Every identifier of ``records``: (source, record_id, fn, id_type, id_value).

    One scan of a few columns per type, so queries reading only some columns are cheap.
    """
    if not types:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS record_id, "
            "CAST(NULL AS VARCHAR) AS fn, CAST(NULL AS VARCHAR) AS id_type, "
            "CAST(NULL AS VARCHAR) AS id_value WHERE false"
        )
    return " UNION ALL ".join(
        f"SELECT source, record_id, fn, id_type, id_value FROM (SELECT source, record_id, "
        f"first_name_key AS fn, {literal(t.name)} AS id_type, "
        f"CAST({ident(t.name)} AS VARCHAR) AS id_value "
        f"FROM {RECORDS}) AS i WHERE id_value IS NOT NULL AND id_value <> ''"
        for t in types
    )


def _numbered_sql(types: list[IdentityType]) -> str:
    """``records`` crossed with the identifier types, each record numbered once.

    Columns: rid, source, record_id, fn, ln, bd, id_type, id_value. ``rid`` is numbered
    before the cross join, so every row of a record carries the same one. Each record
    also has a row with ``id_type`` NULL (its only row holding fn, ln and bd).
    """
    kinds = ", ".join(["(CAST(NULL AS VARCHAR))", *(f"({literal(t.name)})" for t in types)])
    value = (
        "CASE "
        + " ".join(
            f"WHEN t.id_type = {literal(t.name)} THEN CAST(r.{_column(t.name)} AS VARCHAR)"
            for t in types
        )
        + " END"
        if types
        else "CAST(NULL AS VARCHAR)"
    )
    copies = "".join(f", {ident(t.name)} AS {_column(t.name)}" for t in types)
    return f"""
        SELECT * FROM (
            SELECT r.rid, r.source, r.record_id,
                   CASE WHEN t.id_type IS NULL THEN r.first_name_key END AS fn,
                   CASE WHEN t.id_type IS NULL THEN r.last_name_key END AS ln,
                   CASE WHEN t.id_type IS NULL THEN r.birth_date END AS bd,
                   t.id_type, {value} AS id_value
            FROM (
                SELECT row_number() OVER () AS rid, source, record_id, first_name_key,
                       last_name_key, birth_date{copies}
                FROM {RECORDS}
            ) AS r
            CROSS JOIN (VALUES {kinds}) AS t(id_type)
        ) AS u
        WHERE id_type IS NULL OR (id_value IS NOT NULL AND id_value <> '')
    """


def guard_values(engine: Engine, config: ProjectConfig, types: list[IdentityType]) -> None:
    """``_unify_values``: every distinct identifier with its counts and its ``role``."""
    check_records(engine, types)
    blocked = blocked_reason_sql(config.identity.blocked, [t.name for t in types])
    threshold = config.identity.generic_threshold
    # distinct first names: min/max tell 0, 1 or "several"; only values with several
    # names need the (costly) exact count
    engine.create_table_as(
        WORK_VALUES,
        f"""
        WITH unpivoted AS ({identifiers_sql(types)}),
        counts AS (
            SELECT id_type, id_value, count(*) AS records, min(fn) AS fn_min,
                   max(fn) AS fn_max
            FROM unpivoted GROUP BY id_type, id_value
        ),
        several AS (
            SELECT i.id_type, i.id_value, count(DISTINCT i.fn) AS names FROM unpivoted AS i
            JOIN counts AS c ON c.id_type = i.id_type AND c.id_value = i.id_value
            WHERE c.fn_min <> c.fn_max
            GROUP BY i.id_type, i.id_value
        ),
        counted AS (
            SELECT c.id_type, c.id_value, c.records,
                   CASE WHEN c.fn_min IS NULL THEN 0 WHEN c.fn_min = c.fn_max THEN 1
                        ELSE s.names END AS names
            FROM counts AS c
            LEFT JOIN several AS s ON s.id_type = c.id_type AND s.id_value = c.id_value
        ),
        guarded AS (SELECT *, {blocked} AS blocked FROM counted)
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
        FROM guarded
        """,
    )


def extract_identifiers(engine: Engine, types: list[IdentityType]) -> None:
    """``_unify_raw``: the numbered unpivot with each value's ``vid`` and ``role``.

    Only the record's own row (``id_type`` NULL) keeps its record_id, first and last
    name and birth date; identifier rows keep the value's id, not its text: storing
    each text once is cheaper than joining it back where it is needed.

    Also creates the view ``_unify_records`` (rid, source, record_id).
    """
    engine.create_table_as(
        WORK_RAW,
        f"""
        SELECT u.rid, u.source, CASE WHEN u.id_type IS NULL THEN u.record_id END AS record_id,
               u.fn, u.ln, u.bd, u.id_type, v.vid, v.role
        FROM ({_numbered_sql(types)}) AS u
        LEFT JOIN {WORK_VALUES} AS v ON v.id_type = u.id_type AND v.id_value = u.id_value
        """,
    )
    engine.execute(
        f"CREATE OR REPLACE VIEW {WORK_RECORDS} AS "
        f"SELECT rid, source, record_id FROM {WORK_RAW} WHERE id_type IS NULL"
    )


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
