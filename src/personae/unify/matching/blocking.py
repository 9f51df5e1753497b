"""Blocking: the rules that choose which record pairs are compared, and what each adds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

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


#: the column of the matching input holding the size of rule ``i``'s block of a record
BLOCK_SIZE_COLUMN = "_block_{index}"


def equality_keys(rule: str) -> list[str] | None:
    """The expressions a rule blocks on, when it is ``l.X = r.X AND l.Y = r.Y ...``.

    ``X`` may be any expression over ``l.`` columns (``substr(l.postcode, 1, 2)``);
    the keys come back without the ``l.`` qualifier. None for any other rule (a swap of
    columns, an inequality), which has no block of its own to measure.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(rule, read=AUTHORING_DIALECT)
    except sqlglot.errors.ParseError:
        return None
    terms = list(tree.flatten()) if isinstance(tree, exp.And) else [tree]
    keys = []
    for term in terms:
        if not isinstance(term, exp.EQ):
            return None
        left, right = term.left, term.right
        if _sides(left) == {"r"}:
            left, right = right, left
        if _sides(left) != {"l"} or _sides(right) != {"r"}:
            return None
        unqualified = left.copy()
        for column in unqualified.find_all(exp.Column):
            column.set("table", None)
        mirrored = right.copy()
        for column in mirrored.find_all(exp.Column):
            column.set("table", None)
        if unqualified.sql(AUTHORING_DIALECT) != mirrored.sql(AUTHORING_DIALECT):
            return None
        keys.append(unqualified.sql(AUTHORING_DIALECT))
    return keys


def _sides(expression: Any) -> set[str]:
    from sqlglot import exp

    return {column.table for column in expression.find_all(exp.Column)}


def block_size_columns(rules: Sequence[str]) -> dict[str, list[str]]:
    """``{column: keys}``: for each rule with equality keys, the column of the matching
    input holding the size of a record's block, and the keys the block shares."""
    columns = {}
    for index, rule in enumerate(rules):
        keys = equality_keys(rule)
        if keys:
            columns[BLOCK_SIZE_COLUMN.format(index=index)] = keys
    return columns


def with_block_sizes(table: str, columns: Sequence[str], rules: Sequence[str]) -> str:
    """A query of ``columns`` of ``table`` with the :func:`block_size_columns` of
    ``rules``: how many records of ``table`` share each record's keys.

    One ``GROUP BY`` per rule joined back on its keys, which costs a third of what as
    many windows (one sort each) do. A record with a NULL key gets a NULL size: it is in
    no block of that rule (``l.x = r.x`` never holds for NULL), whatever the size says.
    The records come out ordered by the first rule's keys, so the records of a block sit
    together and the blocking joins probe neighbouring rows (at 1M demo people: blocking
    works a seventh less than on the joins' own order). The order changes no answer:
    ``uid`` is numbered before, and training samples by ``uid``.
    """
    sizes = block_size_columns(rules)
    keyed = [
        f"{key} AS _key_{index}_{position}"
        for index, keys in enumerate(sizes.values())
        for position, key in enumerate(keys)
    ]
    selected = [f"k.{column}" for column in columns]
    joins = []
    for index, (column, keys) in enumerate(sizes.items()):
        names = [f"_key_{index}_{position}" for position in range(len(keys))]
        grouped = ", ".join(f"{key} AS {name}" for key, name in zip(keys, names, strict=True))
        on = " AND ".join(f"b{index}.{name} = k.{name}" for name in names)
        joins.append(
            f"LEFT JOIN (SELECT {grouped}, count(*) AS n FROM {table} "
            f"GROUP BY {', '.join(keys)}) AS b{index} ON {on}"
        )
        selected.append(f"b{index}.n AS {column}")
    first = [f"k._key_0_{position}" for position in range(len(next(iter(sizes.values()), [])))]
    return (
        f"SELECT {', '.join(selected)} "
        f"FROM (SELECT {', '.join([*columns, *keyed])} FROM {table}) AS k {' '.join(joins)}"
        + (f" ORDER BY {', '.join(first)}" if first else "")
    )


#: the column of the matching input naming a record's deterministic part (see
#: :func:`separated_rules`)
PART_KEY_COLUMN = "part_key"


def separated_rules(rules: Sequence[str]) -> list[str]:
    """``rules`` that never pair two records of one deterministic part.

    Records that already share an identifier (or that an override joined) are one
    person whatever their score: comparing them decides nothing. Such pairs were a third
    of all candidate pairs on the 200k demo (two thirds of the first rule's, nine tenths
    of the phone rule's), and 97% of the edges above the threshold, which clustering
    then set aside as ``within``. Needs the matching input to hold
    :data:`PART_KEY_COLUMN`.
    """
    return [f"({rule}) AND l.{PART_KEY_COLUMN} <> r.{PART_KEY_COLUMN}" for rule in rules]


def capped_rules(rules: Sequence[str], max_records: int | None) -> list[str]:
    """``rules`` that skip blocks of more than ``max_records`` records.

    A value shared by thousands of records (a street number and name in a large city,
    the most common name of a region) compares every pair of them: millions of pairs
    that say little, since the value is common. Their records still meet through the
    other rules (a postcode, a birth date, a name). Needs the matching input to hold
    :func:`block_size_columns`.
    """
    if max_records is None:
        return list(rules)
    sizes = block_size_columns(rules)
    capped = []
    for index, rule in enumerate(rules):
        column = BLOCK_SIZE_COLUMN.format(index=index)
        capped.append(f"({rule}) AND l.{column} <= {max_records}" if column in sizes else rule)
    return capped
