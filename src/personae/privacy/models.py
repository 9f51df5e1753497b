"""The matching model's term-frequency files without an erased person's values.

``.personae/models/matching.tf_<column>.parquet`` hold the values of the compared
columns (first and last names, full names, e-mail local parts, postcodes, cities) with
the share of records holding each, frozen when the model was trained. An erasure
rewrites them without every value the person's records held that no other record holds:
a rare name or an e-mail local part would otherwise outlive the person. A value other
records still hold (a common first name, a city) stays: it says nothing of the erased
person, and its frequency is an aggregate over everyone.

The rewrite changes no remaining pair's score (a dropped value was held by the erased
records only, so no remaining pair compares on it), hence the files record the number of
values they held when trained (:data:`personae.unify.matching.frequencies.TRAINED_ROWS`)
and the next ``resolve`` stays incremental instead of scoring every pair again.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from personae.catalog import RECORDS
from personae.engine import Engine
from personae.privacy.person import mine
from personae.project import Project
from personae.protect.encryption import Keyring
from personae.protect.files import read_parquet, write_parquet
from personae.sql import ident, literal
from personae.unify.matching.frequencies import TRAINED_ROWS, trained_rows
from personae.unify.matching.model import model_path
from personae.unify.matching.records import INPUT_SQL

_MINE = mine("source", "record_id", RECORDS)


def tf_files(project_root: Path) -> dict[str, Path]:
    """The term-frequency files of the project's model, by column."""
    path = model_path(project_root)
    prefix = f"{path.stem}.tf_"
    if not path.parent.is_dir():
        return {}
    return {
        file.name[len(prefix) : -len(".parquet")]: file
        for file in sorted(path.parent.glob(f"{prefix}*.parquet"))
    }


def _input(where: str) -> str:
    """The matching input (its compared columns) over the records ``where`` selects."""
    return INPUT_SQL.format(table=f"(SELECT * FROM {RECORDS} WHERE {where}) AS r")


def _erased_values(engine: Engine, columns: list[str]) -> dict[str, set[str]]:
    """Per column: the values the person's records hold and no other record does; needs
    the person's keys in :data:`KEYS_TABLE`. Two scans of ``records`` in all."""
    names = [ident(c) for c in columns]
    mine_sql = ", ".join(f"list(DISTINCT CAST({n} AS VARCHAR))" for n in names)
    held = engine.rows(f"SELECT {mine_sql} FROM ({_input(_MINE)}) AS i")[0]
    found = {
        c: {str(v) for v in values or [] if v is not None}
        for c, values in zip(columns, held, strict=True)
    }
    wanted = [(c, n) for c, n in zip(columns, names, strict=True) if found[c]]
    if not wanted:
        return found
    kept_sql = ", ".join(
        f"list(DISTINCT CAST({n} AS VARCHAR)) FILTER (WHERE CAST({n} AS VARCHAR) IN "
        f"({', '.join(literal(v) for v in sorted(found[c]))}))"
        for c, n in wanted
    )
    kept = engine.rows(f"SELECT {kept_sql} FROM ({_input(f'NOT ({_MINE})')}) AS i")[0]
    for (column, _), values in zip(wanted, kept, strict=True):
        found[column] -= {str(v) for v in values or []}
    return found


def erase_from_models(project: Project, dry_run: bool) -> dict[str, int]:
    """Values removed per term-frequency file (path inside the project); the person's
    record keys must be in :data:`KEYS_TABLE` and still in ``records``."""
    engine = project.engine
    files = tf_files(project.root)
    if not files or not engine.table_exists(RECORDS):
        return {}
    if not {"first_name_key", "last_name_key", "email"} <= set(engine.columns(RECORDS)):
        return {}  # records without the compared columns: no matching input
    tables = {column: read_parquet(file, project.keys, "models") for column, file in files.items()}
    tables = {column: table for column, table in tables.items() if column in table.column_names}
    if not tables:
        return {}
    erased = _erased_values(engine, sorted(tables))
    removed: dict[str, int] = {}
    for column, table in tables.items():
        if not erased[column]:
            continue
        values = pc.cast(table[column], pa.string())
        gone = pa.array(sorted(erased[column]), pa.string())
        doomed = pc.fill_null(pc.is_in(values, value_set=gone), False)
        count = pc.sum(doomed).as_py() or 0
        if not count:
            continue
        removed[str(files[column].relative_to(project.root))] = count
        if not dry_run:
            _rewrite(files[column], table, pc.invert(doomed), project.keys)
    return removed


def _rewrite(file: Path, table: pa.Table, keep: pa.ChunkedArray, keys: Keyring | None) -> None:
    """Write ``table``'s kept rows over ``file`` (atomically, sealed again when the
    project is encrypted), recording how many values it held when trained."""
    metadata = dict(table.schema.metadata or {})
    metadata[TRAINED_ROWS] = str(trained_rows(table)).encode()
    write_parquet(file, table.filter(keep).replace_schema_metadata(metadata), keys, "models")
