"""Files Spark's executors reach: the warehouse folder through Hadoop's FileSystem, and
Arrow tables or local Parquet files staged there for Spark to read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

from personae.engine.spark.arrow import spark_ready, spark_schema
from personae.errors import EngineError

#: under the warehouse; not a table name, so opening the warehouse never registers it
STAGING = "personae-staging"


class Staging:
    """Arrow tables and local Parquet files made readable by Spark's executors.

    Each is written as a Parquet file on the driver, copied through Hadoop's FileSystem
    into a folder every executor reaches (the warehouse's staging folder, local or
    ``s3a://``/``hdfs://``) and read from there: columnar end to end, no pandas, no rows
    shipped inside tasks. The files are removed when the block ends, so every frame must
    be written (materialised) before then.
    """

    def __init__(self, session: Any, folder: str) -> None:
        import tempfile

        self.session = session
        self.folder = f"{folder.rstrip('/')}/{uuid.uuid4().hex}"
        self._local = Path(tempfile.mkdtemp(prefix="personae-staging-"))
        self._files = HadoopFiles(session)
        self._count = 0

    def frame(self, data: pa.Table) -> Any:
        """``data`` as a Spark DataFrame with the same columns and types."""
        spark_schema(data.schema)  # fails early, naming a column Spark cannot hold
        import pyarrow.parquet as pq

        return self.frame_from(lambda local: pq.write_table(spark_ready(data), local))

    def frame_from(self, write: Callable[[Path], object]) -> Any:
        """A DataFrame over the Parquet file ``write(local_path)`` creates on the driver."""
        self._count += 1
        local = self._local / f"part-{self._count:05d}.parquet"
        write(local)
        target = f"{self.folder}/{self._count:05d}"
        self._files.upload(local, f"{target}/{local.name}")
        local.unlink()
        return self.session.read.parquet(target)

    def close(self) -> None:
        import shutil

        self._files.delete(self.folder)
        shutil.rmtree(self._local, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HadoopFiles:
    """Directories of a warehouse location through Hadoop's FileSystem: a local path,
    ``hdfs://``, ``s3a://``… whatever the session's Hadoop configuration reaches."""

    def __init__(self, session: Any) -> None:
        self._jvm = session._jvm
        self._conf = session._jsc.hadoopConfiguration()

    def _fs(self, path: str) -> tuple[Any, Any]:
        hadoop_path = self._jvm.org.apache.hadoop.fs.Path(path)
        return hadoop_path.getFileSystem(self._conf), hadoop_path

    def exists(self, path: str) -> bool:
        fs, hadoop_path = self._fs(path)
        return bool(fs.exists(hadoop_path))

    def directories(self, path: str) -> list[str]:
        fs, hadoop_path = self._fs(path)
        if not fs.exists(hadoop_path):
            return []
        return [s.getPath().getName() for s in fs.listStatus(hadoop_path) if s.isDirectory()]

    def delete(self, path: str) -> None:
        fs, hadoop_path = self._fs(path)
        if fs.exists(hadoop_path):
            fs.delete(hadoop_path, True)

    def upload(self, local: Path, target: str) -> None:
        """Copy a file of the driver's disk to ``target`` (any Hadoop URI)."""
        fs, hadoop_target = self._fs(target)
        source = self._jvm.org.apache.hadoop.fs.Path(local.resolve().as_uri())
        fs.copyFromLocalFile(False, True, source, hadoop_target)

    def rename(self, source: str, target: str) -> None:
        fs, hadoop_source = self._fs(source)
        if not fs.rename(hadoop_source, self._fs(target)[1]):
            raise EngineError(f"cannot rename {source} to {target}")
