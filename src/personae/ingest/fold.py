"""Folding the rows of one record into one: a source's ``rows_per_record``.

Some exports write several rows per record: Shopify's orders export has one row per line
item, the order's own columns (total, status, addresses) on the first only and the
order's ``Name`` on every row. With ``rows_per_record``, the staged rows sharing a record
id in one file or extract become one row before they land (:func:`fold`, called by
:func:`personae.ingest.landing.land`):

* its columns are the first row's, as received (``keep: first``), or each column's first
  non-empty value in file order (``keep: first_non_empty``); its line is the first row's;
* each ``collect`` entry adds a column: a JSON list (text) of one object per row, in file
  order, holding the listed columns' values as received; rows whose listed columns are
  all empty add no object;
* the rows folded into another are counted (``loads.rows_folded``), never quarantined; a
  folded row holding a value that is neither the record's nor collected is named in a
  warning, since no table keeps it;
* rows without a record id are left as they are: landing quarantines them.

**Why fold when landing, not in clean.** ``raw_<source>`` keeps one row per version of a
record: that is what its row hash compares (unchanged, or a new version), what clean's
latest version, consent, erasure, retention and the access export read. Kept apart, the
rows of an order would each be compared alone: re-exporting an order whose status changed
would land its first row as a new version and count its unchanged line items as
unchanged, leaving the new version without them. Folded, the record's row hash covers
every row it was made of, so an order re-exported unchanged is unchanged, and an order
whose status or any line item changed lands as a new version holding all its line items,
never a second order. Raw still keeps what the file said, as text: the first row's
columns verbatim and every row's collected values verbatim; a value the fold would drop is
warned about with its column, so it can be collected.
"""

from __future__ import annotations

import dataclasses

from personae.config.sources import SourceConfig
from personae.engine import Engine, FileRead
from personae.errors import SourceError
from personae.sql import ident, literal

#: warnings name this many columns with dropped values at most
_NAMED = 5


def fold(
    engine: Engine, name: str, source: SourceConfig, read: FileRead, label: str
) -> tuple[FileRead, int, list[str]]:
    """Fold the rows staged in ``read.table`` (see the module's docstring), in place.
    Returns the staged rows after folding, how many rows were folded into another, and
    the warnings."""
    rows = source.rows_per_record
    if rows is None or source.record_id is None:
        return read, 0, []
    collected = rows.collected()
    columns = [c for c in read.columns if c != "_line"]
    for column in collected:
        if column in columns:
            raise SourceError(
                f"sources.{name}.rows_per_record.collect.{column}: {label} already has a "
                f"column {column!r}; give the collected list another name"
            )
    stage, keyed = read.table, f"{read.table}_fold"
    key = f"nullif(trim({ident(source.record_id)}), '')"
    items = "".join(
        f", {_item_sql(keys)} AS {ident('_item_' + n)}" for n, keys in collected.items()
    )
    engine.create_table_as(
        keyed,
        f"SELECT *, {key} AS _fold_id, "
        f"row_number() OVER (PARTITION BY {key} ORDER BY _line) AS _fold_n{items} FROM {stage}",
    )
    before = int(engine.scalar(f"SELECT count(*) FROM {keyed}"))
    # per record: each column's first non-empty value, and the collected lists
    aggregates = ["_fold_id"]
    if rows.keep == "first_non_empty":
        for i, column in enumerate(columns):
            when = f"CASE WHEN {_filled(column)} THEN"
            aggregates.append(
                f"arg_min({when} {ident(column)} END, {when} _line END) AS _first_{i}"
            )
    for list_name in collected:
        item = ident("_item_" + list_name)
        # in file order on every engine: each item starts with its zero-padded line
        # number and a unit separator (never raw in JSON text), sorted, then stripped
        joined = f"string_agg({item}, chr(30) ORDER BY {item})"
        stripped = f"regexp_replace({joined}, '[0-9]+' || chr(31), '', 'g')"
        aggregates.append(f"'[' || replace({stripped}, chr(30), ',') || ']' AS {item}")
    engine.create_table_as(
        f"{keyed}_records",
        f"SELECT {', '.join(aggregates)} FROM {keyed} WHERE _fold_id IS NOT NULL GROUP BY _fold_id",
    )
    kept = [
        f"coalesce(r._first_{i}, f.{ident(c)}) AS {ident(c)}"
        if rows.keep == "first_non_empty"
        else f"f.{ident(c)}"
        for i, c in enumerate(columns)
    ]
    kept += [
        f"CASE WHEN f._fold_id IS NOT NULL THEN coalesce(r.{ident('_item_' + n)}, '[]') END "
        f"AS {ident(n)}"
        for n in collected
    ]
    engine.create_table_as(
        stage,
        f"SELECT {', '.join(kept)}, f._line FROM {keyed} f "
        f"LEFT JOIN {keyed}_records r ON r._fold_id = f._fold_id "
        "WHERE f._fold_id IS NULL OR f._fold_n = 1",
    )
    engine.drop_table(f"{keyed}_records")
    after = engine.count(stage)
    folded = before - after
    warnings = _dropped_values(engine, name, source, keyed, columns, label) if folded else []
    engine.drop_table(keyed)
    staged = dataclasses.replace(
        read, columns=[*columns, *collected, "_line"], rows=read.rows - folded
    )
    return staged, folded, warnings


def _filled(column: str, alias: str = "") -> str:
    return f"nullif(trim({alias}{ident(column)}), '') IS NOT NULL"


def _item_sql(keys: dict[str, str]) -> str:
    """A row's object of a collected list, prefixed for ordering (see :func:`fold`);
    NULL when the listed columns are all empty."""
    pairs = ", ".join(f"{literal(k)}, {ident(c)}" for k, c in keys.items())
    any_filled = " OR ".join(_filled(c) for c in dict.fromkeys(keys.values()))
    return (
        f"CASE WHEN {any_filled} THEN lpad(CAST(_line AS VARCHAR), 20, '0') || chr(31) "
        f"|| CAST(json_object({pairs}) AS VARCHAR) END"
    )


def _dropped_values(
    engine: Engine, name: str, source: SourceConfig, keyed: str, columns: list[str], label: str
) -> list[str]:
    """A warning when folded rows held values the record does not keep: a non-empty value
    of a column that is not collected and differs from the record's."""
    rows = source.rows_per_record
    assert rows is not None
    listed = {c for keys in rows.collected().values() for c in keys.values()}
    checked = [c for c in columns if c not in listed and c != source.record_id]
    if not checked:
        return []
    stage = keyed.removesuffix("_fold")
    counts = ", ".join(
        f"sum(CASE WHEN {_filled(c, 'k.')} AND k.{ident(c)} IS DISTINCT FROM s.{ident(c)} "
        "THEN 1 ELSE 0 END)"
        for c in checked
    )
    record_id = ident(source.record_id or "")
    differing = engine.rows(
        f"SELECT {counts} FROM {keyed} k JOIN {stage} s "
        f"ON nullif(trim(s.{record_id}), '') = k._fold_id AND k._line <> s._line"
    )[0]
    dropped = [(c, int(n)) for c, n in zip(checked, differing, strict=True) if n]
    if not dropped:
        return []
    shown = ", ".join(f"{c} ({n} row{'s' if n > 1 else ''})" for c, n in dropped[:_NAMED])
    more = f" and {len(dropped) - _NAMED} more" if len(dropped) > _NAMED else ""
    return [
        f"sources.{name}: {label}: rows folded into their record's first row held values "
        f"of columns the record does not keep: {shown}{more}; no table keeps them: list "
        f"these columns under rows_per_record.collect to keep every row's value"
    ]
