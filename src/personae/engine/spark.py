"""Apache Spark: the engine for data that outgrows one machine (``pip install 'personae[spark]'``).

Every SQL string personae runs is authored once in DuckDB's dialect; this engine
transpiles it with sqlglot to Spark SQL and rewrites the few constructs that differ:

* ``CREATE OR REPLACE TABLE t AS q`` becomes ``CREATE TABLE t__next USING parquet AS
  q``, ``DROP TABLE t``, ``ALTER TABLE t__next RENAME TO t``: Spark replaces only v2
  tables, every table here is Parquet in the warehouse location, and ``q`` may read
  ``t`` itself;
* ``row_number() OVER ()`` (numbering in no particular order, for ids) becomes
  ``monotonically_increasing_id() + 1``: Spark would need an order, and one partition;
* ``?`` parameters are bound as SQL literals before transpiling.

Tables live as Parquet under ``spark.sql.warehouse.dir`` (a local path or any
Hadoop-compatible URI); writing a table materialises it, which also cuts the lineage of
iterative steps. pyspark is imported lazily: without it, asking for this engine says what
to install.

Source files are parsed by the DuckDB reader on the driver (same rows, line numbers and
quarantine as the DuckDB engine) and written to Spark; see :meth:`SparkEngine.read_file`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, cast

import pyarrow as pa
import sqlglot
from sqlglot import exp

from personae.engine.base import Capabilities, Engine, FileRead, ReadOptions
from personae.engine.matching import MatchingBackend
from personae.errors import EngineError, PersonaeError
from personae.sql import literal

log = logging.getLogger(__name__)


class SparkMissingError(PersonaeError):
    """pyspark is not installed."""


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError:
        raise SparkMissingError(
            "the Spark engine needs pyspark: pip install 'personae[spark]' (Java 17 must be "
            "installed too)"
        ) from None
    return pyspark.sql


def spark_session(master: str, warehouse: str, conf: dict[str, str] | None = None) -> Any:
    """The process's Spark session (created once, shared by every engine and test)."""
    sql = _pyspark()
    builder = sql.SparkSession.builder
    if not under_spark_submit():
        builder = builder.master(master)
    builder = (
        builder.appName("personae")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.ui.enabled", "false")
        # personae reports its own progress; Spark's bars and warnings would drown it
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "ERROR")
    )
    settings = dict(conf or {})
    jar = _splink_jar()
    if jar:
        # Splink's string similarity functions (Jaro-Winkler…) for matching on Spark
        settings["spark.jars"] = ",".join(filter(None, [settings.get("spark.jars"), jar]))
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def under_spark_submit() -> bool:
    """Started by ``spark-submit``, whose master and settings then prevail (it starts the
    JVM and tells Python where through this variable)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _splink_jar() -> str | None:
    """The jar of Splink's Spark functions, when Splink is installed."""
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError:
        return None
    return str(similarity_jar_location())


def to_spark_sql(sql: str, params: Sequence[Any] | None = None) -> list[str]:
    """Spark SQL statements for one statement written in DuckDB's dialect."""
    if params:
        sql = _bind(sql, params)
    statements = []
    for parsed in sqlglot.parse(sql, read="duckdb"):
        if parsed is None:
            continue
        tree = cast(exp.Expression, parsed)
        tree = _delete_as_rewrite(_create_with_columns_as_select(tree))
        for rewrite in _REWRITES:
            tree = tree.transform(rewrite)
        is_table = (
            isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE"
        )
        if is_table and tree.args.get("replace"):
            # built under another name first: the query may read the table it replaces
            name = tree.this.sql(dialect="spark")
            tree.set("this", exp.to_table(f"{name}__next"))
            tree.set("replace", False)
            tree.set(
                "properties",
                exp.Properties(expressions=[exp.FileFormatProperty(this=exp.var("parquet"))]),
            )
            statements += [
                f"DROP TABLE IF EXISTS {name}__next",
                tree.sql(dialect="spark"),
                f"DROP TABLE IF EXISTS {name}",
                f"ALTER TABLE {name}__next RENAME TO {name}",
            ]
            continue
        if is_table:
            # every table is Parquet (without USING, Spark would ask for Hive)
            tree.set(
                "properties",
                exp.Properties(expressions=[exp.FileFormatProperty(this=exp.var("parquet"))]),
            )
        statements.append(tree.sql(dialect="spark"))
    return statements


