"""Golden-record accuracy against a ground truth: does each person's profile show their
true value?

For every real person, *their* profile is the profile of the person that holds most of
their records (ties: the smallest person id). Per field, a person counts as **right**
when that profile shows exactly their true value (as text), and as **decidable** when at
least one of their records in that profile holds the true value: where no record holds
it, no survivorship rule can show it. The demo's story prints both shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from personae.catalog import IDENTITY_MAP, PROFILES, RECORDS
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.sql import ident


@dataclass(frozen=True)
class FieldAccuracy:
    field: str
    #: real people scored (those with a true value and a profile)
    persons: int
    #: of them, profiles showing the true value
    right: int
    #: people one of whose records (in their profile) holds the true value
    decidable: int
    #: of the decidable ones, profiles showing the true value
    decidable_right: int

    @property
    def accuracy(self) -> float:
        return self.right / self.persons if self.persons else 1.0

    @property
    def decidable_accuracy(self) -> float:
        return self.decidable_right / self.decidable if self.decidable else 1.0


def golden_accuracy(
    engine: Engine,
    truth_table: str,
    persons_table: str,
    fields: Sequence[str],
) -> list[FieldAccuracy]:
    """Accuracy of ``profiles`` per field against ``persons_table(person, <field>…)``,
    with ``truth_table(source, record_id, person)`` naming the person behind each record.

    Fields missing from ``profiles``, ``records`` or the persons table are skipped.
    """
    for table in (truth_table, persons_table, PROFILES, IDENTITY_MAP, RECORDS):
        if not engine.table_exists(table):
            raise NotFoundError(f"there is no table '{table}' to evaluate golden records")
    present = (
        set(engine.columns(PROFILES))
        & set(engine.columns(RECORDS))
        & set(engine.columns(persons_table))
    )
    scored = [f for f in fields if f in present]
    if not scored:
        return []
    engine.create_table_as(
        "_golden_eval_main",
        f"""
        SELECT t.person, t.source, t.record_id, m.person_id,
               count(*) OVER (PARTITION BY t.person, m.person_id) AS n
        FROM {truth_table} t
        JOIN {IDENTITY_MAP} m ON m.source = t.source AND m.record_id = t.record_id
        """,
    )
    try:
        results = [_field_accuracy(engine, persons_table, name) for name in scored]
    finally:
        engine.drop_table("_golden_eval_main")
    return results


def _field_accuracy(engine: Engine, persons_table: str, name: str) -> FieldAccuracy:
    column = ident(name)
    row = engine.rows(
        f"""
        WITH main AS (
            SELECT person, person_id FROM (
                SELECT person, person_id, row_number() OVER (
                    PARTITION BY person ORDER BY n DESC, person_id) AS k
                FROM (SELECT DISTINCT person, person_id, n FROM _golden_eval_main))
            WHERE k = 1
        ),
        held AS (
            SELECT e.person, bool_or(CAST(r.{column} AS VARCHAR) = tp.{column}) AS held
            FROM _golden_eval_main e
            JOIN main ON main.person = e.person AND main.person_id = e.person_id
            JOIN {RECORDS} r ON r.source = e.source AND r.record_id = e.record_id
            JOIN {persons_table} tp ON tp.person = e.person
            GROUP BY e.person
        ),
        scored AS (
            SELECT coalesce(CAST(p.{column} AS VARCHAR) = tp.{column}, false) AS shown,
                   coalesce(h.held, false) AS held
            FROM main
            JOIN {persons_table} tp ON tp.person = main.person
            JOIN {PROFILES} p ON p.person_id = main.person_id
            LEFT JOIN held h ON h.person = main.person
            WHERE tp.{column} IS NOT NULL AND tp.{column} <> ''
        )
        SELECT count(*), count(*) FILTER (WHERE shown), count(*) FILTER (WHERE held),
               count(*) FILTER (WHERE held AND shown)
        FROM scored
        """
    )[0]
    return FieldAccuracy(name, *(int(v) for v in row))
