"""Step 4 of stitching: household-safe identifiers (by default email and phone).

Members of a household often share a phone or an email. A shared value is **in
conflict** when two of its records carry names that cannot be one person and birth dates
that are not equal (different, or one missing), or names that can be one person but
birth dates that cannot (Jean and Jeanne, born 1950 and 1980). Names are compared as the
clustering step compares them (:func:`names_compatible`): a typo, a dropped accent, a
missing or swapped letter, an initial, case, first and last name swapped, or the parts
cut differently are the same person. The comparison runs in Python once per distinct
pair of names held by one value, and is joined back in SQL. Birth dates are compatible
when equal, one character apart, or with day and month swapped.

A value in conflict does not link its records directly. It is replaced by sub-nodes:
each record holding it links to ``fn:<first_name_key>`` and, when it has a birth date, to
``bd:<birth_date>`` of that value, so typo variants with the same birth date rejoin;
first-name sub-nodes of the same value are linked when all their holders have compatible
names and birth dates; records
with neither a first name nor a birth date attach to ``?``.

Two people with the same birth date sharing a value are not told apart (twins would be
merged), which is the price of re-joining typo variants.
"""

from __future__ import annotations

import pyarrow as pa

from personae.engine import Engine
from personae.unify.names import first_names_compatible
from personae.unify.rules import IdentityType, in_list
from personae.unify.tables import (
    ROLE_LINK,
    WORK_HOUSEHOLDS,
    WORK_LINKS,
    WORK_RAW,
    WORK_SUBHOLDS,
    WORK_SUBNODES,
    WORK_VALUES,
    drop_tables,
)

_SUBS = "_unify_subs"
#: (vid, fn, ln, bd) of the people-looking holders of candidate values
_HELD = "_unify_hh_held"
#: distinct pairs of names held by one value, and whether they can be one person
_PAIRS = "_unify_hh_pairs"
#: this module's own working tables (dropped as it goes, and by the stage on failure)
LOCAL_TABLES = (_SUBS, _HELD, _PAIRS)


def names_compatible(a: tuple[str, str | None], b: tuple[str, str | None]) -> bool:
    """Whether (first, last) name keys ``a`` and ``b`` can name the same person.

    What clustering forgives (:func:`personae.unify.names.first_names_compatible`: a
    typo, a dropped or swapped letter, an initial, a compound name in part), with first
    and last names swapped on one side, or the parts cut differently
    (``nathalie dossantos`` / ``nathaliedos santos``).
    """
    if first_names_compatible(a[0], b[0]):
        return True
    if a[1] is None or b[1] is None:
        return False
    if first_names_compatible(a[0], b[1]) and first_names_compatible(a[1], b[0]):
        return True
    return a[0] + a[1] == b[0] + b[1]


def _bd_compatible_sql(a: str, b: str) -> str:
    """SQL: the birth dates of ``a`` and ``b`` can be one date (see ``birth_dates_compatible``)."""
    return f"""(
        {a}.bd IS NULL OR {b}.bd IS NULL OR {a}.bd = {b}.bd
        OR levenshtein(CAST({a}.bd AS VARCHAR), CAST({b}.bd AS VARCHAR)) <= 1
        OR (year({a}.bd) = year({b}.bd) AND month({a}.bd) = day({b}.bd)
            AND day({a}.bd) = month({b}.bd)))"""


def _write_name_pairs(engine: Engine) -> None:
    """``_unify_name_pairs(fa, la, fb, lb, ok)``: the distinct pairs of names held by one value.

    Compared in Python (``jellyfish``) once per distinct pair, joined back in SQL; last
    names are ``''`` when missing so that the join stays an equi-join.
    """
    pairs = engine.query(
        f"""
        SELECT DISTINCT a.fn AS fa, coalesce(a.ln, '') AS la,
                        b.fn AS fb, coalesce(b.ln, '') AS lb
        FROM {_HELD} AS a JOIN {_HELD} AS b ON b.vid = a.vid AND a.fn < b.fn
        """
    )
    fa, la = pairs.column("fa").to_pylist(), pairs.column("la").to_pylist()
    fb, lb = pairs.column("fb").to_pylist(), pairs.column("lb").to_pylist()
    ok = [
        names_compatible((str(w), str(x) or None), (str(y), str(z) or None))
        for w, x, y, z in zip(fa, la, fb, lb, strict=True)
    ]
    engine.write_arrow(
        _PAIRS,
        pa.table(
            {
                "fa": pa.array(fa, pa.string()),
                "la": pa.array(la, pa.string()),
                "fb": pa.array(fb, pa.string()),
                "lb": pa.array(lb, pa.string()),
                "ok": pa.array(ok, pa.bool_()),
            }
        ),
        mode="replace",
    )