def _delete_as_rewrite(tree: exp.Expression) -> exp.Expression:
    """``DELETE FROM t WHERE c`` -> ``CREATE OR REPLACE TABLE t AS SELECT * FROM t WHERE NOT
    coalesce(c, false)``: Parquet tables cannot delete rows; DELETE removes the rows where
    ``c`` is true and keeps those where it is false or NULL."""
    if not isinstance(tree, exp.Delete):
        return tree
    target = tree.this
    where = tree.args.get("where")
    keep: exp.Expression = exp.false()
    if where is not None:
        keep = exp.not_(exp.func("coalesce", exp.paren(where.this.copy()), exp.false()))
    query = exp.select("*").from_(target.copy()).where(keep)
    return exp.Create(
        this=exp.to_table(target.name),
        kind="TABLE",
        replace=True,
        expression=query,
    )


def _create_with_columns_as_select(tree: exp.Expression) -> exp.Expression:
    """``CREATE TABLE t (a BIGINT, …)`` -> ``CREATE TABLE t AS SELECT CAST(NULL AS BIGINT)
    AS a, … WHERE false``: an empty CTAS writes a Parquet file that carries the schema, so
    the table is found again when the warehouse is reopened (a table declared with columns
    and never written leaves no file)."""
    if not (isinstance(tree, exp.Create) and isinstance(tree.this, exp.Schema)):
        return tree
    if tree.args.get("expression") is not None:
        return tree
    columns = [c for c in tree.this.expressions if isinstance(c, exp.ColumnDef)]
    query = exp.select(
        *(exp.alias_(exp.cast(exp.null(), c.args["kind"]), c.name) for c in columns)
    ).where(exp.false())
    return exp.Create(
        this=tree.this.this.copy(),
        kind="TABLE",
        replace=tree.args.get("replace"),
        exists=tree.args.get("exists"),
        expression=query,
    )


def _bind(sql: str, params: Sequence[Any]) -> str:
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise EngineError(f"{len(params)} parameters for {len(parts) - 1} placeholders", sql=sql)
    out = [parts[0]]
    for value, rest in zip(params, parts[1:], strict=True):
        out.append(_sql_literal(value) + rest)
    return "".join(out)


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return literal(str(value))


def _latin_accents() -> tuple[str, str]:
    """Accented Latin letters (U+00C0..U+024F that decompose to one ASCII letter) and
    their base letters: Spark has no ``strip_accents``."""
    accented, plain = [], []
    for code in range(0xC0, 0x250):
        letter = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", letter) if not unicodedata.combining(c)
        )
        if len(base) == 1 and base != letter and base.isascii():
            accented.append(letter)
            plain.append(base)
    return "".join(accented), "".join(plain)


_ACCENTED, _PLAIN = _latin_accents()


def _strip_accents(node: exp.Expression) -> exp.Expression:
    """``strip_accents(x)`` -> ``translate(x, accented, plain)`` over the Latin letters."""
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "strip_accents":
        return exp.Anonymous(
            this="translate",
            expressions=[
                node.expressions[0],
                exp.Literal.string(_ACCENTED),
                exp.Literal.string(_PLAIN),
            ],
        )
    return node


def _day_boundaries(node: exp.Expression) -> exp.Expression:
    """``date_diff('day', a, b)`` counts midnights crossed in DuckDB; Spark's
    ``datediff(DAY, a, b)`` on timestamps counts whole 24-hour spans. Compare dates."""
    unit = node.args.get("unit") if isinstance(node, exp.DateDiff) else None
    if isinstance(node, exp.DateDiff) and unit is not None and unit.name.upper() == "DAY":
        end, start = (exp.cast(e, exp.DataType.Type.DATE) for e in (node.this, node.expression))
        return exp.Anonymous(this="datediff", expressions=[end, start])
    return node


def _empty_list(node: exp.Expression) -> exp.Expression:
    """A list aggregate over no value is NULL in DuckDB, ``[]`` in Spark: make it NULL."""
    aggregate = node
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg):
        aggregate = node
    elif not isinstance(node, exp.ArrayAgg) or isinstance(node.parent, exp.Filter):
        return node
    size = exp.Anonymous(this="size", expressions=[aggregate.copy()])
    return exp.Case(
        ifs=[exp.If(this=exp.EQ(this=size, expression=exp.Literal.number(0)), true=exp.null())],
        default=aggregate.copy(),
    )


