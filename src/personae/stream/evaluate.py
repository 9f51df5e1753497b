"""Traits and segment memberships of the persons a micro-batch touched, by the batch's
own SQL, run over an in-memory DuckDB holding only those persons.

The serving store keeps each person's newest events (``serving.events_per_person``,
within ``serving.events_days``). A person whose kept events are all of their events (the
publish kept fewer than the limit, with no age limit) has a **complete** history: the
traits and segments computed over it plus the streamed events are what the batch run
would compute. Otherwise the history is **truncated** at its oldest kept event, and:

* a windowed trait whose window starts after that is computed as above;
* ``count``, ``sum``, ``exists``, ``min`` and ``max`` traits without a window combine the
  batch value with the streamed events' (a count adds, a max takes the larger);
* ``last`` takes the streamed events' last value when there is one;
* the other traits, expression traits, and segments reading events keep the batch's
  answer until the next run.

Always left to the batch run (:func:`plan` says which): RFM traits (quintiles rank a
person among all buyers) and expression traits reading them; predicted traits (fitted
over all customers); segments reading consent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from personae.catalog import EVENTS, IDENTITY_MAP, PERSONS, PROFILES, TRAITS
from personae.config.models import ProjectConfig
from personae.config.traits import AggregateTrait, ExpressionTrait, RFMTrait
from personae.engine import Engine
from personae.profile.rfm import rfm_columns
from personae.profile.traits import PREDICTIONS, trait_columns, traits_sql
from personae.query.asof import window_start
from personae.query.expressions import referenced_names
from personae.segment.compile import compile_segment, segment_members_sql
from personae.sql import ident, literal
from personae.stream.generation import Person

#: aggregates whose batch value and streamed value combine into the whole history's
COMBINED = ("count", "sum", "exists", "min", "max", "last")

_BASE = "_stream_base"
_FULL = "_stream_full"
_NEW = "_stream_new"
_ALL_EVENTS = "_stream_events"
_DOCS = "_stream_docs"
_PARSED = "_stream_parsed"
#: a kept event in a document, as :mod:`personae.serving.store` describes it (``n``: the
#: stream added it since the publish)
_EVENT_SHAPE = orjson.dumps(
    [
        {
            "t": "VARCHAR",
            "s": "VARCHAR",
            "m": "VARCHAR",
            "e": "VARCHAR",
            "p": "VARCHAR",
            "n": "BIGINT",
        }
    ]
).decode()


@dataclass
class Plan:
    """How each trait column and segment is kept up to date by the stream."""

    #: trait column -> ``streamed`` | ``batch`` (with why)
    traits: dict[str, str] = field(default_factory=dict)
    #: segment -> ``streamed`` | ``batch`` (with why)
    segments: dict[str, str] = field(default_factory=dict)
    #: segments whose answer reads events (kept for persons with truncated histories)
    reads_events: set[str] = field(default_factory=set)

    def streamed(self, kind: str) -> list[str]:
        table = self.traits if kind == "traits" else self.segments
        return [n for n, how in table.items() if how == "streamed"]


def plan(config: ProjectConfig) -> Plan:
    out = Plan()
    batch_only: dict[str, str] = {}
    for name, trait in config.traits.items():
        if isinstance(trait, RFMTrait):
            for column in rfm_columns(name):
                batch_only[column] = "batch: RFM quintiles rank a person among all buyers"
    expressions = {n: t for n, t in config.traits.items() if isinstance(t, ExpressionTrait)}
    changed = True
    while changed:  # an expression reading a batch-only trait is batch-only too
        changed = False
        for name, trait in expressions.items():
            if name in batch_only:
                continue
            refs = referenced_names(trait.expression, f"traits.{name}.expression")
            if refs & batch_only.keys():
                batch_only[name] = "batch: reads " + ", ".join(sorted(refs & batch_only.keys()))
                changed = True
    for column, maker in trait_columns(config).items():
        if maker == PREDICTIONS:
            batch_only[column] = "batch: predictions are fitted over all customers"
        out.traits[column] = batch_only.get(column, "streamed")
    for name in config.segments:
        compiled = compile_segment(config, name)
        if compiled.uses_consent:
            out.segments[name] = "batch: reads consent"
        else:
            out.segments[name] = "streamed"
        if compiled.event_counts or compiled.sequences:
            out.reads_events.add(name)
    return out


@dataclass
class History:
    """How much of a person's history the store holds."""

    complete: bool
    #: the oldest time the kept events cover (None: all of it)
    since: dt.datetime | None


