"""DuckDB-dialect SQL to Spark SQL: sqlglot's transpiler plus named rewrites.

Every SQL string personae runs is authored once in DuckDB's dialect
(:data:`personae.engine.base.AUTHORING_DIALECT`). sqlglot translates most of it; each
construct that still means something else on Spark has a rewrite below, whose docstring
says what DuckDB does and what Spark does instead. Each has a same-answer test
(DuckDB's result == Spark's) in ``tests/spark/test_spark_engine.py``.

Statement rewrites (one statement may become several):

* :func:`bind_parameters`: ``?`` parameters bound as SQL literals before transpiling;
* :func:`delete_as_rewrite`: ``DELETE`` rebuilds the table without the rows;
* :func:`update_as_rewrite`: ``UPDATE`` rebuilds the table with the new values;
* :func:`create_with_columns_as_select`: ``CREATE TABLE t (columns)`` as an empty CTAS;
* :func:`replace_by_rename`: ``CREATE OR REPLACE TABLE`` built aside, then renamed;
* :func:`parquet_tables`: every table is Parquet.

Expression rewrites, applied to every node in the order of :data:`EXPRESSION_REWRITES`.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, cast

import sqlglot
from sqlglot import exp

from personae.engine.base import AUTHORING_DIALECT
from personae.errors import EngineError
from personae.sql import literal

#: sqlglot's name of the dialect this module writes
SPARK_DIALECT = "spark"

#: suffix of the table a replace builds before it takes the old one's name
NEXT = "__next"


def to_spark_sql(
    sql: str,
    params: Sequence[Any] | None = None,
    columns_of: Callable[[str], list[str]] | None = None,
) -> list[str]:
    """Spark SQL statements for one statement written in DuckDB's dialect;
    ``columns_of(table)`` gives a table's columns, which an ``UPDATE`` needs."""
    if params:
        sql = bind_parameters(sql, params)
    statements: list[str] = []
    for parsed in sqlglot.parse(sql, read=AUTHORING_DIALECT):
        if parsed is None:
            continue
        tree = cast(exp.Expression, parsed)
        tree = delete_as_rewrite(create_with_columns_as_select(tree))
        tree = update_as_rewrite(tree, columns_of)
        for rewrite in EXPRESSION_REWRITES:
            tree = tree.transform(rewrite)
        replaced = replace_by_rename(tree)
        if replaced is not None:
            statements += replaced
            continue
        statements.append(parquet_tables(tree).sql(dialect=SPARK_DIALECT))
    return statements


# --- statements


def bind_parameters(sql: str, params: Sequence[Any]) -> str:
    """DuckDB binds ``?`` parameters itself; Spark SQL has no positional parameters, so
    each ``?`` becomes the SQL literal of its value (None as NULL, booleans as TRUE/FALSE,
    numbers as written, datetimes and dates as TIMESTAMP and DATE, anything else as a
    quoted string)."""
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise EngineError(f"{len(params)} parameters for {len(parts) - 1} placeholders", sql=sql)
    out = [parts[0]]
    for value, rest in zip(params, parts[1:], strict=True):
        out.append(_parameter(value) + rest)
    return "".join(out)


def _parameter(value: Any) -> str:
    """A parameter as a literal of its own type: a datetime as a TIMESTAMP (naive UTC, as
    DuckDB binds it), a date as a DATE, anything else as :func:`literal` writes it."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return f"CAST('{value.isoformat(sep=' ')}' AS TIMESTAMP)"
    if isinstance(value, dt.date):
        return f"CAST('{value.isoformat()}' AS DATE)"
    return literal(value)


def delete_as_rewrite(tree: exp.Expression) -> exp.Expression:
    """DuckDB deletes rows in place; Spark's Parquet tables cannot delete rows.
    ``DELETE FROM t WHERE c`` -> ``CREATE OR REPLACE TABLE t AS SELECT * FROM t WHERE NOT
    coalesce(c, false)``: DELETE removes the rows where ``c`` is true and keeps those where
    it is false or NULL."""
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


def update_as_rewrite(
    tree: exp.Expression, columns_of: Callable[[str], list[str]] | None
) -> exp.Expression:
    """DuckDB updates rows in place; Spark's Parquet tables cannot.
    ``UPDATE t SET a = x WHERE c`` -> ``CREATE OR REPLACE TABLE t AS SELECT CASE WHEN
    coalesce(c, false) THEN x ELSE a END AS a, b, … FROM t``: every column in the table's
    order, the assigned ones computed from the row's old values as UPDATE does."""
    if not isinstance(tree, exp.Update):
        return tree
    target = tree.this
    if columns_of is None:
        raise EngineError("an UPDATE needs the table's columns to be rewritten for Spark")
    assigned: dict[str, exp.Expression] = {}
    for assignment in tree.expressions:
        assigned[assignment.this.name.lower()] = assignment.expression
    where = tree.args.get("where")
    condition = (
        exp.true()
        if where is None
        else exp.func("coalesce", exp.paren(where.this.copy()), exp.false())
    )
    select: list[exp.Expr] = []
    for column in columns_of(target.name):
        value = assigned.get(column.lower())
        if value is None:
            select.append(exp.column(column))
            continue
        case = exp.Case(ifs=[exp.If(this=condition.copy(), true=value.copy())])
        select.append(exp.alias_(case.else_(exp.column(column)), column))
    return exp.Create(
        this=exp.to_table(target.name),
        kind="TABLE",
        replace=True,
        expression=exp.select(*select).from_(exp.to_table(target.name)),
    )


