"""Any other database SQLAlchemy has a dialect for (the ``sqlalchemy`` extra, plus the
database's own driver): a server-side cursor (``stream_results``) fetched in partitions
of ``batch_rows`` rows, each turned into an Arrow batch of text (the cursor column keeps
its type)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import pyarrow as pa

from personae.ingest.driver_base import DriverError, Guarded, is_error, scrub


def sqlalchemy_module() -> Any:
    try:
        import sqlalchemy
    except ImportError:
        raise DriverError(
            "reading this database needs SQLAlchemy and the database's driver: pip install "
            "'personae[sqlalchemy]' and the driver its SQLAlchemy dialect names"
        ) from None
    return sqlalchemy


def _as_text_value(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _partitions_as_batches(
    result: Any, names: list[str], typed: Sequence[str], batch_rows: int
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """Rows fetched ``batch_rows`` at a time, as batches of text but for the ``typed``
    columns (the cursor, compared in its own type), whose type the first batch sets."""
    partitions = iter(result.partitions(batch_rows))

    def batch(rows: Sequence[Any], schema: pa.Schema | None) -> pa.RecordBatch:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        arrays = []
        for i, (name, values) in enumerate(zip(names, columns, strict=True)):
            kind = None if schema is None else schema.field(i).type
            if name in typed:
                array = pa.array(values, type=kind)
                arrays.append(array.cast(pa.string()) if pa.types.is_null(array.type) else array)
            else:
                arrays.append(pa.array([_as_text_value(v) for v in values], pa.string()))
        return pa.RecordBatch.from_arrays(arrays, names=names)

    first = batch(next(partitions, []), None)

    def rest() -> Iterator[pa.RecordBatch]:
        if first.num_rows:
            yield first
        for rows in partitions:
            yield batch(rows, first.schema)

    return first.schema, rest()


@contextmanager
def sqlalchemy_stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str]
) -> Iterator[pa.RecordBatchReader]:
    sa = sqlalchemy_module()
    errors = (sa.exc.SQLAlchemyError, ImportError)
    try:
        engine = sa.create_engine(url)
        connection = engine.connect()
    except errors as exc:
        raise DriverError(scrub(str(exc).split("\n(Background")[0], url)) from None
    try:
        try:
            options = connection.execution_options(stream_results=True, yield_per=batch_rows)
            result = options.execute(sa.text(sql))
            schema, batches = _partitions_as_batches(result, list(result.keys()), typed, batch_rows)
        except errors as exc:
            raise DriverError(scrub(str(exc).split("\n(Background")[0], url)) from None
        reader = pa.RecordBatchReader.from_batches(schema, batches)
        yield Guarded(reader, url, batch_rows, is_error(errors)).reader()
    finally:
        with suppress(Exception):  # a lost connection has nothing left to close
            connection.close()
        engine.dispose()


#: database (:func:`scheme_of`) -> how its rows are streamed