def _pairs_sql() -> str:
    """SQL: every pair of holders (a, b) of one value with different first names.

    Columns: vid, fa, fb, ok (names compatible), bd_ok (birth dates compatible), same_bd.
    """
    return f"""
        SELECT a.vid, a.fn AS fa, b.fn AS fb, p.ok, {_bd_compatible_sql("a", "b")} AS bd_ok,
               coalesce(a.bd = b.bd, false) AS same_bd
        FROM {_HELD} AS a JOIN {_HELD} AS b ON b.vid = a.vid AND a.fn < b.fn
        JOIN {_PAIRS} AS p ON p.fa = a.fn AND p.la = coalesce(a.ln, '')
         AND p.fb = b.fn AND p.lb = coalesce(b.ln, '')
    """


def split_households(engine: Engine, types: list[IdentityType]) -> int:
    """Find the values in conflict and build their sub-nodes; returns how many were split.

    Writes ``_unify_households(vid, names)``, ``_unify_subnodes(nid, vid, id_type, kind,
    key)``, ``_unify_subholds(rid, nid, vid, id_type)`` and ``_unify_links(a, b, id_type)``.
    Sub-node ids start after the largest value id, so they never collide with a value.
    """
    household_types = [t.name for t in types if t.rule.household_safe]
    engine.create_table_as(
        _HELD,
        f"""
        SELECT DISTINCT i.vid, p.fn, p.ln, p.bd FROM {WORK_RAW} AS i
        JOIN {WORK_RAW} AS p ON p.rid = i.rid AND p.id_type IS NULL
        WHERE p.fn IS NOT NULL AND i.vid IN (
            SELECT vid FROM {WORK_VALUES}
            WHERE role = '{ROLE_LINK}' AND names >= 2
              AND id_type IN {in_list(household_types)})
        """,
    )
    _write_name_pairs(engine)
    # in conflict: names that cannot be one person (unless the birth date is the same),
    # or compatible names with birth dates that cannot be one (Jean and Jeanne)
    engine.create_table_as(
        WORK_HOUSEHOLDS,
        f"""
        SELECT v.vid, v.names FROM {WORK_VALUES} AS v
        WHERE v.vid IN (
            SELECT vid FROM ({_pairs_sql()}) AS x
            WHERE (NOT ok AND NOT same_bd) OR (ok AND NOT bd_ok))
        """,
    )
    engine.create_table_as(
        _SUBS,
        f"""
        WITH held AS (
            SELECT i.rid, i.vid, i.id_type, p.fn, p.ln, p.bd FROM {WORK_RAW} AS i
            JOIN {WORK_RAW} AS p ON p.rid = i.rid AND p.id_type IS NULL
            WHERE i.vid IN (SELECT vid FROM {WORK_HOUSEHOLDS})
        )
        SELECT rid, vid, id_type, 'fn' AS kind, fn AS key, ln FROM held WHERE fn IS NOT NULL
        UNION ALL
        SELECT rid, vid, id_type, 'bd' AS kind, CAST(bd AS VARCHAR) AS key, ln FROM held
        WHERE bd IS NOT NULL
        UNION ALL
        SELECT rid, vid, id_type, '?' AS kind, '' AS key, ln FROM held
        WHERE fn IS NULL AND bd IS NULL
        """,
    )
    engine.create_table_as(
        WORK_SUBNODES,
        f"""
        SELECT (SELECT coalesce(max(vid), 0) FROM {WORK_VALUES})
               + row_number() OVER (ORDER BY vid, kind, key) AS nid,
               vid, id_type, kind, key
        FROM (SELECT DISTINCT vid, id_type, kind, key FROM {_SUBS}) AS s
        """,
    )
    engine.create_table_as(
        WORK_SUBHOLDS,
        f"""
        SELECT s.rid, n.nid, s.vid, s.id_type FROM {_SUBS} AS s
        JOIN {WORK_SUBNODES} AS n ON n.vid = s.vid AND n.kind = s.kind AND n.key = s.key
        """,
    )
    # first-name sub-nodes of one value are one person when every pair of their holders
    # has compatible names and birth dates
    engine.create_table_as(
        WORK_LINKS,
        f"""
        SELECT DISTINCT na.nid AS a, nb.nid AS b, na.id_type FROM (
            SELECT vid, fa, fb FROM ({_pairs_sql()}) AS x
            WHERE vid IN (SELECT vid FROM {WORK_HOUSEHOLDS})
            GROUP BY vid, fa, fb HAVING min(CASE WHEN ok AND bd_ok THEN 1 ELSE 0 END) = 1
        ) AS c
        JOIN {WORK_SUBNODES} AS na ON na.vid = c.vid AND na.kind = 'fn' AND na.key = c.fa
        JOIN {WORK_SUBNODES} AS nb ON nb.vid = c.vid AND nb.kind = 'fn' AND nb.key = c.fb
        """,
    )
    drop_tables(engine, LOCAL_TABLES)
    return engine.count(WORK_HOUSEHOLDS)
