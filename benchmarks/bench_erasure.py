"""Erasing persons in a large demo warehouse: the median of several erasures with the
breakdown per step, then a batch of erasures sharing one compaction.

    python benchmarks/bench_erasure.py --people 1000000 --erasures 3 --batch 5
    python benchmarks/bench_erasure.py --project /path/to/built/demo   # reuse a warehouse

It builds the demo (``generate_demo`` then the whole pipeline) once in a temporary folder
unless ``--project`` names one already built (it is changed: persons are erased), then
erases ``--erasures`` persons held by the most sources one by one (``personae privacy
erase``: each compacts the warehouse), then ``--batch`` more in one ``erase_many``
(``personae privacy erase --from-file``: one compaction). Wall and CPU seconds are
printed with the load average: the compaction is CPU-bound, so on a shared machine the
wall time says as much about the neighbours as about personae.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from personae.catalog import IDENTITY_MAP
from personae.demo.generator import generate_demo
from personae.pipeline import run
from personae.privacy.erasure import erase, erase_many
from personae.privacy.person import Selector, find_person
from personae.project import Project


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--erasures", type=int, default=3, help="one by one")
    parser.add_argument("--batch", type=int, default=5, help="in one batch (0: none)")
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
            f"ORDER BY count(DISTINCT source) DESC, count(*) DESC, person_id "
            f"LIMIT {args.erasures + args.batch}"
        )
    ]
    print(f"cpus {os.cpu_count()}, load average {_load()}")
    times, cpus = [], []
    for person_id in candidates[: args.erasures]:
        started, cpu = time.perf_counter(), time.process_time()
        selector = Selector(person=person_id)
        person = find_person(project, selector)
        found = time.perf_counter() - started
        report = erase(project, person, selector)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        times.append(elapsed)
        cpus.append(cpu)
        print(
            f"person {person_id}: {elapsed:.1f} s, cpu {cpu:.1f} s (lookup {found:.1f} s, "
            + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
            + f"), {report.rows} rows in {len(report.tables)} tables, {len(report.files)} "
            f"collected files, {sum(report.models.values())} model values; load {_load()}"
        )
    if times:
        print(
            f"median erasure: {statistics.median(times):.1f} s, cpu "
            f"{statistics.median(cpus):.1f} s, over {len(times)} erasures"
        )
    batch = candidates[args.erasures :]
    if batch:
        started, cpu = time.perf_counter(), time.process_time()
        done = erase_many(project, [(i, Selector(person=p)) for i, p in enumerate(batch, 1)])
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        steps = [e.seconds.get("tables", 0) + e.seconds.get("files", 0) for e in done.erasures]
        print(
            f"batch of {len(done.erasures)}: {elapsed:.1f} s, cpu {cpu:.1f} s "
            f"({elapsed / len(batch):.1f} s per erasure; tables and files "
            f"{statistics.median(steps):.1f} s median each, one compaction "
            f"{done.compact_seconds:.1f} s); load {_load()}"
        )
    project.close()


if __name__ == "__main__":
    main()
