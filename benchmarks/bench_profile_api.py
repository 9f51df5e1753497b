"""The Profile API under load: publish the serving store, serve it with uvicorn, and
measure p50/p99 latency with concurrent keep-alive clients asking for random persons by
every kind of id (user_id, email, anonymous_id, phone, customer_id, person id) on every
route. Target: p99 < 10 ms at 1M persons.

Two ways to get a store:

* ``--project DIR``: publish from a project's warehouse (a COPY: the publish writes
  scratch tables into it), e.g. a copy of the 1M demo project;
* ``--synthetic N``: write N synthetic persons directly in the store's format, sized as
  issue 19 says (~30 traits, 3-5 segments, 3-6 external ids, ~20 events each).

    .venv/bin/python benchmarks/bench_profile_api.py --synthetic 1000000
    .venv/bin/python benchmarks/bench_profile_api.py --project /tmp/copy-of-bench1m
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import multiprocessing
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

SERVER = """
import sys, uvicorn
sys.path.insert(0, sys.argv[3])
uvicorn.run("bench_profile_app:app", host="127.0.0.1", port=int(sys.argv[1]),
            workers=int(sys.argv[4]), log_level="warning", access_log=False)
"""
#: the app module each uvicorn worker imports
APP_MODULE = """
from personae.serving.api import profile_app
app = profile_app({root!r})
"""
ROUTES = ("traits", "events", "external_ids", "segments", "traits")
TARGET_P99_MS = 10.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --------------------------------------------------------------------------- stores


def publish_project(root: Path) -> None:
    from personae.lock import warehouse_lock
    from personae.project import Project
    from personae.serving.publish import publish

    with warehouse_lock(root), Project.load(root) as project:
        report = publish(project)
    print(
        f"published {report.persons:,} persons, {report.external_ids:,} external ids, "
        f"{report.events:,} events, {report.memberships:,} memberships in "
        f"{report.total_seconds:.1f} s ({report.bytes / 1e9:.2f} GB"
        f"{', encrypted' if report.encrypted else ''})"
    )
    for step, seconds in report.seconds.items():
        print(f"  {step:<24} {seconds:8.1f} s")


def synthetic_store(root: Path, persons: int, seed: int = 7) -> None:
    """``persons`` persons in the store's own format, written as a publish writes them."""
    from personae.serving.publish import swap_in
    from personae.serving.store import INDEXES, PREFIX, SCHEMA, SUFFIX, Codec, ServingPaths

    (root / "personae.yml").write_text("sources: {}\n", encoding="utf-8")
    paths = ServingPaths.of(root / ".personae")
    paths.folder.mkdir(parents=True, exist_ok=True)
    path = paths.folder / f"{PREFIX}synthetic{SUFFIX}"
    codec = Codec()
    rng = random.Random(seed)
    names = [f"trait_{i:02d}" for i in range(30)]
    segments = [f"segment_{i}" for i in range(12)]
    events = ["Page Viewed", "Product Viewed", "Added To Cart", "Order Completed", "Email Opened"]
    base = dt.datetime(2026, 1, 1)
    # documents of realistic size drawn from pools: their bytes, not their variety, count
    trait_pool = [
        codec.seal(orjson.dumps({str(i): rng.choice([rng.randint(0, 500), None,
                                                      round(rng.random() * 900, 2),
                                                      f"value-{rng.randint(0, 9999)}"])
                                 for i in range(len(names))}))
        for _ in range(5000)
    ]  # fmt: skip
    event_pool = []
    for pool in range(2000):
        times = sorted(rng.randint(0, 300 * 86400) for _ in range(20))
        docs = [  # oldest first, as published
            {
                "t": str(base + dt.timedelta(seconds=t)),
                "s": "web",
                "m": f"m-{pool}-{n:02d}",
                "e": rng.choice(events),
                "p": f'{{"path":"/product/{rng.randint(1, 5000)}","revenue":42.5}}',
            }
            for n, t in enumerate(times)
        ]
        event_pool.append(codec.seal(orjson.dumps(docs)))
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("page_size = 8192", "journal_mode = OFF", "synchronous = OFF"):
        db.execute(f"PRAGMA {pragma}")
    for statement in SCHEMA:
        db.execute(statement)
    db.execute("BEGIN")
    lookups: list[tuple[str, int]] = []
    for low in range(1, persons + 1, 50_000):
        traits, ids, stream, members = [], [], [], []
        for person in range(low, min(low + 50_000, persons + 1)):
            traits.append((person, trait_pool[person % len(trait_pool)]))
            own = [
                ("user_id", f"u-{person}", "web"),
                ("email", f"person{person}@example.com", "crm"),
                ("anonymous_id", f"a-{person}-0", "web"),
            ]
            draw = rng.random()
            if draw < 0.8:
                own.append(("phone", f"+336{person:08d}", "crm"))
            if draw < 0.6:
                own.append(("customer_id", f"C{person}", "crm"))
            if draw < 0.4:
                own.append(("anonymous_id", f"a-{person}-1", "app"))
            docs = [{"t": t, "i": i, "s": s, "c": "2025-01-01 00:00:00"} for t, i, s in own]
            ids.append((person, codec.seal(orjson.dumps(docs))))
            lookups += [(f"{kind}:{value}", person) for kind, value, _ in own]
            stream.append((person, event_pool[person % len(event_pool)]))
            first, count = person % len(segments), 3 + int(draw * 3)  # 3 to 5 segments
            held = sorted(segments[(first + i) % len(segments)] for i in range(count))
            members += [(person, segment, "2026-01-02 03:04:05") for segment in held]
        db.executemany("INSERT INTO traits VALUES (?, ?)", traits)
        db.executemany("INSERT INTO external_ids VALUES (?, ?)", ids)
        db.executemany("INSERT INTO events VALUES (?, ?)", stream)
        db.executemany("INSERT INTO segments VALUES (?, ?, ?)", members)
    lookups.sort()
    db.executemany("INSERT INTO lookup VALUES (?, ?)", lookups)
    meta = {
        "schema": "1",
        "published_at": "synthetic",
        "persons": str(persons),
        "encrypted": "0",
        "key_id": "",
        "id_types": "email,phone,customer_id,user_id,anonymous_id",  # as the demo's
        "trait_names": json.dumps(names),
        "phone_region": "FR",
        "events_per_person": "20",
        "events_days": "",
    }
    db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    db.execute("COMMIT")
    for statement in INDEXES:
        db.execute(statement)
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    swap_in(paths, path, paths.live())
    print(
        f"synthetic store: {persons:,} persons, {len(lookups):,} external ids, "
        f"{persons * 20:,} events in {time.perf_counter() - started:.1f} s "
        f"({path.stat().st_size / 1e9:.2f} GB)"
    )