def create_with_columns_as_select(tree: exp.Expression) -> exp.Expression:
    """DuckDB keeps a table declared with columns in its file; on Spark such a table, never
    written, leaves no file, and is lost when the warehouse is reopened.
    ``CREATE TABLE t (a BIGINT, …)`` -> ``CREATE TABLE t AS SELECT CAST(NULL AS BIGINT)
    AS a, … WHERE false``: an empty CTAS writes a Parquet file that carries the schema."""
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


def _parquet() -> exp.Properties:
    return exp.Properties(expressions=[exp.FileFormatProperty(this=exp.var("parquet"))])


def _is_create_table(tree: exp.Expression) -> bool:
    return isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE"


def replace_by_rename(tree: exp.Expression) -> list[str] | None:
    """DuckDB replaces a table in one statement, ``CREATE OR REPLACE TABLE t AS q``, even
    when ``q`` reads ``t``. Spark replaces only v2 tables, and every table here is Parquet
    in the warehouse location: ``t`` is built as ``t__next`` first (``q`` may read the
    table it replaces), then ``t`` is dropped and ``t__next`` renamed to ``t``.

    None when ``tree`` is not a CREATE OR REPLACE TABLE.
    """
    if not (_is_create_table(tree) and tree.args.get("replace")):
        return None
    name = tree.this.sql(dialect=SPARK_DIALECT)
    tree.set("this", exp.to_table(f"{name}{NEXT}"))
    tree.set("replace", False)
    tree.set("properties", _parquet())
    return [
        f"DROP TABLE IF EXISTS {name}{NEXT}",
        tree.sql(dialect=SPARK_DIALECT),
        f"DROP TABLE IF EXISTS {name}",
        f"ALTER TABLE {name}{NEXT} RENAME TO {name}",
    ]


def parquet_tables(tree: exp.Expression) -> exp.Expression:
    """DuckDB stores every table in its own file; a Spark ``CREATE TABLE`` without
    ``USING`` would ask for Hive. Every table is created ``USING parquet``."""
    if _is_create_table(tree):
        tree.set("properties", _parquet())
    return tree


# --- expressions


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


def strip_accents(node: exp.Expression) -> exp.Expression:
    """DuckDB has ``strip_accents(x)``; Spark has no such function.
    ``strip_accents(x)`` -> ``translate(x, accented, plain)`` over the accented Latin
    letters (U+00C0..U+024F) that decompose to one ASCII letter."""
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


def day_boundaries(node: exp.Expression) -> exp.Expression:
    """``date_diff('day', a, b)`` counts midnights crossed in DuckDB; Spark's
    ``datediff(DAY, a, b)`` on timestamps counts whole 24-hour spans. Compare dates."""
    unit = node.args.get("unit") if isinstance(node, exp.DateDiff) else None
    if isinstance(node, exp.DateDiff) and unit is not None and unit.name.upper() == "DAY":
        end, start = (exp.cast(e, exp.DataType.Type.DATE) for e in (node.this, node.expression))
        return exp.Anonymous(this="datediff", expressions=[end, start])
    return node


def empty_list(node: exp.Expression) -> exp.Expression:
    """A list aggregate over no value is NULL in DuckDB, ``[]`` in Spark:
    ``CASE WHEN size(agg) = 0 THEN NULL ELSE agg END``."""
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


