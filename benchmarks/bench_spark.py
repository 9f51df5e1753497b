"""The demo pipeline on DuckDB and on Spark (local mode), stage by stage, in the same run.

    python benchmarks/bench_spark.py --people 2000 [--master local[2]] [--driver-memory 8g]
    python benchmarks/bench_spark.py --people 250000,500000,1000000,2000000  # scaling

For each size: generates the demo once, copies it, runs every stage on each engine and
prints seconds and peak resident memory per stage (this process plus its children: the
Spark JVM is one), then the ratio Spark / DuckDB. The first Spark stage includes starting
the session (once per process). Several sizes end with a table of how each engine's cost
grows.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from personae.demo.generator import generate_demo
from personae.pipeline import STAGES, run
from personae.project import Project


def tree_rss() -> int:
    """Resident bytes of this process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        children.setdefault(int(fields["PPid"].strip()), []).append(int(status.parent.name))
    total, todo = 0, [int(Path("/proc/self").resolve().name)]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class Sampler:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss())
            time.sleep(0.2)

    def reset(self) -> None:
        self.peak = tree_rss()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", default="2000", help="one size, or several: 250000,500000")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    args = parser.parse_args()
    sizes = [int(size) for size in args.people.split(",")]
    totals = [(people, *bench(people, args.master, args.driver_memory)) for people in sizes]
    if len(totals) > 1:
        print("\nscaling (pipeline seconds)")
        print(f"{'people':>10}{'records':>12}{'DuckDB s':>10}{'Spark s':>10}{'ratio':>8}")
        for people, records, duck, spark in totals:
            print(f"{people:>10,}{records:>12,}{duck:>10.1f}{spark:>10.1f}{spark / duck:>8.1f}")
    return 0


def bench(people: int, master: str, driver_memory: str) -> tuple[int, float, float]:
    """Run both engines on ``people`` demo people; returns records and pipeline seconds."""
    base = Path(tempfile.mkdtemp(prefix="personae-spark-bench-"))
    generate_demo(people, base / "duckdb", seed=42)
    shutil.copytree(base / "duckdb", base / "spark")
    config = base / "spark" / "personae.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "as_of:",
            f"engine:\n  type: spark\n  master: {master}\n"
            f"  conf:\n    spark.driver.memory: {driver_memory}\nas_of:",
            1,
        ),
        encoding="utf-8",
    )
    sampler = Sampler()
    results: dict[str, dict[str, tuple[float, int]]] = {}
    for engine in ("duckdb", "spark"):
        project = Project.load(base / engine)
        results[engine] = {}
        for stage in STAGES:
            sampler.reset()
            started = time.perf_counter()
            run(project, (stage,))
            results[engine][stage] = (time.perf_counter() - started, sampler.peak)
        records = project.engine.count("records")
        project.close()
    sampler.stop()
    print(f"\n{people:,} demo people ({records:,} records); Spark master {master}", flush=True)
    print(f"{'stage':<10}{'DuckDB s':>10}{'GB':>7}{'Spark s':>10}{'GB':>7}{'ratio':>8}")
    for stage in STAGES:
        (ds, dm), (ss, sm) = results["duckdb"][stage], results["spark"][stage]
        print(f"{stage:<10}{ds:>10.1f}{dm / 1e9:>7.2f}{ss:>10.1f}{sm / 1e9:>7.2f}{ss / ds:>8.1f}")
    total = {e: sum(s for s, _ in results[e].values()) for e in results}
    print(
        f"{'pipeline':<10}{total['duckdb']:>10.1f}{'':>7}{total['spark']:>10.1f}{'':>7}"
        f"{total['spark'] / total['duckdb']:>8.1f}",
        flush=True,
    )
    shutil.rmtree(base, ignore_errors=True)
    return records, total["duckdb"], total["spark"]


if __name__ == "__main__":
    sys.exit(main())
