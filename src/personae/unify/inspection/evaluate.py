"""Pairwise precision and recall of ``identity_map`` against a ground truth.

A pair is two source records. Predicted pairs are pairs in the same person, true pairs
pairs of the same real person, true positives both. Pairs are counted with cluster-size
arithmetic (a cluster of n records holds n(n-1)/2 pairs), never enumerated.
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.catalog import IDENTITY_MAP, RECORDS
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.unify.components import connected_components


@dataclass(frozen=True)
class PairwiseScores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    #: persons and real people among the records present in both tables
    persons: int
    true_persons: int


def evaluate_against_truth(
    engine: Engine, truth_table: str, map_table: str = IDENTITY_MAP
) -> PairwiseScores:
    """Score ``map_table(source, record_id, person_id)`` against ``truth_table(source,
    record_id, person)``.

    Only records present in both tables count. With no predicted (or true) pair at all,
    precision (or recall) is 1.0.
    """
    for table in (map_table, truth_table):
        if not engine.table_exists(table):
            raise NotFoundError(f"there is no table '{table}' to evaluate")
    # twice the pairs: n(n-1) is exact in integers, halved in Python
    pairs = "coalesce(sum(n * (n - 1)), 0)"
    row = engine.rows(
        f"""
        WITH joined AS (
            SELECT m.person_id AS predicted, t.person AS truth
            FROM {map_table} AS m
            JOIN {truth_table} AS t ON t.source = m.source AND t.record_id = m.record_id
        ),
        predicted AS (SELECT count(*) AS n FROM joined GROUP BY predicted),
        truth AS (SELECT count(*) AS n FROM joined GROUP BY truth),
        overlap AS (SELECT count(*) AS n FROM joined GROUP BY predicted, truth)
        SELECT (SELECT {pairs} FROM predicted), (SELECT {pairs} FROM truth),
               (SELECT {pairs} FROM overlap),
               (SELECT count(*) FROM predicted), (SELECT count(*) FROM truth)
        """
    )[0]
    predicted_pairs, true_pairs, true_positives = (int(v) // 2 for v in row[:3])
    persons, true_persons = int(row[3]), int(row[4])
    precision = true_positives / predicted_pairs if predicted_pairs else 1.0
    recall = true_positives / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(
        precision=precision,
        recall=recall,
        f1=f1,
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        true_positive_pairs=true_positives,
        persons=persons,
        true_persons=true_persons,
    )


#: identity fields that say who a record is; a record holding none of them (and no first
#: or last name) is anonymous: only its device or browser id can place it
_EVIDENCE = ("email", "phone", "customer_id", "user_id", "loyalty_id")
_DEVICES = ("anonymous_id", "device_id")


def placeable_truth(engine: Engine, truth_table: str, out: str) -> int:
    """``out(source, record_id, person)``: the truth restricted to placeable records.

    A record is placeable when it carries evidence of who it is (a name, an e-mail, a
    phone, a customer, user or loyalty id) or shares a device or browser id with a record
    of the same real person that does. The others (a browser that never signed in, an
    anonymous till ticket) can be placed by no method; scoring without them measures
    what resolution can get right. Returns the number of placeable records.
    """
    evidence = " OR ".join(
        [f"r.{c} IS NOT NULL" for c in (*_EVIDENCE, "first_name_key", "last_name_key")]
    )
    devices = " UNION ".join(
        f"SELECT person, {c} AS k FROM _placeable_base WHERE evidence AND {c} IS NOT NULL"
        for c in _DEVICES
    )
    via_device = " UNION ".join(
        f"SELECT b.source, b.record_id, b.person FROM _placeable_base AS b "
        f"JOIN _placeable_devices AS d ON d.person = b.person AND d.k = b.{c}"
        for c in _DEVICES
    )
    engine.create_table_as(
        "_placeable_base",
        f"""
        SELECT t.source, t.record_id, t.person, {", ".join(f"r.{c}" for c in _DEVICES)},
               ({evidence}) AS evidence
        FROM {truth_table} AS t
        JOIN {RECORDS} AS r ON r.source = t.source AND r.record_id = t.record_id
        """,
    )
    try:
        engine.create_table_as("_placeable_devices", devices)
        engine.create_table_as(
            out,
            f"""
            SELECT source, record_id, person FROM _placeable_base WHERE evidence
            UNION {via_device}
            """,
        )
    finally:
        engine.drop_table("_placeable_base")
        engine.drop_table("_placeable_devices")
    return engine.count(out)


#: the evidence the oracle follows between two records of one real person
_ORACLE_KEYS = (*_EVIDENCE, *_DEVICES)
_ORACLE = "_oracle"


@dataclass(frozen=True)
class OracleBound:
    """The upper bound on pairwise recall that the records' evidence allows."""

    #: share of the true pairs the oracle joins (its precision is 1 by construction)
    recall: float
    #: true pairs, and of them the pairs joined by a chain of shared evidence
    true_pairs: int
    joined_pairs: int


def oracle_bound(engine: Engine, truth_table: str) -> OracleBound:
    """Recall of an oracle that knows who is who and follows only shared evidence.

    Within each real person of ``truth_table(source, record_id, person)``, records are
    joined by a chain of shared normalised values of ``records``: e-mail, phone, customer,
    user or loyalty id, anonymous or device id, or an identical full name (first and last
    name keys). Two records of one person with no such chain cannot be linked by a method
    that reads only this evidence, so resolution's recall divided by the oracle's says how
    much of what the data allows it finds. Connected components run in SQL
    (:func:`~personae.unify.components.connected_components`).
    """
    for table in (truth_table, RECORDS):
        if not engine.table_exists(table):
            raise NotFoundError(f"there is no table '{table}' to evaluate")
    full_name = (
        "CASE WHEN r.first_name_key IS NOT NULL AND r.last_name_key IS NOT NULL "
        "THEN r.first_name_key || ' ' || r.last_name_key END"
    )
    keys = [*_ORACLE_KEYS, "full_name"]
    engine.create_table_as(
        f"{_ORACLE}_nodes",
        f"""
        SELECT row_number() OVER (ORDER BY t.source, t.record_id) AS node,
               t.source, t.record_id, t.person,
               {", ".join(f"CAST(r.{k} AS VARCHAR) AS {k}" for k in _ORACLE_KEYS)},
               {full_name} AS full_name
        FROM {truth_table} AS t
        JOIN {RECORDS} AS r ON r.source = t.source AND r.record_id = t.record_id
        """,
    )
    # a star per (person, value): every holder to the smallest one
    edges = " UNION ALL ".join(
        f"SELECT node AS a, min(node) OVER (PARTITION BY person, {k}) AS b "
        f"FROM {_ORACLE}_nodes WHERE {k} IS NOT NULL"
        for k in keys
    )
    try:
        connected_components(engine, edges, f"{_ORACLE}_labels", work=f"{_ORACLE}_cc")
        engine.create_table_as(
            f"{_ORACLE}_map",
            f"""
            SELECT n.source, n.record_id, coalesce(l.label, n.node) AS person_id
            FROM {_ORACLE}_nodes AS n LEFT JOIN {_ORACLE}_labels AS l ON l.node = n.node
            """,
        )
        scores = evaluate_against_truth(engine, truth_table, f"{_ORACLE}_map")
    finally:
        for table in ("nodes", "labels", "map"):
            engine.drop_table(f"{_ORACLE}_{table}")
    return OracleBound(
        recall=scores.recall,
        true_pairs=scores.true_pairs,
        joined_pairs=scores.true_positive_pairs,
    )
