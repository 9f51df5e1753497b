"""Why a person holds its records, and why two records are (or are not) one person.

Reads the unify stage's outputs only (``identity_map``, ``persons``, ``identifiers``,
``identity_guards``, ``identity_history``) and the project's overrides, so the API and
the CLI can both reuse it. Everything is bounded by one person's records (or two
records): the heavy lifting happened in the stage.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path

from personae.catalog import (
    IDENTIFIERS,
    IDENTITY_ATTACHMENTS,
    IDENTITY_MAP,
    IDENTITY_MATCHES,
    PERSONS,
    RECORDS,
)
from personae.catalog import IDENTITY_GUARDS as GUARDS
from personae.catalog import IDENTITY_HISTORY as HISTORY
from personae.config.models import ProjectConfig
from personae.config.overrides import split_record
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.query.tables import require_tables
from personae.sql import literal
from personae.unify.identifiers import identifiers_sql
from personae.unify.inspection.explanations import (
    Attachment,
    ChainStep,
    ExplainedRecord,
    HistoryEntry,
    Link,
    MatchLink,
    PersonExplanation,
    RecordsExplanation,
    SharedValue,
)
from personae.unify.matching.waterfall import match_waterfall
from personae.unify.rules import identity_types
from personae.unify.stable_ids import resolve_person_id


def explain_person(
    engine: Engine, person_id: int, config: ProjectConfig | None = None
) -> PersonExplanation:
    """The records of a person, the identifiers linking them and its history."""
    _require(engine)
    live = resolve_person_id(engine, person_id)
    retired = _retired_into(engine, live)
    rows = engine.rows(
        f"""
        SELECT m.source, m.record_id, max(r.observed_at) AS observed_at
        FROM {IDENTITY_MAP} AS m
        LEFT JOIN {RECORDS} AS r ON r.source = m.source AND r.record_id = m.record_id
        WHERE m.person_id = ? GROUP BY m.source, m.record_id ORDER BY m.source, m.record_id
        """,
        [live],
    )
    held = _identifiers_of_person(engine, live)
    records = [
        ExplainedRecord(str(s), str(r), o, sorted(held.get(f"{s}:{r}", []))) for s, r, o in rows
    ]
    holders: dict[tuple[str, str], list[str]] = {}
    for record in records:
        for value in record.identifiers:
            holders.setdefault(value, []).append(record.name)
    links = [Link(t, v, names) for (t, v), names in sorted(holders.items()) if len(names) > 1]
    names = {r.name for r in records}
    overrides = _overrides_naming(config, lambda a, b: a in names or b in names)
    history = _history(engine, [live, *retired])
    matches = [m for m in _matches(engine, names) if m.a in names or m.b in names]
    return PersonExplanation(
        person_id,
        live,
        retired,
        records,
        links,
        overrides,
        history,
        matches,
        _attachments(engine, names),
    )


def person_history(engine: Engine, person_id: int) -> list[HistoryEntry]:
    """The merges, splits and dropped links of a person and the ids retired into it."""
    _require(engine)
    live = resolve_person_id(engine, person_id)
    return _history(engine, [live, *_retired_into(engine, live)])


def _history(engine: Engine, ids: list[int]) -> list[HistoryEntry]:
    if not engine.table_exists(HISTORY):
        return []
    marks = ", ".join("?" for _ in ids)
    return [
        HistoryEntry(*row)
        for row in engine.rows(
            f'SELECT "at", run_id, action, person_id, other_person_id, id_type, id_value, '
            f"reason FROM {HISTORY} WHERE person_id IN ({marks}) "
            f'OR other_person_id IN ({marks}) ORDER BY "at", action, id_type, id_value',
            [*ids, *ids],
        )
    ]


def explain_records(
    engine: Engine,
    config: ProjectConfig,
    a: str,
    b: str,
    model_file: Path | None = None,
) -> RecordsExplanation:
    """Whether records ``a`` and ``b`` (``source:record_id``) are one person, and why.

    With ``model_file`` (the project's matching model), also the match-weight waterfall
    of the pair, when both records are in the matching input.
    """
    _require(engine)
    person_a, person_b = _person_of(engine, a), _person_of(engine, b)
    both = _overrides_naming(config, lambda x, y: {x, y} == {a, b})
    result = RecordsExplanation(a, b, person_a, person_b, person_a == person_b, overrides=both)
    result.match = next(iter(_matches(engine, {a, b}, both_ends=True)), None)
    result.attachments = _attachments(engine, {a, b})
    if result.same_person:
        result.chain = _chain(engine, config, person_a, a, b)
    else:
        result.shared = _shared(engine, config, a, b)
    if model_file is not None and model_file.exists():
        try:
            result.waterfall = match_waterfall(engine, config.identity.matching, model_file, a, b)
        except NotFoundError:
            result.waterfall = None  # a record outside the matching input
    return result


def _matches(engine: Engine, names: set[str], *, both_ends: bool = False) -> list[MatchLink]:
    """Edges of ``identity_matches`` touching ``names`` (both ends in them with ``both_ends``)."""
    if not engine.table_exists(IDENTITY_MATCHES) or not names:
        return []
    listed = ", ".join(literal(n) for n in sorted(names))
    ids = ", ".join(literal(split_record(n)[1]) for n in sorted(names))
    a = "source_l || ':' || record_id_l"
    b = "source_r || ':' || record_id_r"
    join = "AND" if both_ends else "OR"
    # the record ids alone first: a plain column filter DuckDB pushes into the scan, so
    # the names are built only for the few rows it keeps
    return [
        MatchLink(str(x), str(y), float(w), float(p), str(s), None if r is None else str(r))
        for x, y, w, p, s, r in engine.rows(
            f"""
            SELECT {a}, {b}, match_weight, match_probability, status, reason
            FROM {IDENTITY_MATCHES}
            WHERE (record_id_l IN ({ids}) {join} record_id_r IN ({ids}))
              AND ({a} IN ({listed}) {join} {b} IN ({listed}))
            ORDER BY match_weight DESC, 1, 2
            """
        )
    ]


def _attachments(engine: Engine, names: set[str]) -> list[Attachment]:
    """Rows of ``identity_attachments`` of the records ``names``."""
    if not engine.table_exists(IDENTITY_ATTACHMENTS) or not names:
        return []
    listed = ", ".join(literal(n) for n in sorted(names))
    return [
        Attachment(str(record), str(t), str(v), str(status), str(reason))
        for record, t, v, status, reason in engine.rows(
            f"""
            SELECT source || ':' || record_id, id_type, id_value, status, reason
            FROM {IDENTITY_ATTACHMENTS} WHERE source || ':' || record_id IN ({listed})
            ORDER BY 1, 2, 3
            """
        )
    ]


# --------------------------------------------------------------------------- helpers


def _require(engine: Engine) -> None:
    require_tables(engine, (IDENTITY_MAP, PERSONS, IDENTIFIERS))


def _person_of(engine: Engine, name: str) -> int:
    source, record_id = split_record(name)
    found = engine.rows(
        f"SELECT person_id FROM {IDENTITY_MAP} WHERE source = ? AND record_id = ?",
        [source, record_id],
    )
    if not found:
        raise NotFoundError(
            f"no record {record_id!r} in source {source!r} among the resolved records; "
            "write source:record_id (see `personae export identities`), and run "
            "`personae resolve` after loading new files"
        )
    return int(found[0][0])


def _retired_into(engine: Engine, live: int) -> list[int]:
    """Every id whose ``merged_into`` chain ends at ``live``."""
    retired: list[int] = []
    frontier = [live]
    while frontier:
        marks = ", ".join("?" for _ in frontier)
        frontier = [
            int(row[0])
            for row in engine.rows(
                f"SELECT person_id FROM {PERSONS} WHERE merged_into IN ({marks}) "
                "ORDER BY person_id",
                frontier,
            )
            if int(row[0]) not in retired and int(row[0]) != live
        ]
        retired.extend(frontier)
    return sorted(retired)


def _identifiers_of_person(engine: Engine, person: int) -> dict[str, list[tuple[str, str]]]:
    held: dict[str, list[tuple[str, str]]] = {}
    for source, record_id, id_type, id_value in engine.rows(
        f"""
        SELECT DISTINCT i.source, i.record_id, i.id_type, i.id_value FROM {IDENTIFIERS} AS i
        JOIN {IDENTITY_MAP} AS m ON m.source = i.source AND m.record_id = i.record_id
        WHERE m.person_id = ?
        """,
        [person],
    ):
        held.setdefault(f"{source}:{record_id}", []).append((str(id_type), str(id_value)))
    return held


def _overrides_naming(config: ProjectConfig | None, keep: Callable[[str, str], bool]) -> list[str]:
    if config is None:
        return []
    declared = config.identity.overrides
    kinds = (("must_link", declared.must_link), ("cannot_link", declared.cannot_link))
    return [f"{kind} [{x}, {y}]" for kind, pairs in kinds for x, y in pairs if keep(x, y)]


def _chain(engine: Engine, config: ProjectConfig, person: int, a: str, b: str) -> list[ChainStep]:
    """The shortest path a -> b over record <-> identifier nodes (BFS), as steps."""
    graph: dict[tuple[str, ...], set[tuple[str, ...]]] = {}

    def connect(x: tuple[str, ...], y: tuple[str, ...]) -> None:
        graph.setdefault(x, set()).add(y)
        graph.setdefault(y, set()).add(x)

    for record, values in _identifiers_of_person(engine, person).items():
        for id_type, id_value in values:
            connect(("r", record), ("v", id_type, id_value))
    for x, y in config.identity.overrides.must_link:
        connect(("r", x), ("m", x, y))
        connect(("m", x, y), ("r", y))
    members = {key[1] for key in graph if key[0] == "r"} | {
        f"{s}:{r}"
        for s, r in engine.rows(
            f"SELECT source, record_id FROM {IDENTITY_MAP} WHERE person_id = ?", [person]
        )
    }
    for match in _matches(engine, members, both_ends=True):
        if match.status != "rejected":
            weight = f"match weight {match.match_weight:.2f}"
            connect(("r", match.a), ("p", match.a, match.b, weight))
            connect(("p", match.a, match.b, weight), ("r", match.b))
    start: tuple[str, ...] = ("r", a)
    end: tuple[str, ...] = ("r", b)
    previous: dict[tuple[str, ...], tuple[str, ...] | None] = {start: None}
    queue: deque[tuple[str, ...]] = deque([start])
    while queue and end not in previous:
        here = queue.popleft()
        for there in sorted(graph.get(here, ())):
            if there not in previous:
                previous[there] = here
                queue.append(there)
    if end not in previous:
        return []
    path: list[tuple[str, ...]] = [end]
    while (back := previous[path[-1]]) is not None:
        path.append(back)
    path.reverse()
    steps = []
    for i in range(0, len(path) - 2, 2):
        middle = path[i + 1]
        if middle[0] == "m":
            id_type, id_value = "must_link", "override"
        elif middle[0] == "p":
            id_type, id_value = "match", middle[3]
        else:
            id_type, id_value = middle[1], middle[2]
        steps.append(ChainStep(path[i][1], id_type, id_value, path[i + 2][1]))
    return steps


def _shared(engine: Engine, config: ProjectConfig, a: str, b: str) -> list[SharedValue]:
    """Identifier values both records hold, each with why it does not link them."""
    (sa, ra), (sb, rb) = split_record(a), split_record(b)
    shared = engine.rows(
        f"""
        WITH ids AS ({identifiers_sql(identity_types(config))})
        SELECT DISTINCT x.id_type, x.id_value FROM ids AS x
        JOIN ids AS y ON y.id_type = x.id_type AND y.id_value = x.id_value
        WHERE x.source = ? AND x.record_id = ? AND y.source = ? AND y.record_id = ?
        ORDER BY x.id_type, x.id_value
        """,
        [sa, ra, sb, rb],
    )
    result = []
    for id_type, id_value in shared:
        reasons = []
        if engine.table_exists(GUARDS):
            reasons += [
                f"{guard}: {reason}"
                for guard, reason in engine.rows(
                    f"SELECT guard, reason FROM {GUARDS} WHERE id_type = ? AND id_value = ?",
                    [id_type, id_value],
                )
            ]
        if engine.table_exists(HISTORY):
            reasons += [
                f"dropped link: {reason}"
                for (reason,) in engine.rows(
                    f"SELECT DISTINCT reason FROM {HISTORY} WHERE action = 'drop_link' "
                    "AND id_type = ? AND id_value = ? ORDER BY reason",
                    [id_type, id_value],
                )
            ]
        result.append(SharedValue(str(id_type), str(id_value), "; ".join(reasons) or None))
    return result
