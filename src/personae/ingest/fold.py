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
    engine.create_table_as(keyed, f"SELECT *, {key} AS _fold_id FROM {stage}")
    before = int(engine.scalar(f"SELECT count(*) FROM {keyed}"))

    def filled(column: str) -> str:
        return f"nullif(trim({ident(column)}), '') IS NOT NULL"

    kept = []
    for column in columns:
        first = f"first({ident(column)} ORDER BY _line)"
        if rows.keep == "first_non_empty":
            non_empty = f"first({ident(column)} ORDER BY _line) FILTER ({filled(column)})"
            first = f"coalesce({non_empty}, {first})"
        kept.append(f"{first} AS {ident(column)}")
    for list_name, keys in collected.items():
        pairs = ", ".join(f"{literal(k)}, {ident(c)}" for k, c in keys.items())
        any_filled = " OR ".join(filled(c) for c in dict.fromkeys(keys.values()))
        kept.append(
            f"coalesce(CAST(to_json(list(json_object({pairs}) ORDER BY _line) "
            f"FILTER ({any_filled})) AS VARCHAR), '[]') AS {ident(list_name)}"
        )
    no_lists = "".join(f", CAST(NULL AS VARCHAR) AS {ident(n)}" for n in collected)
    plain = ", ".join(ident(c) for c in columns)
    engine.create_table_as(
        stage,
        f"SELECT {', '.join(kept)}, min(_line) AS _line FROM {keyed} "
        f"WHERE _fold_id IS NOT NULL GROUP BY _fold_id "
        f"UNION ALL SELECT {plain}{no_lists}, _line FROM {keyed} WHERE _fold_id IS NULL",
    )
    after = engine.count(stage)
    folded = before - after
    warnings = _dropped_values(engine, name, source, keyed, columns, label) if folded else []
    engine.drop_table(keyed)
    staged = dataclasses.replace(
        read, columns=[*columns, *collected, "_line"], rows=read.rows - folded
    )
    return staged, folded, warnings


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
        f"count(*) FILTER (WHERE nullif(trim(k.{ident(c)}), '') IS NOT NULL "
        f"AND k.{ident(c)} IS DISTINCT FROM s.{ident(c)})"
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
    shown = ", ".join(f"{c} ({n} rows)" for c, n in dropped[:_NAMED])
    more = f" and {len(dropped) - _NAMED} more" if len(dropped) > _NAMED else ""
    return [
        f"sources.{name}: {label}: rows folded into their record's first row held values "
        f"of columns the record does not keep: {shown}{more}; no table keeps them: list "
        f"these columns under rows_per_record.collect to keep every row's value"
    ]
