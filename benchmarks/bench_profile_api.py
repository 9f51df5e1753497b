"""The Profile API under load, as deployed: publish the serving store, serve it with
``personae serve --workers N`` (the collector and the Profile API in every worker), and
measure req/s, p50 and p99 latency with ``wrk`` (C, one thread: it leaves the cores to
the servers) over keep-alive connections asking for random persons by every kind of id
(user_id, email, anonymous_id, phone, customer_id, person id) on every route; the
servers' CPU per request is read from /proc. Each figure is the median of ``--runs``
runs. Target: p99 < 10 ms at 32 connections, 1M persons.

Two ways to get a store:

* ``--project DIR``: publish from a project's warehouse (a COPY: the publish writes
  scratch tables into it), e.g. a copy of the 1M demo project;
* ``--synthetic N``: write N synthetic persons directly in the store's format, sized as
  issue 19 says (~30 traits, 3-5 segments, 3-6 external ids, ~20 events each).

    .venv/bin/python benchmarks/bench_profile_api.py --synthetic 1000000
    .venv/bin/python benchmarks/bench_profile_api.py --project /tmp/copy-of-bench1m
    .venv/bin/python benchmarks/bench_profile_api.py --project /tmp/serving-bench --no-publish
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import orjson

#: the wrk script: one request per line of PATHS, drawn at random per request; done()
#: prints the figures as one JSON line
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local auth = "Basic " .. os.getenv("BENCH_TOKEN")
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args) math.randomseed(seed) end
function request()
  return wrk.format("GET", paths[math.random(1, #paths)], {["Authorization"] = auth})
end
function done(summary, latency, requests)
  local codes = summary.errors.status
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "p50": %d, "p99": %d, "max": %d, '
    .. '"non2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(99), latency.max, codes,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""
ROUTES = ("traits", "events", "external_ids", "segments", "links", "traits")
#: personae's path and Segment's
PREFIXES = ("/v1/profiles", "/v1/spaces/default/collections/users/profiles")
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
        found.append(f"{rng.choice(PREFIXES)}/{quote(external, safe=':@')}/{rng.choice(ROUTES)}")
    db.close()
    return found


# --------------------------------------------------------------------------- load


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children still alive (the serve workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run_wrk(url: str, script: Path, env: dict[str, str], seconds: float, connections: int,
            server: int) -> dict[str, float]:  # fmt: skip
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script), url]
    before = cpu_seconds(server)
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(server) - before
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    found = json.loads(line[6:])
    requests = max(int(found["requests"]), 1)
    return {
        "rps": requests / found["seconds"],
        "p50": found["p50"] / 1000,
        "p99": found["p99"] / 1000,
        "max": found["max"] / 1000,
        "cpu_us": cpu / requests * 1e6,
        "errors": found["non2xx"] + found["socket_errors"],
    }


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"personae serve exited with {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("personae serve did not answer /health within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--project", type=Path, help="a COPY of a project to publish from")
    source.add_argument("--synthetic", type=int, help="write this many synthetic persons")
    parser.add_argument("--no-publish", action="store_true", help="serve the store as it is")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (medians)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=2, help="personae serve --workers")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    from personae.protect.keys import KeyStore, keys_file

    with tempfile.TemporaryDirectory() as folder:
        root = args.project.resolve() if args.project else Path(folder) / "project"
        root.mkdir(exist_ok=True)
        if args.synthetic:
            synthetic_store(root, args.synthetic)
        elif not args.no_publish:
            publish_project(root)
        keys = KeyStore(keys_file(root))
        made, secret = keys.create(scope="read")
        paths_file = Path(folder) / "paths.txt"
        paths_file.write_text("\n".join(sample_paths(root, 20_000)) + "\n")
        script = Path(folder) / "profiles.lua"
        script.write_text(WRK_SCRIPT)
        import base64

        env = {
            **os.environ,
            "BENCH_PATHS": str(paths_file),
            "BENCH_TOKEN": base64.b64encode(f"{secret}:".encode()).decode(),
        }
        port = free_port()
        command = [sys.executable, "-m", "personae", "--project", str(root), "serve",
                   "--port", str(port), "--workers", str(args.workers),
                   "--collector-id", f"bench{port}"]  # fmt: skip
        server = subprocess.Popen(command, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(port, server)
            print(
                f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
                f"personae serve --workers {args.workers}; wrk -t1; "
                f"median of {args.runs} runs of {args.seconds:g} s"
            )
            run_wrk(url, script, env, 3, 8, server.pid)  # warm up
            for connections in args.concurrency:
                runs = [
                    run_wrk(url, script, env, args.seconds, connections, server.pid)
                    for _ in range(args.runs)
                ]
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                p99s = ", ".join(f"{r['p99']:.2f}" for r in runs)
                print(
                    f"{connections:>3} connections: {med['rps']:7,.0f} req/s  "
                    f"p50 {med['p50']:6.2f} ms  p99 {med['p99']:6.2f} ms ({p99s})  "
                    f"max {med['max']:6.1f} ms  server CPU {med['cpu_us']:5.0f} us/req  "
                    f"errors {sum(r['errors'] for r in runs):.0f}  (target p99 < "
                    f"{TARGET_P99_MS:g} ms: {'met' if med['p99'] < TARGET_P99_MS else 'MISSED'})"
                )
        finally:
            server.terminate()
            server.wait(timeout=60)
            keys.revoke(made.key_id)


if __name__ == "__main__":
    main()
