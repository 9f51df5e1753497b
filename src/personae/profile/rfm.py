"""RFM: recency, frequency and monetary quintiles and the named RFM segment.

For an ``rfm: true`` trait named ``NAME`` (``event`` = the purchase event, ``amount`` = the
property holding its amount), over purchases up to the end of the reference date:

* a **buyer** is a person with at least one purchase; non-buyers get NULL everywhere;
* ``NAME_recency`` 1–5: quintile of the last purchase time, 5 = most recent;
* ``NAME_frequency`` 1–5: quintile of the number of purchases, 5 = most purchases;
* ``NAME_monetary`` 1–5: quintile of the summed amount (missing amounts count as 0),
  5 = most spend;
* ``NAME_score``: the three digits, e.g. ``'545'``;
* ``NAME_segment``: the named segment from R and FM = round-half-up((F + M) / 2).

Quintiles are ``ntile(5)`` over the buyers ordered by the value then ``person_id``;
buyers with equal values then share the lowest quintile any of them got, so ties never
split across scores and the result does not depend on row order.

Segments, by (R, FM) cell — after Putler's R-vs-FM table, made into a full 5 × 5 grid
where every cell has exactly one segment::

    segment              (R, FM) cells
    -------------------  ------------------------------
    champions            (5, 4) (5, 5) (4, 5)
    loyal                (4, 4) (3, 4) (3, 5)
    potential loyalist   (5, 2) (5, 3) (4, 2) (4, 3)
    new                  (5, 1)
    promising            (4, 1)
    needs attention      (3, 2) (3, 3)
    about to sleep       (3, 1) (2, 2)
    at risk              (2, 3) (2, 4) (1, 3)
    can't lose them      (2, 5) (1, 4) (1, 5)
    hibernating          (2, 1) (1, 2)
    lost                 (1, 1)

``docs/rfm.md`` has the same mapping as an R × FM grid; tests keep both equal to
:data:`RFM_GRID`.
"""

from __future__ import annotations

from personae.config.traits import RFMTrait
from personae.query.expressions import property_sql
from personae.sql import ident, literal

#: RFM_GRID[r][fm] for r, fm in 1..5 (index 0 unused)
RFM_GRID: dict[int, dict[int, str]] = {
    5: {
        1: "new",
        2: "potential loyalist",
        3: "potential loyalist",
        4: "champions",
        5: "champions",
    },
    4: {
        1: "promising",
        2: "potential loyalist",
        3: "potential loyalist",
        4: "loyal",
        5: "champions",
    },
    3: {1: "about to sleep", 2: "needs attention", 3: "needs attention", 4: "loyal", 5: "loyal"},
    2: {1: "hibernating", 2: "about to sleep", 3: "at risk", 4: "at risk", 5: "can't lose them"},
    1: {1: "lost", 2: "hibernating", 3: "at risk", 4: "can't lose them", 5: "can't lose them"},
}

RFM_SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal",
    "potential loyalist",
    "new",
    "promising",
    "needs attention",
    "about to sleep",
    "at risk",
    "can't lose them",
    "hibernating",
    "lost",
)

_PARTS = ("recency", "frequency", "monetary", "score", "segment")


def rfm_columns(name: str) -> list[str]:
    """The columns an RFM trait adds to ``traits``."""
    return [f"{name}_{part}" for part in _PARTS]


def _hidden(name: str, what: str) -> str:
    return f"__rfm_{name}_{what}"


def rfm_aggregates(name: str, trait: RFMTrait, alias: str = "e") -> list[tuple[str, str]]:
    """(column, aggregate SQL) computed per person in the events aggregate."""
    purchase = f"{alias}.event = {literal(trait.event)}"
    amount = property_sql(trait.amount, alias, "DOUBLE")
    return [
        (_hidden(name, "orders"), f"count(CASE WHEN {purchase} THEN 1 END)"),
        (_hidden(name, "spend"), f"coalesce(sum(CASE WHEN {purchase} THEN {amount} END), 0)"),
        (_hidden(name, "last"), f"max(CASE WHEN {purchase} THEN {alias}.timestamp END)"),
    ]


def _segment_case(r: str, fm: str) -> str:
    rows = " ".join(
        f"WHEN {r} = {score} THEN CASE {fm} "
        + " ".join(f"WHEN {f} THEN {literal(label)}" for f, label in RFM_GRID[score].items())
        + " END"
        for score in sorted(RFM_GRID, reverse=True)
    )
    return f"CASE {rows} END"


def rfm_scores_sql(name: str, aggregates: str) -> str:
    """SELECT of ``person_id`` and the RFM columns for the buyers in ``aggregates`` (a
    relation with the hidden columns of :func:`rfm_aggregates`)."""
    orders, spend, last = (ident(_hidden(name, w)) for w in ("orders", "spend", "last"))
    rec, freq, mon, score, segment = (ident(c) for c in rfm_columns(name))
    tiles = (
        f"ntile(5) OVER (ORDER BY {last}, person_id) AS r_tile, "
        f"ntile(5) OVER (ORDER BY {orders}, person_id) AS f_tile, "
        f"ntile(5) OVER (ORDER BY {spend}, person_id) AS m_tile"
    )
    shared = (
        f"min(r_tile) OVER (PARTITION BY {last}) AS r, "
        f"min(f_tile) OVER (PARTITION BY {orders}) AS f, "
        f"min(m_tile) OVER (PARTITION BY {spend}) AS m"
    )
    fm = "CAST(floor((s.f + s.m + 1) / 2) AS INTEGER)"
    return f"""
SELECT s.person_id, s.r AS {rec}, s.f AS {freq}, s.m AS {mon},
       CAST(s.r AS VARCHAR) || CAST(s.f AS VARCHAR) || CAST(s.m AS VARCHAR) AS {score},
       {_segment_case("s.r", fm)} AS {segment}
FROM (
    SELECT t.person_id, {shared}
    FROM (
        SELECT person_id, {orders}, {spend}, {last}, {tiles}
        FROM {aggregates}
        WHERE {orders} > 0
    ) t
) s"""


def rfm_cells() -> dict[str, list[tuple[int, int]]]:
    """Segment -> its (R, FM) cells, in the order of :data:`RFM_SEGMENTS`."""
    cells: dict[str, list[tuple[int, int]]] = {name: [] for name in RFM_SEGMENTS}
    for r in sorted(RFM_GRID, reverse=True):
        for fm, name in RFM_GRID[r].items():
            cells[name].append((r, fm))
    return cells


def rfm_markdown_table() -> str:
    """The segment grid as a markdown table (the one in ``docs/rfm.md``)."""
    lines = ["| R \\ FM | 1 | 2 | 3 | 4 | 5 |", "|---|---|---|---|---|---|"]
    for r in sorted(RFM_GRID, reverse=True):
        lines.append(f"| {r} | " + " | ".join(RFM_GRID[r][fm] for fm in range(1, 6)) + " |")
    return "\n".join(lines)
