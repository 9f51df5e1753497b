"""Blocking: the rules that choose which record pairs are compared, and what each adds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from personae.engine import AUTHORING_DIALECT
from personae.engine.matching import MatchingBackend


def splink_blocking_rules(rules: Sequence[str]) -> list[dict[str, str]]:
    """Blocking rules as Splink takes them, marked as written in DuckDB's dialect."""
    return [{"blocking_rule": rule, "sql_dialect": AUTHORING_DIALECT} for rule in rules]


def blocking_pair_counts(
    backend: MatchingBackend,
    table: str,
    rules: Sequence[str],
    *,
    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"] = "dedupe_only",
) -> dict[str, int]:
    """Candidate pairs each rule adds after the rules before it."""
    from splink.blocking_analysis import (
        cumulative_comparisons_to_be_scored_from_blocking_rules_data,
    )

    frame = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
        table_or_tables=table,
        blocking_rules=splink_blocking_rules(rules),
        link_type=link_type,
        db_api=backend.db_api(),
        unique_id_column_name="uid",
    )
    return {
        str(rule): int(count)
        for rule, count in zip(frame["blocking_rule"], frame["row_count"], strict=True)
    }
