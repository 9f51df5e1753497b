"""Generate the demo dataset and run the whole pipeline, printing time and peak memory per stage.

    python benchmarks/bench_pipeline.py --people 1000000 [--dir /tmp/bench] [--keep]

Memory is the process's resident set (DuckDB runs in-process), sampled every 50 ms;
"peak" is the highest sample during the stage. "cpu" is the process's user + system time
(all threads): on a shared machine it moves less with the load than wall seconds do.
Targets (2 cores, issue #15): resolve <= 70 s, whole pipeline <= 150 s, peak <= 4 GB at
1M people, with the partition of the runs before.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from personae.catalog import IDENTITY_MAP, RECORDS
from personae.demo.generator import generate_demo
from personae.demo.truth import TRUTH_TABLE, load_truth
from personae.pipeline import STAGES, run
from personae.project import Project
from personae.stage import command_of
from personae.unify.inspection import evaluate_against_truth

#: the stages by the commands that run them (the labels of every table printed here)
COMMANDS = tuple(command_of(stage) for stage in STAGES)


class RssSampler:
    """Samples this process's resident memory in a background thread."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def rss() -> int:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def reset(self) -> None:
        self.peak = self.rss()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds() -> float:
    """User + system time of this process, all threads."""
    times = os.times()
    return times.user + times.system


def measure(
    sampler: RssSampler, fn: Callable[[], Any], cpu: dict[str, float], name: str
) -> tuple[float, int, Any]:
    sampler.reset()
    start, start_cpu = time.perf_counter(), cpu_seconds()
    result = fn()
    cpu[name] = cpu_seconds() - start_cpu
    return time.perf_counter() - start, sampler.peak, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="personae-bench-"))
    if directory.exists():
        shutil.rmtree(directory)
    sampler = RssSampler()
    sampler.start()
    rows: list[tuple[str, float, int]] = []
    cpu: dict[str, float] = {}

    seconds, peak, summary = measure(
        sampler, lambda: generate_demo(args.people, directory, seed=args.seed), cpu, "generate"
    )
    rows.append(("generate", seconds, peak))
    project = Project.load(directory)
    reports = {}
    for stage in COMMANDS:
        seconds, peak, report = measure(
            sampler, functools.partial(run, project, (stage,)), cpu, stage
        )
        rows.append((stage, seconds, peak))
        reports[stage] = report.get(stage)
    load_truth(project.engine, project.root)
    scores = evaluate_against_truth(project.engine, TRUTH_TABLE)
    records = project.engine.count(RECORDS)
    persons = project.engine.scalar(f"SELECT count(DISTINCT person_id) FROM {IDENTITY_MAP}")
    project.close()
    sampler.stop()

    print(f"\npersonae pipeline on {args.people:,} demo people ({records:,} source records)")
    print(f"{'stage':<12}{'seconds':>10}{'peak RSS (GB)':>16}{'cpu s':>10}")
    for name, seconds, peak in rows:
        print(f"{name:<12}{seconds:>10.1f}{peak / 1e9:>16.2f}{cpu[name]:>10.1f}")
    steps = getattr(reports.get("resolve"), "seconds", {})
    print("resolve steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in steps.items()))
    pipeline = sum(s for n, s, _ in rows if n != "generate")
    ingest_clean = sum(s for n, s, _ in rows if n in ("ingest", "clean"))
    print(f"{'ingest+clean':<12}{ingest_clean:>10.1f}")
    pipeline_cpu = sum(v for k, v in cpu.items() if k != "generate")
    print(
        f"{'pipeline':<12}{pipeline:>10.1f}{max(p for _, _, p in rows[1:]) / 1e9:>16.2f}"
        f"{pipeline_cpu:>10.1f}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    print(
        f"stitching: precision {scores.precision:.4f} recall {scores.recall:.4f} "
        f"F1 {scores.f1:.4f}; {scores.predicted_pairs - scores.true_positive_pairs:,} wrong "
        f"pairs of {scores.predicted_pairs:,}; {persons:,} persons for "
        f"{scores.true_persons:,} real people"
    )
    del summary
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
