"""User SQL in ``personae.yml``: parse, validate and rewrite it with sqlglot.

Two kinds of user SQL exist, both written in DuckDB's dialect:

* **event filters** (``where:`` of an aggregate trait or an event condition) see the event
  columns ``event``, ``timestamp`` and ``source``, the reference date ``as_of``, and every
  other bare name as an event property. A property ``revenue`` is rewritten to
  ``json_extract_string(e.properties, '$.revenue')`` and cast to DOUBLE when it is used as
  a number (compared with a number, in ``IN``/``BETWEEN`` with numbers, in arithmetic), or
  to BOOLEAN when it is used as a condition or compared with ``true``/``false``.
* **expressions** (``expression:`` traits) see other traits, profile fields and ``as_of``;
  the caller says what each name becomes.

Every rewrite returns SQL rendered back in DuckDB's dialect. Unknown names raise a
``ConfigError`` at the key path, naming the bad identifier, the closest valid name and
the valid names.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Iterable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from personae.engine.base import AUTHORING_DIALECT
from personae.errors import ConfigError, did_you_mean
from personae.sql import literal

#: columns of ``events`` that filters may name directly; every other name is a property
EVENT_COLUMNS: tuple[str, ...] = ("event", "timestamp", "source")
#: the reference date, usable in every user expression
AS_OF = "as_of"

_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv, exp.Neg)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)
_LOGIC = (exp.And, exp.Or, exp.Not)


def suggestion(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    hint = did_you_mean(name, candidates, prefix="")
    return f" ({hint})" if hint else ""


def unknown_name_error(name: str, kind: str, valid: Iterable[str], path: str) -> ConfigError:
    names = sorted(set(valid))
    listed = ", ".join(names) if names else "none"
    return ConfigError(
        f"unknown {kind} {name!r}{suggestion(name, names)}; valid names: {listed}", path=path
    )


def parse_user_sql(text: str, path: str) -> exp.Expr:
    """Parse one SQL expression written by the user, refusing anything but an expression."""
    try:
        tree = sqlglot.parse_one(text, read=AUTHORING_DIALECT)
    except (ParseError, TokenError) as exc:
        detail = str(exc).split("\n")[0]
        raise ConfigError(f"cannot read the SQL {text!r}: {detail}", path=path) from None
    if not isinstance(tree, exp.Condition):
        raise ConfigError(f"expected one SQL expression, got {text!r}", path=path)
    for node in tree.walk():
        if isinstance(node, exp.Query | exp.Subquery):
            raise ConfigError(f"subqueries are not allowed here: {text!r}", path=path)
        if isinstance(node, exp.AggFunc | exp.Window):
            raise ConfigError(
                f"aggregate and window functions are not allowed here: {text!r} "
                "(use an aggregate trait instead)",
                path=path,
            )
        if isinstance(node, exp.Star):
            raise ConfigError(f"'*' is not allowed here: {text!r}", path=path)
    return tree


def qualified(name: str, table: str) -> exp.Column:
    """``table."name"``: the column quoted, so any name is safe."""
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(table))


def columns_of(tree: exp.Expr) -> list[exp.Column]:
    return list(tree.find_all(exp.Column))


def replace_columns(
    tree: exp.Expr,
    text: str,
    path: str,
    resolve: Callable[[exp.Column], exp.Expr | None],
    *,
    kind: str,
    valid: Callable[[], Iterable[str]],
) -> exp.Expr:
    """Replace every column reference by ``resolve(column)``; ``None`` means unknown."""
    for column in columns_of(tree):
        if column.table:
            raise ConfigError(
                f"write names without a prefix: {column.sql(dialect='duckdb')!r} in {text!r}",
                path=path,
            )
        replacement = resolve(column)
        if replacement is None:
            raise unknown_name_error(column.name, kind, valid(), path)
        if column is tree:
            tree = replacement
        else:
            column.replace(replacement)
    return tree


def referenced_names(text: str, path: str) -> set[str]:
    """Every bare name an expression refers to."""
    return {column.name for column in columns_of(parse_user_sql(text, path))}


# --------------------------------------------------------------------------- event filters


def json_path(name: str) -> str:
    return "$." + name if _SIMPLE_NAME.match(name) else "$." + json.dumps(name)


def property_sql(name: str, alias: str = "e", cast: str | None = None) -> str:
    """The text of event property ``name``, optionally TRY_CAST to a type."""
    raw = f"json_extract_string({alias}.properties, {literal(json_path(name))})"
    return f"TRY_CAST({raw} AS {cast})" if cast else raw


def _literal_type(node: exp.Expr) -> str | None:
    while isinstance(node, exp.Paren | exp.Neg):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_number:
        return "DOUBLE"
    if isinstance(node, exp.Boolean):
        return "BOOLEAN"
    return None


def _all_of_type(nodes: list[exp.Expr]) -> str | None:
    kinds = {_literal_type(node) for node in nodes}
    return kinds.pop() if len(kinds) == 1 else None


def context_type(column: exp.Expr) -> str | None:
    """The type a property must be read as, from where it stands in the expression."""
    node, parent = column, column.parent
    while isinstance(parent, exp.Paren):
        node, parent = parent, parent.parent
    if parent is None or isinstance(parent, _LOGIC):
        return "BOOLEAN"
    if isinstance(parent, _ARITHMETIC):
        return "DOUBLE"
    if isinstance(parent, _COMPARISONS):
        other = parent.expression if parent.this is node else parent.this
        return _literal_type(other)
    if isinstance(parent, exp.In) and parent.this is node:
        return _all_of_type(list(parent.expressions))
    if isinstance(parent, exp.Between) and parent.this is node:
        return _all_of_type([parent.args["low"], parent.args["high"]])
    if isinstance(parent, exp.Is) and isinstance(parent.expression, exp.Boolean):
        return "BOOLEAN"
    return None


def event_filter_sql(
    text: str,
    path: str,
    *,
    as_of: dt.date,
    properties: Collection[str] | None = None,
    alias: str = "e",
) -> str:
    """A ``where:`` over events as SQL over the events table aliased ``alias``.

    ``properties``, when given, are the known property names: any other bare name is a
    ConfigError. When ``None`` (no event source declares its properties) any name is a
    property.
    """
    tree = parse_user_sql(text, path)

    def resolve(column: exp.Column) -> exp.Expr | None:
        name = column.name
        if name in EVENT_COLUMNS:
            return qualified(name, alias)
        if name == AS_OF:
            return exp.cast(exp.Literal.string(as_of.isoformat()), "DATE")
        if properties is not None and name not in properties:
            return None
        return sqlglot.parse_one(
            property_sql(name, alias, context_type(column)), read=AUTHORING_DIALECT
        )

    def valid() -> list[str]:
        return [*EVENT_COLUMNS, AS_OF, *(properties or ())]

    tree = replace_columns(tree, text, path, resolve, kind="event column or property", valid=valid)
    return tree.sql(dialect=AUTHORING_DIALECT)
