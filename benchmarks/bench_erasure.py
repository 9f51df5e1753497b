"""Erasing one person in a large demo warehouse: the median of several erasures and the
breakdown per table and file.

    python benchmarks/bench_erasure.py --people 1000000 --erasures 5
    python benchmarks/bench_erasure.py --project /path/to/built/demo   # reuse a warehouse

It builds the demo (``generate_demo`` then the whole pipeline) once in a temporary folder
unless ``--project`` names one already built, then erases ``--erasures`` persons held by
the most sources, one after the other, timing each ``erase`` (lookup included).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from personae.catalog import IDENTITY_MAP
from personae.demo.generator import generate_demo
from personae.pipeline import run
from personae.privacy.erasure import erase
from personae.privacy.person import Selector, find_person
from personae.project import Project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--erasures", type=int, default=5)
    parser.add_argument("--project", type=Path, help="a demo project already built")
    args = parser.parse_args()
    root = args.project
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="bench-erasure-"))
        started = time.perf_counter()
        generate_demo(args.people, root)
        project = Project.load(root)
        run(project)
        print(f"built {args.people:,} people in {time.perf_counter() - started:.1f} s at {root}")
    else:
        project = Project.load(root)
    candidates = [
        int(r[0])
        for r in project.engine.rows(
            f"SELECT person_id FROM {IDENTITY_MAP} GROUP BY 1 "
            f"ORDER BY count(DISTINCT source) DESC, count(*) DESC LIMIT {args.erasures}"
        )
    ]
    times = []
    for person_id in candidates:
        started = time.perf_counter()
        selector = Selector(person=person_id)
        person = find_person(project, selector)
        found = time.perf_counter() - started
        report = erase(project, person, selector)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        print(
            f"person {person_id}: {elapsed:.2f} s (lookup {found:.2f} s), {report.rows} rows "
            f"in {len(report.tables)} tables, {len(report.files)} files; "
            + ", ".join(f"{k} {v:.2f} s" for k, v in report.seconds.items())
        )
        for table, rows in sorted(report.tables.items()):
            print(f"    {table}: {rows}")
    print(f"median erasure: {statistics.median(times):.2f} s over {len(times)} erasures")
    project.close()


if __name__ == "__main__":
    main()
