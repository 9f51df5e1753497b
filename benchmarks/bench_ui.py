"""Server time of every page of the web UI on a large project (target: 300 ms a page at
1M persons; the segment builder's preview under 1 s).

Run on a project that has been run and published (``personae run``; the first
``personae ui`` publishes the serving store when no run did):

    python benchmarks/bench_ui.py /path/to/project [--persons 20] [--repeat 3]

Each page is asked through the ASGI app in this process (no network, no browser), as the
local admin (``--no-auth``), for ``--persons`` persons drawn at random among those with
records in two sources or more; it prints the median and 95th percentile per page, and
the ratio of the median to the target. Every view is written to the project's audit log,
as in production.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from personae.lock import warehouse_lock
from personae.project import Project
from personae.ui.app import standalone_app

TARGET_MS = 300.0
PREVIEW_TARGET_MS = 1000.0


def persons(root: Path, count: int, seed: int) -> list[tuple[int, str, str]]:
    """Persons with records in two sources or more: (id, e-mail, last name)."""
    with warehouse_lock(root), Project.load(root) as project:
        rows = project.engine.rows(
            """
            SELECT p.person_id, p.email, p.last_name FROM profiles p
            WHERE p.email IS NOT NULL AND p.last_name IS NOT NULL AND p.record_count >= 3
            USING SAMPLE 2000 ROWS
            """
        )
    random.Random(seed).shuffle(rows)
    return [(int(p), str(e), str(n)) for p, e, n in rows[:count]]


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = call()
        found.append((time.perf_counter() - start) * 1000)
        status = getattr(answer, "status_code", 200)
        if status >= 400:
            raise SystemExit(f"page answered {status}: {getattr(answer, 'text', '')[:300]}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--persons", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    root = args.project.resolve()
    rng = random.Random(args.seed)
    chosen = persons(root, args.persons, args.seed)
    client = TestClient(standalone_app(root, no_auth=True), client=("127.0.0.1", 50000))
    csrf = client.get("/ui/segments").text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    client.get("/ui/")  # opens the serving store and the search vocabulary once
    pages: dict[str, list[float]] = {}

    def measure(name: str, call: Callable[[], object], repeat: int = args.repeat) -> None:
        pages.setdefault(name, []).extend(timed(call, repeat))

    for pid, email, last_name in chosen:
        measure("search: e-mail", lambda e=email: client.get("/ui/", params={"q": e}))
        measure(
            "search: name with a typo",
            lambda n=last_name: client.get("/ui/", params={"q": typo(n, rng)}),
        )
        measure("customer 360", lambda p=pid: client.get(f"/ui/persons/{p}"))
        measure(
            "360: lineage, consent, history", lambda p=pid: client.get(f"/ui/persons/{p}/details")
        )
        measure("360: timeline", lambda p=pid: client.get(f"/ui/persons/{p}/timeline"))
        measure("identity graph", lambda p=pid: client.get(f"/ui/persons/{p}/graph"))
    trait = {
        "name": "bench_preview",
        "match": "all",
        "c0_type": "trait",
        "c0_field": "order_count",
        "c0_op": ">=",
        "c0_value": "2",
    }
    event = {
        "name": "bench_preview",
        "match": "all",
        "c0_type": "event",
        "c0_event": "Order Completed",
        "c0_within": "90d",
        "c0_at_least": "2",
    }
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    for name, form in (("segment preview: trait", trait), ("segment preview: event in 90d", event)):
        measure(name, lambda f=form: client.post("/ui/segments/preview", data=f, headers=headers))
    for path in (
        "/ui/segments",
        "/ui/segments/new",
        "/ui/review",
        "/ui/dashboards/quality",
        "/ui/dashboards/quarantine",
        "/ui/dashboards/runs",
        "/ui/dashboards/identity",
        "/ui/dashboards/collection",
        "/ui/dashboards/activation",
        "/ui/privacy",
    ):
        measure(path, lambda p=path: client.get(p), repeat=max(args.repeat, 5))
    print(f"{'page':36} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'median/target':>14}")
    for name, times in pages.items():
        times.sort()
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        target = PREVIEW_TARGET_MS if name.startswith("segment preview") else TARGET_MS
        print(f"{name:36} {len(times):4d} {median:10.1f} {p95:8.1f} {median / target:14.2f}")


if __name__ == "__main__":
    main()
