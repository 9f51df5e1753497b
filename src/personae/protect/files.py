"""Private files: what personae writes is readable by its owner only, from the start.

The CLI and the server set the process umask to ``077`` before they create anything
(:func:`private_umask`), so every file is created ``0600`` and every folder ``0700``,
DuckDB's and pyarrow's files included; the helpers below also pass those modes
explicitly, so a library caller with a looser umask gets them too. Nothing is created
open and ``chmod``-ed afterwards: there is no moment when a file is world-readable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module at start-up: pyarrow and crypto stay lazy
    import pyarrow as pa

    from personae.protect.encryption import Keyring, Kind

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077


def private_umask() -> int:
    """Make every file and folder this process creates private; returns the old umask."""
    return os.umask(UMASK)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as ``0700`` folders; an existing folder is
    left as it is."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def write_private(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file renamed over it), created
    ``0600``; ``durable`` fsyncs the file and its folder."""
    private_dir(path.parent)
    temporary = path.with_name(f".tmp-{path.name}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    if durable:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def loose_files(root: Path) -> list[str]:
    """Files and folders under ``root`` that others than the owner can read or enter."""
    found = []
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.stat().st_mode & 0o077:
            found.append(f"{path} ({oct(path.stat().st_mode & 0o777)})")
    return found


def write_parquet(path: Path, table: pa.Table, keys: Keyring | None, kind: Kind) -> None:
    """``table`` as the Parquet file ``path``, created ``0600``, written atomically and
    durably, sealed whole under ``keys``' key for ``kind`` when keys are given."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    write_private(path, keys.seal(kind, data) if keys else data, durable=True)


def read_parquet(
    path: Path, keys: Keyring | None, kind: Kind, columns: list[str] | None = None
) -> pa.Table:
    """A Parquet file written by :func:`write_parquet` (or any plain Parquet file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from personae.protect.encryption import open_any

    data = open_any(keys, kind, path.read_bytes(), where=str(path))
    return pq.read_table(pa.BufferReader(data), columns=columns)
