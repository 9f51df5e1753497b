"""The DuckDB engine: tables in one DuckDB file, files read by DuckDB's readers."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from personae.config.engine import DuckDBEngineConfig, EngineConfig
from personae.engine.base import Engine, FileRead, ReadOptions, RejectedRow
from personae.engine.duckdb.crypto import load_secure_crypto
from personae.engine.duckdb.matching import DuckDBMatchingBackend
from personae.engine.matching import MatchingBackend
from personae.errors import EngineError, SourceError
from personae.protect.encryption import KEY_ENV, MAGIC, Keyring, is_sealed, open_any
from personae.protect.files import private_dir
from personae.sql import ident, literal

_REJECT_HINTS = {
    "INVALID ENCODING": "bytes that are not valid {encoding}; if the file is latin-1 or "
    "cp1252, set 'encoding: latin-1' on the source",
    "TOO MANY COLUMNS": "more columns than the header",
    "MISSING COLUMNS": "fewer columns than the header",
    "UNQUOTED VALUE": "a quote character inside an unquoted value",
    "LINE SIZE OVER MAXIMUM": "a line longer than the reader's maximum",
    "CAST ERROR": "a value that cannot be read",
}


class DuckDBEngine(Engine):
    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    supports_encryption: ClassVar[bool] = True

    def __init__(
        self,
        path: Path | str = ":memory:",
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        read_only: bool = False,
        keys: Keyring | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.keys = keys
        if path != ":memory:":
            private_dir(Path(path).parent)
        try:
            if keys is not None and path != ":memory:":
                self.con = _open_encrypted(Path(path), keys, read_only=read_only)
            else:
                self.con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            raise EngineError(
                f"cannot open the warehouse {path}: {exc}. Another personae process may be "
                "writing to it; wait for it to finish."
            ) from None
        if threads:
            self.execute(f"SET threads = {int(threads)}")
        self.execute(f"SET memory_limit = {literal(memory_limit or default_memory_limit())}")
        self.execute("SET TimeZone = 'UTC'")

    @classmethod
    def from_config(
        cls,
        config: EngineConfig,
        project_dir: Path,
        *,
        keys: Keyring | None = None,
        read_only: bool = False,
    ) -> Self:
        """The warehouse file ``path`` (relative to the project folder), with the
        section's ``threads`` and ``memory_limit``; encrypted with ``keys``."""
        if not isinstance(config, DuckDBEngineConfig):
            raise EngineError(f"{cls.name} cannot open a {config.type} engine section")
        return cls(
            project_dir / config.path,
            threads=config.threads,
            memory_limit=config.memory_limit,
            read_only=read_only,
            keys=keys,
        )

    @classmethod
    def rekey(
        cls, config: EngineConfig, project_dir: Path, old: Keyring | None, new: Keyring
    ) -> bool:
        """Copy the warehouse into a new file encrypted under ``new`` (``COPY FROM
        DATABASE``), fsync it and rename it over the old one: until the rename the old
        file is untouched, after it the new one is complete."""
        if not isinstance(config, DuckDBEngineConfig):
            raise EngineError(f"{cls.name} cannot open a {config.type} engine section")
        path = project_dir / config.path
        if not path.exists():
            return False
        return rekey_database(path, old, new)

    # --- statements

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        try:
            self.con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed: {exc}", sql=sql) from exc

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        try:
            relation = self.con.sql(sql, params=params)
            if relation is None:  # a statement, not a query
                return pa.table({})
            return relation.to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed: {exc}", sql=sql) from exc

    def batches(self, sql: str, batch_rows: int = 100_000) -> pa.RecordBatchReader:
        try:
            reader: pa.RecordBatchReader = self.con.sql(sql).to_arrow_reader(batch_rows)
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed: {exc}", sql=sql) from exc
        return reader

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            return self.con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed: {exc}", sql=sql) from exc

    # --- tables

    def table_exists(self, name: str) -> bool:
        found = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_catalog = current_database()",
            [name],
        ).fetchall()
        return bool(found[0][0])

    def tables(self) -> list[str]:
        return [
            row[0]
            for row in self.con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database() ORDER BY table_name"
            ).fetchall()
        ]

    def columns(self, name: str) -> list[str]:
        return [
            row[0]
            for row in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_catalog = current_database() ORDER BY ordinal_position",
                [name],
            ).fetchall()
        ]

    def drop_relation(self, name: str) -> None:
        kind = self.scalar(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ? "
            "AND table_catalog = current_database()",
            [name],
        )
        if kind == "VIEW":
            self.execute(f"DROP VIEW {name}")
        elif kind is not None:
            self.drop_table(name)

    def write_arrow(self, name: str, data: pa.Table, *, mode: Literal["append", "replace"]) -> None:
        view = f"__arrow_{name}"
        self.con.register(view, data)
        try:
            if mode == "replace" or not self.table_exists(name):
                self.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
            else:
                self.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {view}")
        finally:
            self.con.unregister(view)

    # --- files

    def describe(self) -> str:
        return f"{self.name} ({self.path})"

    def read_parquet(self, table: str, files: Sequence[str]) -> None:
        """Sealed files (``protect.encryption``) are opened in memory, never on disk."""
        if any(is_sealed_file(Path(f)) for f in files):
            parts = []
            for name in files:
                data = open_any(self.keys, "events", Path(name).read_bytes(), where=name)
                part = pq.read_table(pa.BufferReader(data))
                parts.append(part.append_column("_file", pa.repeat(name, part.num_rows)))
            self.write_arrow(
                table, pa.concat_tables(parts, promote_options="default"), mode="replace"
            )
            return
        listed = ", ".join(literal(f) for f in files)
        self.create_table_as(
            table,
            f"SELECT * RENAME (filename AS _file) FROM read_parquet([{listed}], filename = true)",
        )

    def read_file(self, path: Path, options: ReadOptions, table: str) -> FileRead:
        if options.format in ("csv", "tsv"):
            return self._read_csv(path, options, table)
        if options.format == "jsonl":
            return self._read_jsonl(path, options, table)
        if options.format == "json":
            reader = f"read_json({literal(str(path))}, format='array')"
        else:
            reader = f"read_parquet({literal(str(path))})"
        try:
            names = [r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
        except duckdb.Error as exc:
            raise SourceError(f"{path}: cannot read as {options.format}: {exc}") from None
        casts = ", ".join(f"CAST({ident(n)} AS VARCHAR) AS {ident(n)}" for n in names)
        self.execute(
            f"CREATE OR REPLACE TABLE {table} AS "
            f"SELECT row_number() OVER () AS _line, {casts} FROM {reader}"
        )
        return FileRead(table=table, columns=names, rows=self.count(table))

    def _read_csv(
        self, path: Path, options: ReadOptions, table: str, *, shown: Path | None = None
    ) -> FileRead:
        """DuckDB's CSV reader; ``shown`` is the file named in the quarantine when ``path``
        is a normalised copy of it."""
        delimiter = options.delimiter or ("\t" if options.format == "tsv" else ",")
        encoding = options.encoding.lower().replace("_", "-")
        if encoding in ("latin1", "iso-8859-1", "cp1252", "windows-1252"):
            encoding = "latin-1"
        args = [
            literal(str(path)),
            "all_varchar = true",
            f"header = {'true' if options.header else 'false'}",
            f"delim = {literal(delimiter)}",
            f"encoding = {literal(encoding)}",
            "store_rejects = true",
            "rejects_table = 'personae_rejects'",
            "rejects_scan = 'personae_reject_scans'",
        ]
        sql = (
            f"CREATE OR REPLACE TABLE {table} AS "
            f"SELECT row_number() OVER () AS _line, * FROM read_csv({', '.join(args)})"
        )
        self._drop_rejects()
        try:
            self.con.execute(sql).fetchall()
        except duckdb.Error:
            # a real file never ends in an engine dump: mixed line endings are normalised,
            # anything else is read line by line, quarantining the lines that cannot be read
            normalised = _normalised_line_endings(path)
            if normalised is not None:
                try:
                    return self._read_csv(normalised, options, table, shown=shown or path)
                finally:
                    normalised.unlink(missing_ok=True)
            return self._read_csv_leniently(shown or path, path, options, table, encoding)
        columns = [c for c in self.columns(table) if c != "_line"]
        rejected = [
            RejectedRow(
                file=str(shown or path),
                line=int(line) if line is not None else None,
                reason=_reject_reason(error_type, message, encoding),
                raw=raw,
            )
            for line, error_type, message, raw in self.con.execute(
                "SELECT line, CAST(error_type AS VARCHAR), error_message, csv_line "
                "FROM personae_rejects ORDER BY line"
            ).fetchall()
        ]
        # one bad line can yield several errors (one per column); keep one row per line
        seen: set[int | None] = set()
        unique = [r for r in rejected if not (r.line in seen or seen.add(r.line))]  # type: ignore[func-returns-value]
        return FileRead(table=table, columns=columns, rows=self.count(table), rejected=unique)

    def _read_csv_leniently(
        self, path: Path, actual: Path, options: ReadOptions, table: str, encoding: str
    ) -> FileRead:
        """Read a CSV file DuckDB's reader refused, line by line in Python: a line that
        cannot be decoded, is longer than :data:`MAX_LINE_BYTES`, or has another number of
        values than the header is quarantined with the reason; the rest loads."""
        delimiter = options.delimiter or ("\t" if options.format == "tsv" else ",")
        codec = "latin-1" if encoding == "latin-1" else encoding
        header: list[str] | None = None
        rows: list[dict[str, str | int | None]] = []
        rejected: list[RejectedRow] = []
        with actual.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                problem, values = _parse_line(raw, codec, delimiter)
                if header is None and options.header:
                    if problem or values is None:
                        raise SourceError(
                            f"{path}: line 1 (the header) cannot be read: {problem}; "
                            "check the source's 'encoding' and 'delimiter'"
                        )
                    header = [v.strip() for v in values]
                    header[0] = header[0].removeprefix("\ufeff")  # a byte order mark
                    continue
                if values is None or problem:
                    if problem:
                        rejected.append(RejectedRow(str(path), number, problem, _preview(raw)))
                    continue
                if header is None:
                    header = [f"column{i}" for i in range(len(values))]
                if len(values) != len(header):
                    more = len(values) > len(header)
                    kind = "too many columns: more" if more else "missing columns: fewer"
                    reason = (
                        f"{kind} columns than the header (expected {len(header)}, "
                        f"found {len(values)})"
                    )
                    rejected.append(RejectedRow(str(path), number, reason, _preview(raw)))
                    continue
                line = number - 1 if options.header else number
                rows.append({"_line": line, **dict(zip(header, values, strict=True))})
        columns = header or []
        schema = pa.schema([("_line", pa.int64()), *((c, pa.string()) for c in columns)])
        self.write_arrow(table, pa.Table.from_pylist(rows, schema=schema), mode="replace")
        return FileRead(table=table, columns=columns, rows=len(rows), rejected=rejected)

    def _read_jsonl(self, path: Path, options: ReadOptions, table: str) -> FileRead:
        lines = (
            f"read_csv({literal(str(path))}, columns={{'line': 'VARCHAR'}}, header=false, "
            f"delim='\\x01', quote='', escape='', encoding={literal(options.encoding)}, "
            "store_rejects=true, rejects_table='personae_rejects', "
            "rejects_scan='personae_reject_scans')"
        )
        self._drop_rejects()
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE __jsonl AS SELECT row_number() OVER () AS lineno, "
                f"line FROM {lines}"
            ).fetchall()
        except duckdb.Error as exc:
            raise SourceError(f"{path}: cannot read as jsonl: {exc}") from None
        bad = self.con.execute(
            "SELECT lineno, line FROM __jsonl WHERE trim(line) <> '' AND "
            "(NOT json_valid(line) OR json_type(line) <> 'OBJECT')"
        ).fetchall()
        rejected = [
            RejectedRow(str(path), int(n), "not a JSON object on this line", raw) for n, raw in bad
        ]
        keys = [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT unnest(json_keys(line)) AS k FROM __jsonl "
                "WHERE json_valid(line) AND json_type(line) = 'OBJECT' ORDER BY k"
            ).fetchall()
        ]
        # one parse per line: every key read as text (objects and arrays as JSON text)
        structure = json.dumps(dict.fromkeys(keys, "VARCHAR"))
        selects = ", ".join(f"struct_extract(s, {literal(k)}) AS {ident(k)}" for k in keys)
        self.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT _line, "
            f"{selects or 'NULL AS _empty'} FROM ("
            f"SELECT lineno AS _line, from_json(line, {literal(structure)}) AS s "
            "FROM __jsonl WHERE json_valid(line) AND json_type(line) = 'OBJECT')"
        )
        self.execute("DROP TABLE IF EXISTS __jsonl")
        return FileRead(table=table, columns=keys, rows=self.count(table), rejected=rejected)

    def _drop_rejects(self) -> None:
        self.execute("DROP TABLE IF EXISTS personae_rejects")
        self.execute("DROP TABLE IF EXISTS personae_reject_scans")

    def export(self, sql: str, path: Path, file_format: Literal["csv", "parquet"]) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        options = "FORMAT parquet" if file_format == "parquet" else "FORMAT csv, HEADER true"
        self.execute(f"COPY ({sql}) TO {literal(str(path))} ({options})")
        return int(self.scalar(f"SELECT count(*) FROM ({sql})"))

    # --- probabilistic matching

    def matching_backend(self) -> MatchingBackend:
        """An in-memory database attached to this warehouse's DuckDB: Splink's tables never
        touch the warehouse file, share its memory limit and threads, and the input and
        edges cross by SQL instead of Arrow copies."""
        if self.read_only:
            # a read-only instance cannot attach an in-memory database: a private one
            return DuckDBMatchingBackend()
        return DuckDBMatchingBackend.beside(self, self.con)

    # --- lifecycle

    def checkpoint(self) -> None:
        self.execute("CHECKPOINT")

    def compact(self) -> None:
        """Copy the database into a fresh file and swap it in: DuckDB reuses the blocks of
        deleted rows but does not wipe them, so only a rewrite leaves none behind."""
        if self.path == ":memory:" or self.read_only:
            return
        fresh = Path(self.path + ".compact")
        fresh.unlink(missing_ok=True)
        database = self.scalar("SELECT current_database()")
        # an encrypted warehouse is copied into a file encrypted under the same key
        sealed = f" (ENCRYPTION_KEY {literal(self.keys.warehouse_secret())})" if self.keys else ""
        self.execute(f"ATTACH {literal(str(fresh))} AS personae_compact{sealed}")
        try:
            self.execute(f"COPY FROM DATABASE {ident(database)} TO personae_compact")
        finally:
            self.execute("DETACH personae_compact")
        settings = self.rows(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit')"
        )
        self.con.close()
        os.replace(fresh, self.path)
        Path(self.path + ".wal").unlink(missing_ok=True)
        if self.keys is not None:
            self.con = _open_encrypted(Path(self.path), self.keys, read_only=False)
        else:
            self.con = duckdb.connect(self.path)
        for name, value in settings:
            self.execute(f"SET {name} = {literal(value)}")
        self.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        self.con.close()


