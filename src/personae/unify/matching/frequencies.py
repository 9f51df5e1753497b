"""Term frequencies: how common each value is, computed when the model is trained.

They are frozen with the model (saved beside it as ``<model>.tf_<column>.parquet``), so a
pair's score depends on the pair alone, in full and incremental runs alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from personae.config.matching import MatchingConfig
from personae.engine.matching import MatchingBackend
from personae.protect.encryption import Keyring
from personae.protect.files import read_parquet, write_parquet
from personae.unify.matching.model import linker_for

#: schema metadata of a term-frequency file rewritten by an erasure: how many values it
#: held when the model was trained (see :func:`trained_rows`)
TRAINED_ROWS = b"personae.trained_rows"


def term_frequencies(
    backend: MatchingBackend,
    settings: dict[str, Any],
    config: MatchingConfig,
    path: Path | None,
    trained: bool,
    keys: Keyring | None = None,
) -> dict[str, pa.Table]:
    """Term-frequency tables of the model: saved beside it, computed when it is trained.

    Column ``c`` has a table ``(c, tf_c)``: the share of input records holding each value.
    """
    files = {column: _tf_file(path, column) for column in _tf_columns(settings)} if path else {}
    if files and not trained and all(file.exists() for file in files.values()):
        return {column: read_parquet(file, keys, "models") for column, file in files.items()}
    whole = linker_for(backend, ["match_input"], settings, config)
    tables = {}
    for column in _tf_columns(settings):
        frame = whole.table_management.compute_tf_table(column)
        tables[column] = backend.query(f"SELECT * FROM {frame.physical_name}")
        if column in files:
            write_parquet(files[column], tables[column], keys, "models")
    return tables


def _tf_file(path: Path, column: str) -> Path:
    return path.with_name(f"{path.stem}.tf_{column}.parquet")


def saved_term_frequencies(
    settings: dict[str, Any], path: Path, keys: Keyring | None = None
) -> dict[str, pa.Table]:
    """The term-frequency tables saved beside the model at ``path`` (those that exist);
    they hold values (names, postcodes), so with ``protect.encryption`` they are sealed."""
    files = {column: _tf_file(path, column) for column in _tf_columns(settings)}
    return {
        column: read_parquet(file, keys, "models")
        for column, file in files.items()
        if file.exists()
    }


def register_term_frequencies(
    backend: MatchingBackend, linker: Any, frequencies: dict[str, pa.Table]
) -> None:
    for column, table in frequencies.items():
        linker.table_management.register_term_frequency_lookup(
            backend.frame(table), column, overwrite=True
        )


def trained_rows(table: pa.Table) -> int:
    """How many values a term-frequency table held when the model was trained.

    An erasure removes the values only the erased records held
    (:mod:`personae.privacy.models`), which changes no remaining pair's score: the
    scoring state counts the rows as trained, so the next run stays incremental.
    """
    recorded = (table.schema.metadata or {}).get(TRAINED_ROWS)
    return int(recorded) if recorded else table.num_rows


def _tf_columns(settings: dict[str, Any]) -> list[str]:
    columns: list[str] = []
    for comparison in settings.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            column = level.get("tf_adjustment_column")
            if column and column not in columns:
                columns.append(str(column))
    return columns
