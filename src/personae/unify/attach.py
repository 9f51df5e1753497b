"""Step 8 of stitching: records without a name re-attach to the one person holding their
identifiers.

The deterministic stage judges some values ambiguous: a household-split value
(:mod:`personae.unify.households`) links its records by first name or birth date, and a
value dropped by a limit (:mod:`personae.unify.limits`: an e-mail shared by two CRM
accounts) links nothing. Records with neither a first name nor a birth date (an e-mail
event, a survey answer, a web event) that hang on such a value stay apart from every
named holder. Once clustering has run, the named holders of the value may all be ONE
person (the deterministic stage saw two names or two accounts, the probabilistic stage
found them to be one person). Then the nameless records belong to that person too.

A *nameless part* is a final component none of whose records has a first name or a
birth date. It is attached to a person when every named holder of every ambiguous value
it holds lies in that one person. When the holders span several persons, it stays
alone, and ``identity_attachments`` says which persons hold the value. A part holding a
record that an override keeps apart (``_unify_apart``) is never attached.

Writes ``_unify_attach(comp, vid, holder)`` (the evidence), adds the attachments to
``_unify_match_clusters`` and, once person ids are known, ``identity_attachments``.
"""

from __future__ import annotations

from personae.catalog import IDENTITY_ATTACHMENTS
from personae.engine import Engine
from personae.unify.tables import (
    ROLE_LINK,
    WORK_APART,
    WORK_COMPONENTS,
    WORK_DROPPED,
    WORK_HOUSEHOLDS,
    WORK_MATCH_CLUSTERS,
    WORK_RAW,
    WORK_VALUES,
    drop_tables,
    record_parts_sql,
)

STATUS_ATTACHED = "attached"
STATUS_APART = "apart"

_FINAL = "_unify_att_final"
_EVIDENCE = "_unify_attach"
_TARGETS = "_unify_att_targets"
#: this module's own working tables (dropped as it goes, and by the stage on failure)
LOCAL_TABLES = (_FINAL, _EVIDENCE, _TARGETS)


def _ambiguous() -> str:
    """SQL: the vids of the values the deterministic stage did not let link everything."""
    return f"SELECT vid FROM {WORK_HOUSEHOLDS} UNION SELECT vid FROM {WORK_DROPPED}"


def attach_nameless(engine: Engine) -> int:
    """Attach nameless parts to the one person holding their values; returns how many."""
    engine.create_table_as(
        _FINAL,
        f"""
        SELECT r.rid, coalesce(mc.cluster, r.comp) AS comp,
               CASE WHEN w.fn IS NULL AND w.bd IS NULL THEN 0 ELSE 1 END AS named
        FROM ({record_parts_sql()}) AS r
        LEFT JOIN {WORK_MATCH_CLUSTERS} AS mc ON mc.comp = r.comp
        JOIN {WORK_RAW} AS w ON w.rid = r.rid AND w.id_type IS NULL
        WHERE r.rid IN (
            SELECT rid FROM {WORK_RAW}
            WHERE role = '{ROLE_LINK}' AND vid IN ({_ambiguous()}))
        """,
    )
    # the ambiguous values held by parts without any named record, and the persons
    # (final components) of their named holders; a nameless part is never merged by
    # matching (its records are not in the matching input), so its final component is
    # its part
    engine.create_table_as(
        _EVIDENCE,
        f"""
        WITH held AS (
            SELECT DISTINCT f.comp, f.named, w.vid FROM {_FINAL} AS f
            JOIN {WORK_RAW} AS w ON w.rid = f.rid
            WHERE w.role = '{ROLE_LINK}' AND w.vid IN ({_ambiguous()})
        ),
        nameless AS (
            SELECT comp FROM {_FINAL} WHERE comp NOT IN (
                SELECT coalesce(mc.cluster, p.comp) FROM ({record_parts_sql()}) AS p
                LEFT JOIN {WORK_MATCH_CLUSTERS} AS mc ON mc.comp = p.comp
                JOIN {WORK_RAW} AS w ON w.rid = p.rid AND w.id_type IS NULL
                WHERE w.fn IS NOT NULL OR w.bd IS NOT NULL)
            GROUP BY comp
        )
        SELECT DISTINCT o.comp, o.vid, h.comp AS holder FROM held AS o
        JOIN held AS h ON h.vid = o.vid AND h.named = 1
        WHERE o.named = 0 AND o.comp IN (SELECT comp FROM nameless)
        """,
    )
    apart = (
        f"""WHERE comp NOT IN (
            SELECT p.comp FROM ({record_parts_sql()}) AS p
            JOIN {WORK_APART} AS a ON a.rid = p.rid)"""
        if engine.table_exists(WORK_APART)
        else ""
    )
    engine.create_table_as(
        _TARGETS,
        f"SELECT comp, min(holder) AS target FROM {_EVIDENCE} {apart} GROUP BY comp "
        "HAVING count(DISTINCT holder) = 1",
    )
    engine.create_table_as(
        WORK_MATCH_CLUSTERS,
        f"SELECT comp, cluster FROM {WORK_MATCH_CLUSTERS} "
        f"UNION ALL SELECT comp, target AS cluster FROM {_TARGETS}",
    )
    attached = engine.count(_TARGETS)
    engine.drop_table(_FINAL)
    return attached


