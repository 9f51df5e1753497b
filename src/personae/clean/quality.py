"""Data quality as the clean stage measured it (``data_quality``): per source and field,
rows, filled, valid and invalid values, with examples of invalid raw values. What
``personae status`` prints and the data quality page shows.

    for field in data_quality(engine, only_invalid=True).fields:
        print(field.source, field.field, field.fill_rate, field.validity, field.examples)
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.catalog import DATA_QUALITY
from personae.engine import Engine

#: how ``data_quality.examples`` separates the invalid raw values it keeps
EXAMPLES_SEPARATOR = " | "


@dataclass(frozen=True)
class FieldQuality:
    """One field of one source. ``filled``: rows with a raw value; ``valid``: those
    that cleaned into a canonical value; ``invalid``: filled but not valid (set to
    NULL, never guessed); ``examples``: up to five invalid raw values."""

    source: str
    field: str
    rows: int
    filled: int
    valid: int
    invalid: int
    examples: tuple[str, ...]

    @property
    def fill_rate(self) -> float | None:
        """Share of rows with a value (None for a source without rows)."""
        return self.filled / self.rows if self.rows else None

    @property
    def validity(self) -> float | None:
        """Share of filled values that are valid (None when nothing is filled)."""
        return self.valid / self.filled if self.filled else None


@dataclass(frozen=True)
class DataQuality:
    """The fields asked for, by source and field, and how many fields clean checked
    in all (``checked``: 0 before ``personae clean`` ran)."""

    fields: tuple[FieldQuality, ...]
    checked: int

    @property
    def invalid(self) -> int:
        return sum(f.invalid for f in self.fields)

    def sources(self) -> list[str]:
        return sorted({f.source for f in self.fields})


def data_quality(
    engine: Engine, *, source: str | None = None, only_invalid: bool = False
) -> DataQuality:
    """Per source × field quality, ordered by source and field: of one ``source``, or
    only the fields with invalid values. Empty before ``personae clean`` ran."""
    if not engine.table_exists(DATA_QUALITY):
        return DataQuality((), 0)
    conditions: list[str] = []
    params: list[object] = []
    if only_invalid:
        conditions.append("invalid > 0")
    if source is not None:
        conditions.append("source = ?")
        params.append(source)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = engine.rows(
        f"SELECT source, field, rows, filled, valid, invalid, examples FROM {DATA_QUALITY} "
        f"{where} ORDER BY source, field",
        params,
    )
    fields = tuple(
        FieldQuality(
            str(src),
            str(field),
            int(n or 0),
            int(filled or 0),
            int(valid or 0),
            int(invalid or 0),
            tuple(examples.split(EXAMPLES_SEPARATOR)) if examples else (),
        )
        for src, field, n, filled, valid, invalid, examples in rows
    )
    return DataQuality(fields, engine.count(DATA_QUALITY))