def _string_agg(node: exp.Expression) -> exp.Expression:
    """``string_agg([DISTINCT] x, sep [ORDER BY x])`` -> ``array_join(collect_…(x), sep)``
    (Spark 3.5 has no listagg). An ORDER BY sorts by the values themselves."""
    if not isinstance(node, exp.GroupConcat):
        return node
    inner, ordered = node.this, False
    if isinstance(inner, exp.Order):
        inner, ordered = inner.this, True
    collect = "collect_list"
    if isinstance(inner, exp.Distinct):
        inner, collect = inner.expressions[0], "collect_set"
    values: exp.Expression = exp.Anonymous(this=collect, expressions=[inner])
    if ordered or collect == "collect_set":
        values = exp.Anonymous(this="array_sort", expressions=[values])
    separator = node.args.get("separator") or exp.Literal.string(",")
    return exp.Anonymous(this="array_join", expressions=[values, separator])


def _percentiles(node: exp.Expression) -> exp.Expression:
    """``median(x)``, ``quantile_cont(x, q)`` -> ``percentile(x, q)``: exact and
    interpolated on both engines."""
    if isinstance(node, exp.Median):
        return exp.Anonymous(this="percentile", expressions=[node.this, exp.Literal.number(0.5)])
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    return node


def _try_strptime(node: exp.Expression) -> exp.Expression:
    """``try_strptime(x, '%d/%m/%Y')`` -> ``to_timestamp(x, 'd/M/yyyy')`` (NULL when it fails
    to parse, with the CORRECTED time parser policy the session sets)."""
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "try_strptime":
        value, fmt = node.expressions
        return exp.StrToTime(this=value, format=fmt)
    return node


def _json_object(node: exp.Expression) -> exp.Expression:
    """``json_object('k', v, …)`` -> ``to_json(named_struct('k', v, …))``."""
    if isinstance(node, exp.JSONObject):
        args: list[exp.Expression] = []
        for pair in node.expressions:
            if isinstance(pair, exp.JSONKeyValue):
                args += [pair.this, pair.expression]
            else:
                args.append(pair)
        return exp.Anonymous(
            this="to_json", expressions=[exp.Anonymous(this="named_struct", expressions=args)]
        )
    return node


def _unordered_row_number(node: exp.Expression) -> exp.Expression:
    """``row_number() OVER ()`` numbers rows in no particular order: personae uses it for
    unique ids (``rid``, ``vid``). Spark needs an ordered window, which moves every row
    into one partition; ``monotonically_increasing_id() + 1`` gives unique positive ids
    computed in parallel (not consecutive: ids are only ever compared and joined)."""
    if (
        isinstance(node, exp.Window)
        and isinstance(node.this, exp.RowNumber)
        and not node.args.get("order")
        and not node.args.get("partition_by")
    ):
        return exp.Paren(
            this=exp.Add(
                this=exp.Anonymous(this="monotonically_increasing_id"),
                expression=exp.Literal.number(1),
            )
        )
    return node


#: DuckDB constructs rewritten for Spark, applied to every statement in this order
_REWRITES = (
    _unordered_row_number,
    _json_object,
    _try_strptime,
    _strip_accents,
    _day_boundaries,
    _empty_list,
    _string_agg,
    _percentiles,
)