#: the catalog an encrypted warehouse is attached as
ENCRYPTED_CATALOG = "warehouse"


def _open_encrypted(path: Path, keys: Keyring, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse attached, encrypted (AES-GCM, DuckDB's own
    format) under the key derived for it; its WAL and spill files are encrypted too."""
    con = duckdb.connect(":memory:")
    load_secure_crypto(con)
    con.execute("SET temp_file_encryption = true")
    con.execute(f"SET temp_directory = {literal(str(path) + '.tmp')}")
    options = f"ENCRYPTION_KEY {literal(keys.warehouse_secret())}"
    if read_only:
        options += ", READ_ONLY"
    try:
        con.execute(f"ATTACH {literal(str(path))} AS {ENCRYPTED_CATALOG} ({options})")
    except duckdb.IOException:
        con.close()
        raise
    except duckdb.Error as exc:
        con.close()
        raise EngineError(
            f"cannot open the encrypted warehouse {path}: {str(exc).strip()}. If it was "
            "written before protect.encryption was turned on, encrypt it with 'personae "
            "protect rotate-key'; if it was encrypted with another key, give that key"
        ) from None
    con.execute(f"USE {ENCRYPTED_CATALOG}")
    return con


def rekey_database(path: Path, old: Keyring | None, new: Keyring) -> bool:
    """Re-encrypt the DuckDB file ``path`` under ``new``; False when it already is."""
    try:
        _open_encrypted(path, new, read_only=True).close()
        return False
    except EngineError:
        pass
    rotating = path.with_name(f"{path.name}.rotating")
    for leftover in (rotating, rotating.with_name(f"{rotating.name}.wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(":memory:")
    try:
        load_secure_crypto(con)
        con.execute("SET temp_file_encryption = true")
        con.execute(f"SET temp_directory = {literal(str(path) + '.tmp')}")
        # from the old key; or from plaintext (a project encrypted for the first time)
        sources = [f" (ENCRYPTION_KEY {literal(old.warehouse_secret())})"] if old else []
        for attempt, source in enumerate([*sources, ""]):
            try:
                con.execute(f"ATTACH {literal(str(path))} AS old_warehouse{source}")
                break
            except duckdb.Error as exc:
                if attempt == len(sources):
                    raise EngineError(
                        f"cannot open the warehouse {path} with the current key: "
                        f"{str(exc).strip()}; give the key it is encrypted with in {KEY_ENV}"
                    ) from None
        con.execute(
            f"ATTACH {literal(str(rotating))} AS new_warehouse "
            f"(ENCRYPTION_KEY {literal(new.warehouse_secret())})"
        )
        con.execute("COPY FROM DATABASE old_warehouse TO new_warehouse")
        con.execute("DETACH new_warehouse")
        con.execute("DETACH old_warehouse")
    finally:
        con.close()
    fd = os.open(rotating, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(rotating, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def is_sealed_file(path: Path) -> bool:
    """Whether ``path`` is a file sealed by :meth:`Keyring.seal`."""
    with path.open("rb") as handle:
        return is_sealed(handle.read(len(MAGIC)))


#: share of the machine's memory DuckDB may use unless personae.yml says otherwise. An
#: eighth: the process's resident memory runs above DuckDB's limit (allocator, Python,
#: Arrow), and Splink's tables share the limit; at 1M demo people on 24 GB this is 3 GB and
#: the pipeline peaks at 3.4 GB (a fifth, 5 GB, peaked at 6.1 GB and was no faster)
DEFAULT_MEMORY_SHARE = 0.125


def default_memory_limit() -> str:
    """An eighth of physical memory (at least 1 GB), so the pipeline leaves room for the
    rest of the machine."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(1, int(total * DEFAULT_MEMORY_SHARE / 1e9))}GB"


#: a longer line is quarantined by the lenient reader (DuckDB's own default maximum)
MAX_LINE_BYTES = 2 * 1024 * 1024


def _normalised_line_endings(path: Path) -> Path | None:
    """A copy of ``path`` with CRLF line endings made LF when the file mixes both (a
    Windows export appended on Linux); None when it does not."""
    crlf = lf = False
    previous = b""
    with path.open("rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            joined = previous + chunk
            crlf = crlf or b"\r\n" in joined
            lf = lf or joined.replace(b"\r\n", b"").find(b"\n") >= 0
            previous = chunk[-1:]
            if crlf and lf:
                break
    if not (crlf and lf):
        return None
    fd, name = tempfile.mkstemp(suffix=path.suffix, prefix=".personae-")
    with os.fdopen(fd, "wb") as out, path.open("rb") as handle:
        carry = b""
        while chunk := handle.read(4 * 1024 * 1024):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            out.write(chunk[: len(chunk) - len(carry)].replace(b"\r\n", b"\n"))
        out.write(carry)
    return Path(name)


def _parse_line(raw: bytes, codec: str, delimiter: str) -> tuple[str, list[str] | None]:
    """``(problem, values)`` of one physical line: values None for a blank line."""
    if len(raw) > MAX_LINE_BYTES:
        return (
            f"line size over maximum: a line of {len(raw) / 1e6:.1f} MB, longer than the "
            f"reader's maximum of {MAX_LINE_BYTES / 1e6:.1f} MB",
            None,
        )
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        return (
            f"invalid encoding: bytes that are not valid {codec} at position {exc.start}; "
            "if the file is latin-1 or cp1252, set 'encoding: latin-1' on the source",
            None,
        )
    text = text.rstrip("\r\n")
    if not text.strip():
        return "", None
    if "\x00" in text:
        return "a NUL byte (\\x00) in the line: the file is binary or corrupt here", None
    try:
        return "", next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return f"unquoted value: {exc} (a quoted value spanning lines is not read here)", None


def _preview(raw: bytes) -> str:
    text = raw[:1000].decode("utf-8", errors="replace").rstrip("\r\n")
    return text + ("…" if len(raw) > 1000 else "")


def _reject_reason(error_type: str, message: str, encoding: str) -> str:
    hint = _REJECT_HINTS.get(error_type, "").format(encoding=encoding)
    detail = message.split("\n")[0]
    return f"{error_type.lower()}: {hint or detail}" + (f" ({detail})" if hint else "")