def write_attachments(engine: Engine, comp_person: str) -> None:
    """``identity_attachments``: each nameless record of an ambiguous value, attached to
    the one person holding it or left apart, with why.

    ``comp_person(comp, person_id)`` gives the person ids of the final components.
    """
    engine.create_table_as(
        IDENTITY_ATTACHMENTS,
        f"""
        WITH holders AS (
            SELECT e.comp, e.vid,
                   string_agg(CAST(cp.person_id AS VARCHAR), ' and '
                              ORDER BY CAST(cp.person_id AS VARCHAR)) AS persons,
                   count(DISTINCT e.holder) AS n
            FROM {_EVIDENCE} AS e JOIN {comp_person} AS cp ON cp.comp = e.holder
            GROUP BY e.comp, e.vid
        ),
        spread AS (
            SELECT comp, count(DISTINCT holder) AS n FROM {_EVIDENCE} GROUP BY comp
        )
        SELECT c.source, c.record_id, cp.person_id, v.id_type, v.id_value,
               CASE WHEN t.comp IS NOT NULL THEN '{STATUS_ATTACHED}' ELSE '{STATUS_APART}' END
               AS status,
               CASE WHEN t.comp IS NOT NULL
                    THEN 'has no name; attached to person ' || h.persons
                         || ', the only person holding ' || v.id_type || ' ' || v.id_value
                    WHEN h.n > 1
                    THEN 'has no name; left apart: ' || v.id_type || ' ' || v.id_value
                         || ' is held by persons ' || h.persons
                    WHEN k.n > 1
                    THEN 'has no name; left apart: ' || v.id_type || ' ' || v.id_value
                         || ' is held by person ' || h.persons
                         || ', its other identifiers by other persons'
                    ELSE 'has no name; left apart from person ' || h.persons
                         || ' by an identity override'
               END AS reason
        FROM holders AS h
        JOIN spread AS k ON k.comp = h.comp
        LEFT JOIN {_TARGETS} AS t ON t.comp = h.comp
        JOIN {WORK_VALUES} AS v ON v.vid = h.vid
        JOIN ({record_parts_sql()}) AS r ON r.comp = h.comp
        JOIN {WORK_RAW} AS w ON w.rid = r.rid AND w.vid = h.vid
        JOIN {WORK_COMPONENTS} AS c ON c.rid = r.rid
        JOIN {comp_person} AS cp ON cp.comp = c.comp
        """,
    )
    drop_tables(engine, (_EVIDENCE, _TARGETS))
