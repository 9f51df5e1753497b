"""A file destination: the whole audience written to CSV or Parquet each run, in a folder
of the project or on object storage through fsspec (``s3://bucket/vip.parquet``).

A file holds a snapshot, so the file connector is a :class:`SnapshotConnector`: the sync
hands it the audience (and, with ``diff_files: true``, what changed) as SQL, and it
writes each file atomically (a temporary file renamed over the old one in a folder; a
single PUT, which object stores make visible only once complete). The sync records the
state only after the file is written: a crash in between rewrites the file next run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from personae.activate.connectors.base import PermanentError, TransientError
from personae.config.destinations import FileDestination
from personae.engine import Engine
from personae.errors import PersonaeError

FileFormat = Literal["csv", "parquet"]


def file_format(path: str) -> FileFormat:
    return "csv" if path.lower().endswith(".csv") else "parquet"


def is_url(path: str) -> bool:
    return "://" in path


def diff_path(path: str, kind: str) -> str:
    """``exports/vip.csv`` -> ``exports/vip.added.csv``."""
    stem, dot, suffix = path.rpartition(".")
    return f"{stem}.{kind}{dot}{suffix}"


def _csv_ready(table: pa.Table) -> pa.Table:
    """List columns as ``[a, b]`` text, as the engines write them to CSV."""
    for i, column in enumerate(table.schema):
        if pa.types.is_list(column.type):
            values = [
                None if v is None else "[" + ", ".join(map(str, v)) + "]"
                for v in table.column(i).to_pylist()
            ]
            table = table.set_column(i, column.name, pa.array(values, type=pa.string()))
    return table


class FileConnector:
    """Writes the snapshot (and the diff files) of one file destination."""

    #: a file takes the whole audience at once
    max_batch = 1_000_000_000
    #: a snapshot holds each member once, by person id: a changed e-mail is an update
    identity_fields: tuple[str, ...] = ()

    def __init__(self, destination: FileDestination, root: Path) -> None:
        self.destination = destination
        self.root = root
        self.storage_options: dict[str, Any] = dict(destination.storage_options)

    def location(self, path: str) -> str:
        return path if is_url(path) else str(self.root / path)

    def write_snapshot(self, engine: Engine, sql: str, diffs: dict[str, str]) -> int:
        """Write the audience ``sql`` selects to the destination's file, then each diff
        (``added``/``updated``/``removed`` -> SQL) when ``diff_files`` is on."""
        target = self.destination.path
        rows = self._write(engine, sql, target)
        if self.destination.diff_files:
            for kind, diff_sql in diffs.items():
                self._write(engine, diff_sql, diff_path(target, kind))
        return rows

    def _write(self, engine: Engine, sql: str, path: str) -> int:
        fmt = file_format(path)
        if not is_url(path):
            final = Path(self.location(path))
            final.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{final.name}.", suffix=f".{fmt}", dir=final.parent
            )
            os.close(handle)
            try:
                rows = int(engine.export(sql, Path(temporary), fmt))
                os.replace(temporary, final)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
            return rows
        table = engine.query(sql)
        fs, key = _filesystem(path, self.storage_options)
        try:
            with fs.open(key, "wb") as out:
                if fmt == "parquet":
                    pq.write_table(table, out)
                else:
                    pa_csv.write_csv(_csv_ready(table), out)
        except PermissionError as exc:
            raise PermanentError(f"{path}: access denied ({exc})") from exc
        except OSError as exc:
            raise TransientError(f"{path}: could not write ({exc})") from exc
        return int(table.num_rows)

    def send(self, changes: Any) -> Any:  # pragma: no cover - snapshots only
        raise PersonaeError("a file destination is written whole, as a snapshot")

    def close(self) -> None:
        pass


def _filesystem(path: str, options: dict[str, Any]) -> tuple[Any, str]:
    try:
        import fsspec  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError as exc:
        raise PersonaeError(
            f"writing to {path} needs fsspec and the storage's driver; install "
            "personae[s3] (pip install 'personae[s3]') for s3:// paths"
        ) from exc
    try:
        fs, key = fsspec.core.url_to_fs(path, **options)
    except ImportError as exc:
        raise PersonaeError(
            f"writing to {path} needs the driver of its storage ({exc}); for s3:// paths "
            "install personae[s3]"
        ) from exc
    return fs, key