class SparkEngine(Engine):
    """Tables are Parquet directories ``<warehouse>/<table>``, registered in a Spark
    database of their own whose location is the warehouse.

    The warehouse folder is the source of truth: opening it registers every table found
    there, so a later process (or a new session) sees what an earlier one wrote, with no
    metastore to run. Several projects can share one session: each has its database.
    """

    name: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"
    capabilities: ClassVar[Capabilities] = Capabilities(single_writer_file=False)

    def __init__(
        self,
        warehouse: str,
        *,
        master: str = "local[2]",
        conf: dict[str, str] | None = None,
        session: Any | None = None,
        database: str | None = None,
    ) -> None:
        self.session = session or spark_session(master, warehouse, conf)
        self.warehouse = warehouse.rstrip("/")
        self.database = database or database_name(self.warehouse)
        self.session.sql(
            f"CREATE DATABASE IF NOT EXISTS {self.database} LOCATION {literal(self.warehouse)}"
        )
        self._use()
        self._register_warehouse_tables()

    # --- statements

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._use()
        for statement in self._translate(sql, params):
            self._run(statement, sql)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        self._use()
        statements = self._translate(sql, params)
        for statement in statements[:-1]:
            self._run(statement, sql)
        frame = self._run(statements[-1], sql)
        return _to_arrow(frame)

    def _use(self) -> None:
        """Make this project's database current (a session may serve several)."""
        if self.session.catalog.currentDatabase() != self.database:
            self.session.catalog.setCurrentDatabase(self.database)

    def _translate(self, sql: str, params: Sequence[Any] | None) -> list[str]:
        try:
            statements = to_spark_sql(sql, params)
        except sqlglot.errors.SqlglotError as exc:
            raise EngineError(f"cannot translate to Spark SQL: {exc}", sql=sql) from exc
        if not statements:
            raise EngineError("no statement to run", sql=sql)
        return statements

    def _run(self, statement: str, original: str) -> Any:
        dropped = _DROP_TABLE.fullmatch(statement)
        if dropped:
            self.drop_table(dropped.group(1))
            return None
        try:
            return self.session.sql(statement)
        except Exception as exc:  # pyspark raises several unrelated exception types
            raise EngineError(f"Spark failed: {exc}", sql=original) from exc

    # --- tables

    def table_exists(self, name: str) -> bool:
        return bool(self.session.catalog.tableExists(f"{self.database}.{name}"))

    def columns(self, name: str) -> list[str]:
        return list(self.session.table(f"{self.database}.{name}").columns)

    def drop_table(self, name: str) -> None:
        """Drop the table and its directory (a table registered from the warehouse is
        external to Spark, which would keep the files)."""
        qualified = f"{self.database}.{name}"
        try:
            self.session.sql(f"DROP TABLE IF EXISTS {qualified}")
        except Exception as exc:
            raise EngineError(f"Spark failed to drop {name}: {exc}") from exc
        self._files.delete(self._table_path(name))

    def drop_relation(self, name: str) -> None:
        if not self.table_exists(name):
            return
        table = self.session.catalog.getTable(f"{self.database}.{name}")
        if table.tableType in ("VIEW", "TEMPORARY") or table.isTemporary:
            self._run(f"DROP VIEW {name}", f"DROP VIEW {name}")
        else:
            self.drop_table(name)

    def write_arrow(self, name: str, data: pa.Table, *, mode: Literal["append", "replace"]) -> None:
        if mode == "replace":
            self.drop_table(name)
        with self.staging() as staging:
            frame = staging.frame(data)
            frame.write.format("parquet").mode("append").saveAsTable(f"{self.database}.{name}")

    def staging(self, under: str | None = None) -> Staging:
        """Files handed to Spark as Parquet under ``under`` (by default the warehouse's
        staging folder), removed when the block ends."""
        return Staging(self.session, under or f"{self.warehouse}/{STAGING}")

    # --- the warehouse folder

    @property
    def _files(self) -> HadoopFiles:
        return HadoopFiles(self.session)

    def _table_path(self, name: str) -> str:
        return f"{self.warehouse}/{name.lower()}"

    def _register_warehouse_tables(self) -> None:
        """Register the tables found in the warehouse folder and not in the catalog.

        A directory without ``_SUCCESS`` was never written completely (its first write
        failed): it is removed. ``t__next`` is the new version of ``t`` built by a
        replace that stopped before the swap: it becomes ``t`` when ``t`` was already
        dropped, and is removed otherwise (``t`` is then still the current version).
        """
        files = self._files
        known = {t.name.lower() for t in self.session.catalog.listTables(self.database)}
        found = set(files.directories(self.warehouse))
        for name in sorted(found):
            if not name.endswith(_NEXT):
                continue
            path, target = self._table_path(name), name[: -len(_NEXT)]
            if target in found or target in known or not files.exists(f"{path}/_SUCCESS"):
                files.delete(path)
            else:
                files.rename(path, self._table_path(target))
                found.add(target)
            found.discard(name)
        for name in sorted(found - known):
            path = self._table_path(name)
            if not _TABLE_NAME.fullmatch(name):
                continue
            if not files.exists(f"{path}/_SUCCESS"):
                log.warning("removing %s: an incomplete table directory", path)
                files.delete(path)
                continue
            self.session.sql(
                f"CREATE TABLE {self.database}.{name} USING parquet LOCATION {literal(path)}"
            )

    # --- files

    def read_parquet(self, table: str, files: Sequence[str]) -> None:
        """Read by the executors, in parallel (the files must be where they reach)."""
        from pyspark.sql.functions import input_file_name

        self.drop_table(table)
        frame = self.session.read.parquet(*files).withColumn("_file", input_file_name())
        frame.write.format("parquet").saveAsTable(f"{self.database}.{table}")

    def read_file(self, path: Path, options: ReadOptions, table: str) -> FileRead:
        """Parse the file with the DuckDB reader on the driver, then write it to Spark.

        The same parser on both engines gives the same rows, line numbers and quarantined
        lines (parity by construction). It reads files the driver can open; reading
        sources on HDFS or S3 in parallel is not built yet.
        """
        from personae.engine.duckdb import DuckDBEngine

        self.drop_table(table)
        with DuckDBEngine() as reader, self.staging() as staging:
            found = reader.read_file(path, options, table)
            frame = staging.frame_from(
                lambda local: reader.export(f"SELECT * FROM {table}", local, "parquet")
            )
            frame.write.format("parquet").saveAsTable(f"{self.database}.{table}")
        return found

    def export(self, sql: str, path: Path, file_format: Literal["csv", "parquet"]) -> int:
        data = self.query(sql)
        path.parent.mkdir(parents=True, exist_ok=True)
        if file_format == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(data, path)
        else:
            import pyarrow.csv as pcsv

            pcsv.write_csv(data, path)
        return int(data.num_rows)

    def describe(self) -> str:
        master = self.session.sparkContext.master
        return f"spark (master {master}, warehouse {self.warehouse}, database {self.database})"

    def matching_backend(self) -> MatchingBackend:
        """Splink's Spark backend in this session (:mod:`personae.engine.spark_matching`)."""
        from personae.engine.spark_matching import SparkMatchingBackend

        return SparkMatchingBackend(self)

    # --- lifecycle

    def close(self) -> None:
        """The session is shared by the process; it stays up for the next engine."""


