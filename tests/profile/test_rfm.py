"""RFM quintiles and named segments on a known table of buyers."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.profile import compute_traits
from personae.profile import rfm as rfm_module
from personae.profile.rfm import RFM_GRID, RFM_SEGMENTS, rfm_cells, rfm_markdown_table

ORDER = "Order Completed"
AS_OF = dt.date(2024, 6, 30)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rfm.md"

# ten buyers 1..10: recency rank i (buyer 10 bought last), frequency and monetary ranks
# reversed (buyer 1 bought most often and spent most). ntile(5) over 10 buyers puts ranks
# (1,2) in quintile 1, (3,4) in 2, ... (9,10) in 5.
BUYERS = range(1, 11)


def buyer_events(pid: int) -> list[tuple[int, str, dt.datetime, str]]:
    orders = 11 - pid  # buyer 1: 10 orders ... buyer 10: 1 order
    spend = 1000.0 * (11 - pid)  # buyer 1 spends most
    last = dt.datetime(2024, 6, 1) + dt.timedelta(days=pid)  # buyer 10 most recent
    events = []
    for k in range(orders):
        ts = last - dt.timedelta(days=30 * k)
        events.append((pid, ORDER, ts, json.dumps({"revenue": spend / orders})))
    return events


def quintile(rank: int) -> int:
    return (rank + 1) // 2


@pytest.fixture
def scored(engine: Engine, load_events) -> dict[int, dict[str, Any]]:
    rows = [e for pid in BUYERS for e in buyer_events(pid)]
    rows.append((11, "Page Viewed", dt.datetime(2024, 6, 29), "{}"))  # not a buyer
    rows.append((10, "Page Viewed", dt.datetime(2024, 6, 30), "{}"))  # not a purchase
    rows.append((3, ORDER, dt.datetime(2024, 7, 2), '{"revenue": 99999}'))  # after as_of
    load_events(rows, extra_persons=[12])
    config = ProjectConfig.model_validate(
        {"as_of": AS_OF.isoformat(), "traits": {"rfm": {"rfm": True}}}
    )
    report = compute_traits(engine, config)
    assert report.columns == [
        "rfm_recency",
        "rfm_frequency",
        "rfm_monetary",
        "rfm_score",
        "rfm_segment",
    ]
    table = engine.query("SELECT * FROM traits").to_pylist()
    return {row["person_id"]: row for row in table}


def test_exact_quintiles(scored: dict[int, dict[str, Any]]) -> None:
    for pid in BUYERS:
        row = scored[pid]
        r, f = quintile(pid), quintile(11 - pid)
        assert (row["rfm_recency"], row["rfm_frequency"], row["rfm_monetary"]) == (r, f, f), pid
        assert row["rfm_score"] == f"{r}{f}{f}"


def test_named_segments(scored: dict[int, dict[str, Any]]) -> None:
    segments = {pid: scored[pid]["rfm_segment"] for pid in BUYERS}
    assert segments == {
        1: "can't lose them",  # R1 F5 M5
        2: "can't lose them",  # R1 F5 M5
        3: "at risk",  # R2 F4 M4
        4: "at risk",  # R2 F4 M4
        5: "needs attention",  # R3 F3 M3
        6: "needs attention",  # R3 F3 M3
        7: "potential loyalist",  # R4 F2 M2
        8: "potential loyalist",  # R4 F2 M2
        9: "new",  # R5 F1 M1
        10: "new",  # R5 F1 M1
    }


def test_non_buyers_have_no_scores(scored: dict[int, dict[str, Any]]) -> None:
    for pid in (11, 12):
        assert all(scored[pid][c] is None for c in scored[pid] if c != "person_id")


def test_ties_share_the_lowest_quintile(engine: Engine, load_events) -> None:
    # five buyers with one order each and the same amount, one with three orders
    rows = [(pid, ORDER, dt.datetime(2024, 6, pid), '{"revenue": 10}') for pid in range(1, 6)]
    rows += [(6, ORDER, dt.datetime(2024, 6, d), '{"revenue": 10}') for d in (6, 7, 8)]
    load_events(rows)
    config = ProjectConfig.model_validate({"as_of": "2024-06-30", "traits": {"rfm": {"rfm": True}}})
    compute_traits(engine, config)
    scores = dict(engine.rows("SELECT person_id, rfm_frequency FROM traits"))
    assert [scores[p] for p in range(1, 6)] == [1] * 5
    assert scores[6] == 5
    monetary = dict(engine.rows("SELECT person_id, rfm_monetary FROM traits"))
    assert [monetary[p] for p in range(1, 6)] == [1] * 5 and monetary[6] == 5


def test_grid_covers_every_cell_once() -> None:
    assert sorted(RFM_GRID) == [1, 2, 3, 4, 5]
    assert all(sorted(row) == [1, 2, 3, 4, 5] for row in RFM_GRID.values())
    assert {label for row in RFM_GRID.values() for label in row.values()} == set(RFM_SEGMENTS)
    assert RFM_GRID[5][5] == "champions" and RFM_GRID[1][1] == "lost"


def test_docs_match_the_grid() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert rfm_markdown_table() in text
    for name, cells in rfm_cells().items():
        listed = " ".join(f"({r}, {fm})" for r, fm in cells)
        assert f"| {name} | {listed} |" in text


def test_docstring_matches_the_grid() -> None:
    doc = rfm_module.__doc__ or ""
    for name, cells in rfm_cells().items():
        listed = " ".join(f"({r}, {fm})" for r, fm in cells)
        assert re.search(rf"^\s+{re.escape(name)}\s+{re.escape(listed)}$", doc, re.M), name


def test_any_trait_name_works(engine: Engine, load_events) -> None:
    load_events([(1, "Buy", dt.datetime(2024, 6, 1), '{"amount": 3}')])
    config = ProjectConfig.model_validate(
        {
            "as_of": "2024-06-30",
            "traits": {
                "my rfm": {"rfm": True, "event": "Buy", "amount": "amount"},
                "score of it": {"expression": "\"my rfm_score\" || '!'"},
            },
        }
    )
    compute_traits(engine, config)
    assert engine.rows('SELECT "my rfm_segment", "score of it" FROM traits') == [("lost", "111!")]