def sample_paths(root: Path, count: int, seed: int = 11) -> list[str]:
    """Request paths over random persons, by every kind of id, on every route."""
    from personae.serving.store import ServingPaths

    live = ServingPaths.of(root / ".personae").live()
    assert live is not None
    db = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    top = db.execute("SELECT max(person_id) FROM traits").fetchone()[0]
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        row = db.execute(
            "SELECT person_id, data FROM external_ids WHERE person_id >= ? LIMIT 1",
            (rng.randint(1, top),),
        ).fetchone()
        if row is None:
            continue
        person, data = row
        owned = orjson.loads(data)
        choices = [f"person_id:{person}", *(f"{x['t']}:{x['i']}" for x in owned)]
        external = rng.choice(choices)
        if external.startswith("email:") and rng.random() < 0.5:
            external = external.upper().replace("EMAIL:", "email:")  # normalised on lookup
        found.append(f"/{external}/{rng.choice(ROUTES)}")
    db.close()
    return found


# --------------------------------------------------------------------------- load


async def drive(
    port: int, key: str, paths: list[str], seconds: float, concurrency: int
) -> tuple[list[float], dict[int, int]]:
    token = base64.b64encode(f"{key}:".encode()).decode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = w
        while time.perf_counter() < deadline:
            path = paths[n % len(paths)].replace(" ", "%20").replace("+", "%2B")
            n += concurrency
            request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Basic {token}\r\n\r\n"
            started = time.perf_counter()
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return latencies, statuses


def _generator(args: tuple[int, str, list[str], float, int], out: Any) -> None:
    out.put(asyncio.run(drive(*args)))


def measure(port: int, key: str, paths: list[str], seconds: float, concurrency: int) -> None:
    queue: Any = multiprocessing.Queue()
    process = multiprocessing.Process(
        target=_generator, args=((port, key, paths, seconds, concurrency), queue)
    )
    process.start()
    latencies, statuses = queue.get()
    process.join()
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(
        f"{concurrency} connections, {seconds:g} s: {len(ordered) / seconds:,.0f} req/s  "
        f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {ordered[-1] * 1000:.1f} ms  "
        f"statuses {dict(sorted(statuses.items()))}  "
        f"(target p99 < {TARGET_P99_MS:g} ms: {'met' if p99 < TARGET_P99_MS else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--project", type=Path, help="a COPY of a project to publish from")
    source.add_argument("--synthetic", type=int, help="write this many synthetic persons")
    parser.add_argument("--no-publish", action="store_true", help="serve the store as it is")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    from personae.protect.keys import KeyStore, keys_file

    with tempfile.TemporaryDirectory() as folder:
        root = args.project.resolve() if args.project else Path(folder)
        if args.synthetic:
            synthetic_store(root, args.synthetic)
        elif not args.no_publish:
            publish_project(root)
        key = KeyStore(keys_file(root)).create(scope="read")[1]
        paths = sample_paths(root, 20_000)
        port = free_port()
        (Path(folder) / "bench_profile_app.py").write_text(APP_MODULE.format(root=str(root)))
        command = [sys.executable, "-c", SERVER, str(port), str(root), folder, str(args.workers)]
        server = subprocess.Popen(command)
        try:
            for _ in range(200):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/1/traits", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            print(
                f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
                f"uvicorn with {args.workers} worker(s)"
            )
            measure(port, key, paths[:2000], 2.0, 4)  # warm up
            for concurrency in args.concurrency:
                measure(port, key, paths, args.seconds, concurrency)
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
