"""Computed traits: table ``traits(person_id, <one column per trait>)``, one row per live
person, in one statement:

1. one aggregate over the events of live persons for every aggregate trait and the
   inputs of every RFM trait (:mod:`personae.profile.aggregates`);
2. RFM quintiles and segments over the buyers (:mod:`personae.profile.rfm`);
3. expression traits, over the other traits, the profile fields and ``as_of`` (the
   reference date). An expression naming another expression trait gets that trait's
   SQL inlined, so expressions may refer to each other in any order; a cycle is a
   ConfigError.

Trait names share one namespace with the columns of ``profiles`` (so segments can use
both): a trait named like a profile column is a ConfigError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from personae.catalog import EVENTS, IDENTITY_MAP, PERSONS, PROFILES, TRAITS
from personae.config.models import ProjectConfig
from personae.config.traits import AggregateTrait, ExpressionTrait, RFMTrait
from personae.engine import Engine
from personae.engine.base import AUTHORING_DIALECT
from personae.errors import ConfigError
from personae.profile.aggregates import compile_aggregate, property_types
from personae.profile.golden import profile_columns
from personae.profile.rfm import rfm_aggregates, rfm_columns, rfm_scores_sql
from personae.query.asof import as_of_end, timestamp_sql
from personae.query.events import event_names
from personae.query.expressions import (
    AS_OF,
    parse_user_sql,
    qualified,
    referenced_names,
    replace_columns,
)
from personae.query.people import LIVE_PERSONS_SQL, person_events_sql
from personae.query.tables import require_tables
from personae.sql import ident

RESERVED = ("person_id", AS_OF)


@dataclass
class TraitsReport:
    persons: int
    #: the trait columns, in order
    columns: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- names


#: what trait_columns names as the maker of a predicted column
PREDICTIONS = "predictions"


def trait_columns(config: ProjectConfig) -> dict[str, str]:
    """Every column of ``traits`` after ``person_id`` -> the trait that makes it (the
    predicted columns, last, are made by :data:`PREDICTIONS`).

    Raises ConfigError when a name is used twice or clashes with a profile column.
    """
    columns = computed_trait_columns(config)
    if config.predictions is not None and config.predictions.enabled:
        for column in config.predictions.columns():
            if column in columns:
                raise ConfigError(
                    f"trait {columns[column]!r} makes column {column!r}, which predictions "
                    "make too; rename the trait",
                    path=f"traits.{columns[column]}",
                )
            columns[column] = PREDICTIONS
    return columns


def computed_trait_columns(config: ProjectConfig) -> dict[str, str]:
    """The columns the traits statement computes (all but the predicted ones)."""
    taken = {c: f"profile column {c!r}" for c in profile_columns(config)}
    taken.update({name: "a reserved name" for name in RESERVED})
    columns: dict[str, str] = {}
    for name, trait in config.traits.items():
        made = rfm_columns(name) if isinstance(trait, RFMTrait) else [name]
        for column in made:
            clash = taken.get(column) or (
                f"a column of trait {columns[column]!r}" if column in columns else None
            )
            if clash:
                raise ConfigError(
                    f"trait column {column!r} has the same name as {clash}; rename the trait",
                    path=f"traits.{name}",
                )
            columns[column] = name
    return columns


# --------------------------------------------------------------------------- expressions


def _expression_order(config: ProjectConfig) -> list[str]:
    """Expression traits, each after the expression traits it refers to."""
    expressions = {
        name: trait for name, trait in config.traits.items() if isinstance(trait, ExpressionTrait)
    }
    refs = {
        name: sorted(
            referenced_names(trait.expression, f"traits.{name}.expression") & expressions.keys()
        )
        for name, trait in expressions.items()
    }
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = [*trail[trail.index(name) :], name]
            raise ConfigError(
                f"expression traits refer to each other in a cycle: {' -> '.join(cycle)}",
                path=f"traits.{name}.expression",
            )
        state[name] = "visiting"
        for ref in refs[name]:
            visit(ref, [*trail, name])
        state[name] = "done"
        order.append(name)

    for name in expressions:
        visit(name, [])
    return order


def compile_expressions(
    config: ProjectConfig, base_columns: Mapping[str, str]
) -> tuple[dict[str, str], bool]:
    """SQL of each expression trait over ``b`` (aggregate/RFM columns) and ``p``
    (profiles), and whether any of them reads ``profiles``."""
    profile_cols = set(profile_columns(config)) - {"person_id"}
    expression_names = [n for n, t in config.traits.items() if isinstance(t, ExpressionTrait)]
    valid = sorted({*base_columns, *expression_names, *profile_cols, AS_OF})
    as_of = exp.cast(exp.Literal.string(config.reference_date().isoformat()), "DATE")
    compiled: dict[str, exp.Expr] = {}
    uses_profiles = False
    for name in _expression_order(config):
        trait = config.traits[name]
        assert isinstance(trait, ExpressionTrait)
        path = f"traits.{name}.expression"

        def resolve(column: exp.Column) -> exp.Expr | None:
            nonlocal uses_profiles
            ref = column.name
            if ref in compiled:
                return exp.paren(compiled[ref].copy())
            if ref in base_columns:
                return qualified(ref, "b")
            if ref in profile_cols:
                uses_profiles = True
                return qualified(ref, "p")
            if ref == AS_OF:
                return as_of.copy()
            return None

        tree = parse_user_sql(trait.expression, path)
        compiled[name] = replace_columns(
            tree,
            trait.expression,
            path,
            resolve,
            kind="trait or profile field",
            valid=lambda: valid,
        )
    return {n: tree.sql(dialect=AUTHORING_DIALECT) for n, tree in compiled.items()}, uses_profiles


# --------------------------------------------------------------------------- statement


def _needs_events(config: ProjectConfig) -> bool:
    return any(isinstance(t, AggregateTrait | RFMTrait) for t in config.traits.values())


def _event_prefilter(config: ProjectConfig) -> tuple[str, ...] | None:
    """Event names every event-reading trait is limited to, or None (all events)."""
    names: set[str] = set()
    for trait in config.traits.values():
        if isinstance(trait, RFMTrait):
            names.add(trait.event)
        elif isinstance(trait, AggregateTrait):
            if trait.event is None:
                return None
            names.update(event_names(trait.event))
    return tuple(sorted(names))


def traits_sql(config: ProjectConfig, types: Mapping[str, str]) -> tuple[str, bool]:
    """The SELECT of ``traits`` (but its predicted columns) and whether it reads
    ``profiles``."""
    columns = computed_trait_columns(config)
    aggregates: list[tuple[str, str]] = []
    finals: dict[str, str] = {}
    rfm_names: list[str] = []
    for name, trait in config.traits.items():
        if isinstance(trait, AggregateTrait):
            compiled = compile_aggregate(config, name, trait, types)
            aggregates.append((name, compiled.aggregate))
            finals[name] = compiled.final
        elif isinstance(trait, RFMTrait):
            aggregates += rfm_aggregates(name, trait)
            alias = f"rfm{len(rfm_names)}"
            rfm_names.append(name)
            finals.update({c: f"{alias}.{ident(c)}" for c in rfm_columns(name)})

    ctes: list[str] = []
    joins: list[str] = []
    if aggregates:
        events = person_events_sql(
            timestamp_sql(as_of_end(config)), events=_event_prefilter(config)
        )
        select = ", ".join(f"{sql} AS {ident(col)}" for col, sql in aggregates)
        ctes.append(
            f"agg AS (\nSELECT e.person_id, {select}\nFROM ({events}) e\nGROUP BY e.person_id\n)"
        )
        joins.append("LEFT JOIN agg a ON a.person_id = l.person_id")
    for i, name in enumerate(rfm_names):
        ctes.append(f"rfm{i} AS ({rfm_scores_sql(name, 'agg')}\n)")
        joins.append(f"LEFT JOIN rfm{i} ON rfm{i}.person_id = l.person_id")
    base_select = ", ".join(["l.person_id", *(f"{sql} AS {ident(c)}" for c, sql in finals.items())])
    ctes.append(
        f"base AS (\nSELECT {base_select}\nFROM ({LIVE_PERSONS_SQL}) l\n" + "\n".join(joins) + "\n)"
    )

    expressions, uses_profiles = compile_expressions(config, finals)
    select = ", ".join(
        ["b.person_id"]
        + [
            f"({expressions[c]}) AS {ident(c)}" if c in expressions else f"b.{ident(c)}"
            for c in columns
        ]
    )
    join_profiles = (
        f"\nLEFT JOIN {PROFILES} p ON p.person_id = b.person_id" if uses_profiles else ""
    )
    sql = f"WITH {', '.join(ctes)}\nSELECT {select}\nFROM base b{join_profiles}"
    return sql, uses_profiles


def compute_traits(engine: Engine, config: ProjectConfig) -> TraitsReport:
    """(Re)build ``traits`` for every live person."""
    trait_columns(config)
    required = [PERSONS]
    if _needs_events(config):
        required += [IDENTITY_MAP, EVENTS]
    require_tables(engine, required)
    types = property_types(engine, config) if _needs_events(config) else {}
    sql, uses_profiles = traits_sql(config, types)
    if uses_profiles:
        require_tables(engine, [PROFILES])
    engine.create_table_as(TRAITS, sql)
    return TraitsReport(persons=engine.count(TRAITS), columns=list(computed_trait_columns(config)))
