"""Reading what a dlt pipeline loaded, without dlt: its destination is DuckDB or Parquet.

Two destinations are read:

* **DuckDB** (``dlt.destinations.duckdb("shop.duckdb")``): one schema per dataset holding
  the tables and ``_dlt_loads`` (``load_id``, ``status``, ``inserted_at``…); every row
  of a top-level table carries ``_dlt_load_id`` and ``_dlt_id``. The file is opened
  read-only, and only while one load's rows are streamed out of it, so the pipeline can
  load again between two loads;
* **filesystem** with Parquet files (``dlt.destinations.filesystem("bucket")``,
  ``loader_file_format="parquet"``): ``<bucket>/<dataset>/<table>/<load_id>.<file_id>.parquet``
  and one ``<bucket>/<dataset>/_dlt_loads/<schema>__<load_id>.jsonl`` per completed load.

A load counts once dlt has recorded it in ``_dlt_loads`` with status 0 (completed): rows
of a load still running, or failed, are not read. Rows come out as Arrow record batches
of at most ``batch_rows`` rows, holding the columns asked for (the caller,
:mod:`personae.ingest.dlt_source`, leaves dlt's bookkeeping columns out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import duckdb  # the dlt destination's file format, opened read-only: never the warehouse
import pyarrow as pa
import pyarrow.parquet as pq

from personae.config.dlt import DltSpec
from personae.errors import SourceError, did_you_mean
from personae.sql import ident

#: the column of every top-level dlt table holding the load that wrote the row
LOAD_ID = "_dlt_load_id"
#: dlt's bookkeeping tables and columns start with this
DLT_PREFIX = "_dlt"
_LOADS = "_dlt_loads"


class ReadError(Exception):
    """Reading a load's rows failed (a file gone or damaged, the DuckDB file locked);
    the caller names the source and lands nothing of the load."""


class Destination(Protocol):
    """One table of a dlt dataset, whichever destination holds it."""

    #: how ``loads.file`` and ``raw_<source>._file`` name it
    label: str

    def columns(self, load_ids: list[str]) -> list[str]:
        """The table's columns, dlt's included, as the loads ``load_ids`` wrote it."""

    def completed_loads(self) -> list[str]:
        """The ids of the completed loads that wrote rows of the table, oldest first."""

    def batches(self, load_id: str, columns: list[str]) -> Iterator[pa.RecordBatch]:
        """The rows load ``load_id`` wrote, ``columns`` only; raises ReadError."""


def open_destination(root: Path, name: str, spec: DltSpec) -> Destination:
    """The table ``spec`` names, in the DuckDB file or the filesystem bucket it points to."""
    where = f"sources.{name}.dlt.destination"
    if "://" in spec.destination and not spec.destination.startswith("file://"):
        raise SourceError(
            f"{where}: {spec.destination} is a remote bucket; personae reads a local DuckDB "
            "file or a local filesystem destination: load into a folder (bucket_url a local "
            "path) or copy the bucket's dataset folder locally"
        )
    path = Path(spec.destination.removeprefix("file://"))
    path = path if path.is_absolute() else root / path
    if path.is_file():
        return DuckDBTable(name, path, spec)
    if path.is_dir():
        return ParquetTable(name, path, spec)
    raise SourceError(
        f"{where}: no dlt destination at {path}: it should be the DuckDB file of "
        "dlt.destinations.duckdb(...) or the folder (bucket_url) of "
        "dlt.destinations.filesystem(...); run the dlt pipeline first, or fix the path "
        "(relative paths start at the project folder)"
    )


def _by_age(load_ids: set[str]) -> list[str]:
    """dlt's load ids are Unix timestamps as text: oldest first."""

    def key(load_id: str) -> tuple[float, str]:
        try:
            return (float(load_id), load_id)
        except ValueError:
            return (float("inf"), load_id)

    return sorted(load_ids, key=key)


def _missing(name: str, key: str, holder: str, wanted: str, found: list[str], listed: str) -> str:
    """``sources.<name>.dlt.<key>: <holder> has no <key> '<wanted>'``, the closest name
    and every name there is."""
    return (
        f"sources.{name}.dlt.{key}: {holder} has no {key} {wanted!r}"
        + did_you_mean(wanted, found)
        + f"; {listed}: {', '.join(found) if found else 'none'}"
    )