def history(person: Person, meta: dict[str, str]) -> History:
    if person.new:
        return History(True, None)
    cap = int(meta.get("events_per_person") or 0)
    if cap and len(person.events) >= cap and sum(1 for e in person.events if "n" not in e) >= cap:
        oldest = min((str(e.get("t")) for e in person.events if "n" not in e), default=None)
        return History(False, _parse(oldest) if oldest else None)
    days = meta.get("events_days") or ""
    if days:
        reference = _parse(meta.get("reference") or meta["published_at"].rstrip("Z"))
        return History(False, reference - dt.timedelta(days=int(days)))
    return History(True, None)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("T", " ")).replace(tzinfo=None)


class Evaluator:
    """Recomputes traits and memberships for a micro-batch's persons."""

    def __init__(
        self, engine: Engine, config: ProjectConfig, meta: dict[str, str], names: list[str]
    ) -> None:
        import json

        self.engine = engine
        self.config = config
        self.meta = meta
        self.plan = plan(config)
        self.types: dict[str, str] = json.loads(meta.get("column_types") or "{}")
        self.property_types: dict[str, str] = json.loads(meta.get("property_types") or "{}")
        self.trait_columns = list(trait_columns(config))
        known = set(self.trait_columns)
        self.profile_columns = [n for n in names if n not in known]
        #: the traits document's names, by position (a trait the publish did not know
        #: of, declared since, has none: NULL until the next publish)
        self.names = names
        self._position = {n: i for i, n in enumerate(names)}
        self._traits_sql, _ = traits_sql(config, self.property_types)
        #: the trait columns the traits documents hold
        self._stored = [c for c in self.trait_columns if c in self._position]
        picked = [_as_json_value(c, self.types.get(c, "VARCHAR")) for c in self._stored]
        self._values_sql = (
            f"SELECT {', '.join(['person_id', 'NULL AS _none', *picked])} FROM {TRAITS}"
        )
        self._segments = {
            name: segment_members_sql(config, name)
            for name, how in self.plan.segments.items()
            if how == "streamed"
        }

    # --- tables

    def _load(self, persons: list[Person], histories: dict[int, History]) -> None:
        """``persons``, ``identity_map``, ``events``' source (all kept and streamed
        events), ``profiles`` and the batch's trait values (``_stream_base``) of the
        persons; the documents are handed to DuckDB as JSON, parsed there once each."""
        engine = self.engine
        ids = pa.array([p.person_id for p in persons], pa.int64())
        engine.write_arrow(
            PERSONS,
            pa.table({"person_id": ids, "merged_into": pa.nulls(len(ids), pa.int64())}),
            mode="replace",
        )
        documents = pa.table(
            {
                "person_id": ids,
                "traits": [orjson.dumps(p.traits, default=str).decode() for p in persons],
                "events": [p.events_json().decode() for p in persons],
                "truncated": [not histories[p.person_id].complete for p in persons],
                "since": [histories[p.person_id].since for p in persons],
            }
        )
        engine.write_arrow(_DOCS, documents, mode="replace")
        engine.create_table_as(
            _ALL_EVENTS,
            "SELECT person_id, e.s AS source, e.m AS record_id, e.e AS event, "
            "e.t AS timestamp, e.p AS properties, coalesce(e.n, 0) = 1 AS new FROM ("
            f"SELECT person_id, unnest(from_json(events, {literal(_EVENT_SHAPE)})) AS e "
            f"FROM {_DOCS})",
        )
        engine.create_table_as(
            IDENTITY_MAP, f"SELECT DISTINCT source, record_id, person_id FROM {_ALL_EVENTS}"
        )
        shape = orjson.dumps(
            {str(i): self.types.get(n, "VARCHAR") for i, n in enumerate(self.names)}
        ).decode()
        parsed = (
            "SELECT person_id, truncated, since, "
            f"from_json(traits, {literal(shape)}) AS d FROM {_DOCS}"
        )
        engine.create_table_as(_PARSED, parsed)
        profile = ", ".join(f"{self._at(n)} AS {ident(n)}" for n in self.profile_columns)
        engine.create_table_as(
            PROFILES, f"SELECT person_id{', ' if profile else ''}{profile} FROM {_PARSED}"
        )
        traits = ", ".join(f"{self._at(n)} AS {ident(n)}" for n in self.trait_columns)
        engine.create_table_as(
            _BASE,
            f"SELECT person_id, truncated, since{', ' if traits else ''}{traits} FROM {_PARSED}",
        )

    def _at(self, name: str) -> str:
        """The field of a parsed traits document holding ``name`` (absent: NULL)."""
        if name in self._position:
            return f"d.{ident(str(self._position[name]))}"
        return f"CAST(NULL AS {self.types.get(name, 'VARCHAR')})"

    def _events(self, only_new: bool) -> None:
        where = "WHERE new" if only_new else ""
        self.engine.create_table_as(
            EVENTS,
            "SELECT source, record_id, event, CAST(timestamp AS TIMESTAMP) AS timestamp, "
            f"properties FROM {_ALL_EVENTS} {where}",
        )

    def _final_sql(self) -> str:
        picks = ["f.person_id"]
        for column in self.trait_columns:
            c = ident(column)
            how = self.plan.traits[column]
            if how != "streamed":
                picks.append(f"b.{c} AS {c}")
                continue
            picks.append(
                f"CASE WHEN NOT coalesce(b.truncated, false) THEN f.{c} "
                f"ELSE {self._truncated(column)} END AS {c}"
            )
        return (
            f"SELECT {', '.join(picks)} FROM {_FULL} f "
            f"LEFT JOIN {_BASE} b ON b.person_id = f.person_id "
            f"LEFT JOIN {_NEW} n ON n.person_id = f.person_id"
        )

    def _truncated(self, column: str) -> str:
        """The value of a streamed trait for a person whose history is truncated."""
        c = ident(column)
        trait = self.config.traits.get(column)
        if not isinstance(trait, AggregateTrait):
            return f"b.{c}"
        if trait.within is not None:
            start = window_start(self.config, trait.within)
            return (
                f"CASE WHEN b.since IS NOT NULL AND b.since <= "
                f"{literal(start.isoformat(sep=' '))}::TIMESTAMP THEN f.{c} ELSE b.{c} END"
            )
        kind = trait.aggregate
        if kind == "count":
            return f"coalesce(b.{c}, 0) + coalesce(n.{c}, 0)"
        if kind == "sum":
            return f"CASE WHEN n.{c} IS NULL THEN b.{c} ELSE coalesce(b.{c}, 0) + n.{c} END"
        if kind == "exists":
            return f"coalesce(b.{c}, false) OR coalesce(n.{c}, false)"
        if kind in ("min", "max"):
            pick = "least" if kind == "min" else "greatest"
            return f"coalesce({pick}(b.{c}, n.{c}), b.{c}, n.{c})"
        if kind == "last":
            return f"coalesce(n.{c}, b.{c})"
        return f"b.{c}"

    # --- evaluation

    def evaluate(
        self, persons: list[Person], histories: dict[int, History], now: dt.datetime
    ) -> tuple[dict[int, dict[str, Any]], dict[int, set[str]]]:
        """Each person's trait values (keyed as in the traits documents) and the
        streamed segments they are members of now, given how much of their history the
        store holds."""
        self._load(persons, histories)
        engine = self.engine
        if any(not h.complete for h in histories.values()):
            self._events(only_new=True)
            engine.create_table_as(_NEW, self._traits_sql)
        else:  # no one's value combines with the new events': nothing to compute
            engine.create_table_as(_NEW, f"SELECT * FROM {_BASE} WHERE false")
        self._events(only_new=False)
        engine.create_table_as(_FULL, self._traits_sql)
        engine.create_table_as(TRAITS, self._final_sql())
        table = engine.query(self._values_sql)
        keys = [str(self._position[n]) for n in self._stored]
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        values: dict[int, dict[str, Any]] = {
            int(person): dict(zip(keys, row, strict=True))
            for person, _, *row in zip(*columns, strict=True)
        }
        members: dict[int, set[str]] = {p.person_id: set() for p in persons}
        if self._segments:
            union = " UNION ALL ".join(
                f"SELECT person_id, {literal(name)} AS segment FROM ({sql})"
                for name, sql in self._segments_at(now).items()
            )
            for person, segment in engine.rows(union):
                members[int(person)].add(str(segment))
        return values, members

    def _segments_at(self, now: dt.datetime) -> dict[str, str]:
        """The segments' SQL judged at ``now`` (abandonments depend on the clock)."""
        return {name: segment_members_sql(self.config, name, now=now) for name in self._segments}


def _path(name: str) -> str:
    return '$."' + name.replace('"', '\\"') + '"'


def _as_json_value(column: str, sql_type: str) -> str:
    """The column as the publish's JSON documents hold it: dates and times as text
    (``2026-03-01 10:00:00``), other numbers as numbers."""
    c = ident(column)
    if sql_type in ("DATE", "TIMESTAMP"):
        return f"CAST({c} AS VARCHAR) AS {c}"
    if sql_type.startswith("DECIMAL"):
        return f"CAST({c} AS DOUBLE) AS {c}"
    return c
