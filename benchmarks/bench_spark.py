"""The demo pipeline on DuckDB and on Spark (local mode), stage by stage, in the same run.

    python benchmarks/bench_spark.py --people 2000 [--master local[2]] [--driver-memory 8g]
    python benchmarks/bench_spark.py --people 250000,500000,1000000,2000000  # scaling
    python benchmarks/bench_spark.py --people 2000000 --engines spark --driver-memory 16g

For each size: generates the demo once (in another process), copies it, runs every
stage on each engine and prints seconds and peak proportional resident memory (Pss)
per stage (this process plus its children: the Spark JVM is one), then the ratio
Spark / DuckDB. The first Spark stage includes starting the session. Several sizes run
one process each (a JVM and memory peaks of their own) and end with a table of how each
engine's cost grows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from personae.catalog import RECORDS
from personae.pipeline import STAGES, run
from personae.project import Project
from personae.stage import command_of

#: the stages by the commands that run them (the labels of every table printed here)
COMMANDS = tuple(command_of(stage) for stage in STAGES)


def tree_pss() -> int:
    """Proportional resident bytes (Pss) of this process and all its descendants.

    Pss splits each shared page among the processes mapping it, so the JVM and Python
    sharing libraries and page cache are not counted twice (summing VmRSS is)."""
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
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
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
            self.peak = max(self.peak, tree_pss())
            time.sleep(0.2)

    def reset(self) -> None:
        self.peak = tree_pss()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", default="2000", help="one size, or several: 250000,500000")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--engines", default="duckdb,spark", help="e.g. spark alone")
    parser.add_argument("--totals", type=Path, help=argparse.SUPPRESS)  # one size's result
    args = parser.parse_args()
    engines = args.engines.split(",")
    sizes = [int(size) for size in args.people.split(",")]
    if len(sizes) == 1:
        records, duck, spark = bench(sizes[0], engines, args.master, args.driver_memory)
        if args.totals:
            args.totals.write_text(json.dumps([records, duck, spark]), encoding="utf-8")
        return 0
    totals = []
    for people in sizes:
        # each size in a process of its own: its own Spark JVM, its own memory peaks
        with tempfile.TemporaryDirectory() as scratch:
            result = Path(scratch) / "totals.json"
            command = [sys.executable, __file__, "--people", str(people), "--totals", str(result)]
            command += ["--master", args.master, "--driver-memory", args.driver_memory]
            subprocess.run([*command, "--engines", args.engines], check=True)
            totals.append((people, *json.loads(result.read_text(encoding="utf-8"))))
    print("\nscaling (pipeline seconds)")
    print(f"{'people':>10}{'records':>12}{'DuckDB s':>10}{'Spark s':>10}{'ratio':>8}")
    for people, records, duck, spark in totals:
        print(f"{people:>10,}{records:>12,}{_s(duck):>10}{_s(spark):>10}{_ratio(spark, duck):>8}")
    return 0


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def _ratio(spark: float | None, duck: float | None) -> str:
    return "-" if spark is None or not duck else f"{spark / duck:.1f}"


def bench(
    people: int, engines: list[str], master: str, driver_memory: str
) -> tuple[int, float | None, float | None]:
    """Run the engines on ``people`` demo people; returns records and pipeline seconds."""
    base = Path(tempfile.mkdtemp(prefix="personae-spark-bench-"))
    # generated by another process, so its memory is not counted against an engine
    generate = [sys.executable, "-m", "personae", "demo", "--people", str(people)]
    generate += ["--seed", "42", "--dir", str(base / "duckdb"), "--generate-only"]
    subprocess.run(
        generate,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.copytree(base / "duckdb", base / "spark")
    os.sync()  # the fresh files on disk, so no engine pays for writing them back
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
    records = 0
    for engine in engines:
        project = Project.load(base / engine)
        results[engine] = {}
        for stage in COMMANDS:
            sampler.reset()
            started = time.perf_counter()
            run(project, (stage,))
            results[engine][stage] = (time.perf_counter() - started, sampler.peak)
        records = project.engine.count(RECORDS)
        project.close()
    sampler.stop()
    print(f"\n{people:,} demo people ({records:,} records); Spark master {master}", flush=True)
    print(f"{'stage':<10}{'DuckDB s':>10}{'GB':>7}{'Spark s':>10}{'GB':>7}{'ratio':>8}")

    def cell(engine: str, stage: str) -> tuple[float | None, str, str]:
        if engine not in results:
            return None, "-", "-"
        seconds, peak = results[engine][stage]
        return seconds, f"{seconds:.1f}", f"{peak / 1e9:.2f}"

    for stage in COMMANDS:
        (ds, dss, dm), (ss, sss, sm) = cell("duckdb", stage), cell("spark", stage)
        print(f"{stage:<10}{dss:>10}{dm:>7}{sss:>10}{sm:>7}{_ratio(ss, ds):>8}")
    total = {e: sum(s for s, _ in results[e].values()) for e in results}
    duck, spark = total.get("duckdb"), total.get("spark")
    print(f"{'pipeline':<10}{_s(duck):>10}{'':>7}{_s(spark):>10}{'':>7}{_ratio(spark, duck):>8}")
    sys.stdout.flush()
    shutil.rmtree(base, ignore_errors=True)
    return records, duck, spark


if __name__ == "__main__":
    sys.exit(main())