class DuckDBTable:
    """A table of a dlt DuckDB destination, read through a read-only connection."""

    def __init__(self, name: str, path: Path, spec: DltSpec) -> None:
        self.name, self.path, self.spec = name, path, spec
        self.label = f"dlt:{path}#{spec.dataset}.{spec.table}"
        self.relation = f"{ident(spec.dataset)}.{ident(spec.table)}"
        with self._connect() as con:
            datasets = sorted(
                row[0]
                for row in con.execute(
                    "SELECT DISTINCT table_schema FROM information_schema.tables "
                    "WHERE table_name = ?",
                    [_LOADS],
                ).fetchall()
            )
            if spec.dataset not in datasets:
                raise SourceError(
                    _missing(name, "dataset", str(path), spec.dataset, datasets,
                             "its datasets (dlt's dataset_name) are")
                )  # fmt: skip
            self._columns = [
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                    [spec.dataset, spec.table],
                ).fetchall()
            ]
            if not self._columns:
                tables = sorted(
                    row[0]
                    for row in con.execute(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                        [spec.dataset],
                    ).fetchall()
                    if not row[0].startswith(DLT_PREFIX)
                )
                raise SourceError(
                    _missing(name, "table", f"dataset {spec.dataset} of {path}", spec.table,
                             tables, "its tables are")
                )  # fmt: skip

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            raise SourceError(
                f"sources.{self.name}.dlt.destination: cannot open {self.path} as a DuckDB "
                f"file, read-only: {exc}. If the dlt pipeline is loading it right now, run "
                "again once it has finished"
            ) from None

    def columns(self, load_ids: list[str]) -> list[str]:
        return list(self._columns)  # one table holds every load's rows

    def completed_loads(self) -> list[str]:
        if LOAD_ID not in self._columns:
            return []  # a nested table: its rows carry no load id
        dataset = ident(self.spec.dataset)
        with self._connect() as con:
            found = con.execute(
                f"SELECT DISTINCT {LOAD_ID} FROM {self.relation} WHERE {LOAD_ID} IN "
                f"(SELECT load_id FROM {dataset}.{_LOADS} WHERE status = 0)"
            ).fetchall()
        return _by_age({row[0] for row in found})

    def batches(self, load_id: str, columns: list[str]) -> Iterator[pa.RecordBatch]:
        listed = ", ".join(ident(c) for c in columns)
        try:
            with self._connect() as con:
                reader: pa.RecordBatchReader = con.sql(
                    f"SELECT {listed} FROM {self.relation} WHERE {LOAD_ID} = ?", params=[load_id]
                ).to_arrow_reader(self.spec.batch_rows)
                yield from reader
        except (duckdb.Error, pa.ArrowException) as exc:
            raise ReadError(str(exc)) from None


class ParquetTable:
    """A table of a dlt filesystem destination written as Parquet files."""

    def __init__(self, name: str, bucket: Path, spec: DltSpec) -> None:
        self.name, self.spec = name, spec
        self.root = bucket / spec.dataset
        self.folder = self.root / spec.table
        self.label = f"dlt:{bucket}#{spec.dataset}.{spec.table}"
        if not (self.root / _LOADS).is_dir():
            datasets = sorted(p.name for p in bucket.iterdir() if (p / _LOADS).is_dir())
            raise SourceError(
                _missing(name, "dataset", str(bucket), spec.dataset, datasets,
                         "its datasets (dlt's dataset_name) are")
            )  # fmt: skip
        if not self.folder.is_dir():
            tables = sorted(
                p.name
                for p in self.root.iterdir()
                if p.is_dir() and not p.name.startswith(DLT_PREFIX) and p.name != "init"
            )
            raise SourceError(
                _missing(name, "table", f"dataset {spec.dataset} of {bucket}", spec.table,
                         tables, "its tables are")
            )  # fmt: skip
        self._files: dict[str, list[Path]] = {}
        for path in sorted(self.folder.iterdir()):
            # <load_id>.<file_id>.<extension>, the load id holding a dot of its own
            parts = path.name.rsplit(".", 2)
            if not path.is_file() or len(parts) < 3:
                continue
            load_id = parts[0]
            if path.suffix != ".parquet":
                raise SourceError(
                    f"sources.{name}.dlt: {path.name} of {self.folder} is not a Parquet file; "
                    "personae reads the Parquet files of a filesystem destination: run the "
                    'pipeline with loader_file_format="parquet"'
                )
            self._files.setdefault(load_id, []).append(path)

    def columns(self, load_ids: list[str]) -> list[str]:
        """Read from the footers of those loads' files only: a bucket keeps every load."""
        names: dict[str, None] = {}
        for load_id in load_ids:
            for path in self._files.get(load_id, []):
                try:
                    names.update(dict.fromkeys(pq.read_schema(path).names))
                except (OSError, pa.ArrowException) as exc:
                    raise ReadError(f"{path}: {exc}") from None
        return list(names)

    def completed_loads(self) -> list[str]:
        return _by_age(set(self._files) & _completed(self.root / _LOADS))

    def batches(self, load_id: str, columns: list[str]) -> Iterator[pa.RecordBatch]:
        for path in self._files[load_id]:
            try:
                handle = pq.ParquetFile(path)
                present = [c for c in columns if c in handle.schema_arrow.names]
                for batch in handle.iter_batches(self.spec.batch_rows, columns=present):
                    if batch.num_rows:
                        yield _conform(batch, columns)
            except (OSError, pa.ArrowException) as exc:
                raise ReadError(f"{path}: {exc}") from None


def _completed(folder: Path) -> set[str]:
    """The load ids ``_dlt_loads`` records with status 0: one small file per load."""
    done: set[str] = set()
    for path in folder.iterdir():
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        elif path.suffix == ".parquet":
            rows = pq.read_table(path).to_pylist()
        else:
            continue
        done.update(str(row["load_id"]) for row in rows if row.get("status") == 0)
    return done


def _conform(batch: pa.RecordBatch, columns: list[str]) -> pa.RecordBatch:
    """Every column of the load, in one order: a file written before a column appeared
    holds NULL there."""
    arrays = [
        batch.column(c) if c in batch.schema.names else pa.nulls(batch.num_rows, pa.string())
        for c in columns
    ]
    return pa.RecordBatch.from_arrays(arrays, names=columns)