def string_agg(node: exp.Expression) -> exp.Expression:
    """DuckDB has ``string_agg``; Spark 3.5 has neither it nor listagg.
    ``string_agg([DISTINCT] x, sep [ORDER BY x])`` -> ``array_join(collect_…(x), sep)``.
    An ORDER BY sorts by the values themselves."""
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


def percentiles(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``median(x)`` and ``quantile_cont(x, q)`` interpolate between the two
    nearest values; sqlglot's Spark translations of them are not guaranteed to.
    Both -> ``percentile(x, q)``: exact and interpolated on Spark too."""
    if isinstance(node, exp.Median):
        return exp.Anonymous(this="percentile", expressions=[node.this, exp.Literal.number(0.5)])
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    return node


def try_strptime(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``try_strptime(x, fmt)`` takes a strftime format and gives NULL when ``x``
    does not parse; Spark has no such function.
    ``try_strptime(x, '%d/%m/%Y')`` -> ``to_timestamp(x, 'd/M/yyyy')`` (NULL when it fails
    to parse, with the CORRECTED time parser policy the session sets)."""
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "try_strptime":
        value, fmt = node.expressions
        return exp.StrToTime(this=value, format=fmt)
    return node


def json_object(node: exp.Expression) -> exp.Expression:
    """DuckDB builds a JSON object with ``json_object('k', v, …)``; Spark has no such
    function. -> ``to_json(named_struct('k', v, …))``: the same JSON text (keys in the
    order written, no spaces)."""
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


#: DuckDB's ``json_transform`` types -> the Spark types a list property's keys are cast to
_JSON_LIST_TYPES = {"VARCHAR": "STRING", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN"}


def json_list(node: exp.Expression) -> exp.Expression:
    """A list property (clean: ``items``) is JSON text read as a list of objects:
    DuckDB's ``to_json(json_transform(x, '[{"k": "DOUBLE", …}]'))`` keeps the listed keys,
    each cast to its type (NULL when it does not cast), and ``json_valid(x)`` guards it;
    Spark has neither. -> ``transform(from_json(x, 'array<struct<k: string, …>>'),
    e -> named_struct('k', CAST(e.k AS DOUBLE), …))``: the list itself, which the
    ``to_json`` of the enclosing ``json_object`` writes as JSON; ``json_valid(x)`` ->
    ``get_json_object(x, '$') IS NOT NULL``."""
    name = str(node.this).lower() if isinstance(node, exp.Anonymous) else ""
    if name == "json_valid":
        found = exp.Anonymous(
            this="get_json_object", expressions=[node.expressions[0], exp.Literal.string("$")]
        )
        return exp.Not(this=exp.Is(this=found, expression=exp.null()))
    inner = node.expressions[0] if name == "to_json" and node.expressions else None
    if not (isinstance(inner, exp.Anonymous) and str(inner.this).lower() == "json_transform"):
        return node
    value, shape = inner.expressions
    try:
        keys = json.loads(shape.name)[0]
        types = {str(k): _JSON_LIST_TYPES[str(t).upper()] for k, t in keys.items()}
    except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
        raise EngineError(
            f"json_transform on Spark takes a list of one object of VARCHAR, DOUBLE or "
            f"BOOLEAN keys, not {shape.sql()}"
        ) from exc
    schema = ", ".join(f"`{k}`: string" for k in types)
    fields = ", ".join(f"{literal(k)}, CAST(e.`{k}` AS {t})" for k, t in types.items())
    spark = sqlglot.parse_one(
        f"transform(from_json(__value__, 'array<struct<{schema}>>'), e -> named_struct({fields}))",
        read=SPARK_DIALECT,
    )
    placeholder = next(c for c in spark.find_all(exp.Column) if c.name == "__value__")
    placeholder.replace(value.copy())
    return cast(exp.Expression, spark)


def unordered_row_number(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``row_number() OVER ()`` numbers rows in no particular order: personae
    uses it for unique ids (``rid``, ``vid``). Spark needs an ordered window, which moves
    every row into one partition; ``monotonically_increasing_id() + 1`` gives unique positive ids
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


#: DuckDB constructs rewritten for Spark, applied to every node of every statement in
#: this order
EXPRESSION_REWRITES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    unordered_row_number,
    json_list,
    json_object,
    try_strptime,
    strip_accents,
    day_boundaries,
    empty_list,
    string_agg,
    percentiles,
)
