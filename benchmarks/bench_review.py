"""The clerical review queue: what keeping near misses costs, and how fast the queue reads.

    python benchmarks/bench_review.py --people 100000

Generates the demo, runs ingest and clean, trains the matching model once, then resolves
every pair again (``full``), alternating: with ``review_band: 0`` (no near misses: the
scoring as it was before near misses were kept), with the default band (4) and a
wide one (8). Prints the time of each resolve, its edges and near misses, then the time
of :func:`review_queue` (first page, a far page, one kind) and :func:`review_count` over
the default band's tables.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_identity import NOW, prepare, with_matching
from personae.catalog import RECORDS
from personae.unify import resolve_identities
from personae.unify.inspection.review import review_count, review_queue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="personae-review-"))
    project = prepare(args.people, directory)
    engine = project.engine
    print(f"{engine.count(RECORDS):,} records, {args.people:,} people")

    def resolve(run_id: str, band: float) -> tuple[float, Any, Any]:
        config = with_matching(project, True, review_band=band)
        started = time.perf_counter()
        report = resolve_identities(
            engine, config, run_id, NOW, project_dir=project.root, full=True
        )
        return time.perf_counter() - started, report, config

    resolve("train", 0.0)  # trains and saves the model: not timed
    print(f"\n{'review_band':>12}{'resolve s':>11}{'matching s':>12}{'edges':>10}{'near':>10}")
    config = None
    for i, band in enumerate((0.0, 4.0, 8.0, 0.0, 4.0)):
        seconds, report, used = resolve(f"r{i}", band)
        if i == 4:  # the default band again, last: the queue reads its tables
            config = used
        score = report.seconds.get("matching", 0.0)
        print(
            f"{band:>12.1f}{seconds:>11.1f}{score:>12.1f}{report.match_edges:>10,}"
            f"{report.match_near_misses:>10,}",
            flush=True,
        )
    assert config is not None
    print("\nreview queue (default band)")
    for label, call in (
        ("count", lambda: review_count(engine, config)),
        ("first page (50)", lambda: review_queue(engine, config, limit=50)),
        ("page at offset 1000", lambda: review_queue(engine, config, limit=50, offset=1000)),
        ("kind=rejected", lambda: review_queue(engine, config, limit=50, kind="rejected")),
        ("kind=over", lambda: review_queue(engine, config, limit=50, kind="over")),
    ):
        best = float("inf")
        result: Any = None
        for _ in range(3):
            started = time.perf_counter()
            result = call()
            best = min(best, time.perf_counter() - started)
        shown = result if isinstance(result, int) else f"{len(result)} items"
        print(f"  {label:<22}{best * 1000:>9.1f} ms  ({shown})")
    for kind in ("under", "over", "rejected"):
        print(f"  {kind:<10}{review_count(engine, config, kind):>10,} pairs")
    project.close()
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