_NEXT = "__next"
_DROP_TABLE = re.compile(r"DROP TABLE IF EXISTS (\w+)")
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def database_name(warehouse: str) -> str:
    """The Spark database of a warehouse location: one per location, stable."""
    return "personae_" + hashlib.sha1(warehouse.encode("utf-8")).hexdigest()[:12]


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
        _spark_schema(data.schema)  # fails early, naming a column Spark cannot hold
        import pyarrow.parquet as pq

        return self.frame_from(lambda local: pq.write_table(_spark_ready(data), local))

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


def _spark_ready(data: pa.Table) -> pa.Table:
    """Timestamps as UTC instants in microseconds: Parquet then says "adjusted to UTC" and
    Spark reads them as TIMESTAMP (a naive Parquet timestamp would be TIMESTAMP_NTZ)."""
    for index, field in enumerate(data.schema):
        if pa.types.is_timestamp(field.type):
            column = data.column(index)
            if field.type.tz is None:
                column = column.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
            else:
                column = column.cast(pa.timestamp("us", tz="UTC"))
            data = data.set_column(index, field.name, column)
    return data


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


def _to_arrow(frame: Any) -> pa.Table:
    batches = frame._collect_as_arrow()  # exact types, unlike toPandas()
    if not batches:
        return _arrow_schema(frame.schema).empty_table()
    return _naive_timestamps(pa.Table.from_batches(batches))


def _naive_timestamps(table: pa.Table) -> pa.Table:
    """Spark's TIMESTAMP comes back as UTC-aware Arrow; DuckDB's TIMESTAMP is naive (UTC
    wall time, the session time zone of both): same instants, the same type."""
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            naive = table.column(index).cast(pa.timestamp(field.type.unit))
            table = table.set_column(index, field.name, naive)
    return table


_ARROW_TO_SPARK = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.int64(): "bigint",
    pa.int32(): "int",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}


def _spark_schema(schema: pa.Schema) -> str:
    def spark_type(arrow: pa.DataType) -> str:
        if pa.types.is_timestamp(arrow):
            return "timestamp"
        if arrow not in _ARROW_TO_SPARK:
            raise EngineError(f"no Spark type for Arrow type {arrow}")
        return _ARROW_TO_SPARK[arrow]

    return ", ".join(f"`{f.name}` {spark_type(f.type)}" for f in schema)


def _arrow_schema(schema: Any) -> pa.Schema:
    names = {
        "string": pa.string(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }
    return pa.schema(
        [(f.name, names.get(f.dataType.simpleString(), pa.string())) for f in schema.fields]
    )
