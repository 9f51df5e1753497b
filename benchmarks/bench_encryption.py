"""What encryption at rest (``protect.encryption``) costs: the pipeline and the collection API.

    python benchmarks/bench_encryption.py [--people 100000] [--runs 3] [--seconds 5]

Pipeline: the demo is generated once, then the whole pipeline runs ``--runs`` times in
each mode, alternating, each run on a fresh copy of the project (no ``.personae/``); the
medians and their ratio are printed, of wall seconds and of CPU seconds (user + system,
all threads: on a shared machine it moves less with the load than wall seconds do).
Collection: ``personae serve`` in a subprocess, driven by concurrent keep-alive clients
posting analytics.js-like ``track`` calls (page context, user agent, library, e-mail:
about 1 KB each), single and batches of 100, encryption off then on; events/s, the
server's CPU time per event, and the ratios.

DuckDB writes an encrypted warehouse with OpenSSL from its ``httpfs`` extension. Where
that extension cannot be had for the installed DuckDB, the benchmark says so and uses
DuckDB's built-in mbedTLS, which writes the same AES-GCM format (its cost is close; its
nonces are not fit for production).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_collect import PERSONAE_APP, RawClient, free_port, start
from personae.demo.generator import generate_demo
from personae.engine.duckdb import crypto
from personae.pipeline import run
from personae.project import Project
from personae.protect.encryption import KEY_ENV, new_master_key

PROTECT = "\nprotect:\n  encryption: true\n"


def secure_crypto_available() -> bool:
    import duckdb

    try:
        crypto.load_secure_crypto(duckdb.connect())
        return True
    except Exception:
        return False


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def process_cpu_seconds(pid: int) -> float:
    """User + system time of another process (the server), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pipeline_seconds(source: Path, work: Path, encrypted: bool) -> tuple[float, float]:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(source, work, ignore=shutil.ignore_patterns(".personae"))
    if encrypted:
        with (work / "personae.yml").open("a", encoding="utf-8") as config:
            config.write(PROTECT)
    started, cpu = time.perf_counter(), cpu_seconds()
    with Project.load(work) as project:
        run(project)
    return time.perf_counter() - started, cpu_seconds() - cpu


def bench_pipeline(people: int, runs: int, folder: Path) -> None:
    source = folder / "demo"
    generate_demo(people, source, seed=42)
    wall: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for n in range(runs):
        for encrypted in (False, True) if n % 2 == 0 else (True, False):
            seconds, used = pipeline_seconds(source, folder / "run", encrypted)
            wall[encrypted].append(seconds)
            cpu[encrypted].append(used)
            print(
                f"  run {n + 1} encryption {'on ' if encrypted else 'off'}: {seconds:7.1f} s, "
                f"cpu {used:7.1f} s"
            )
    for name, figures in (("wall", wall), ("cpu", cpu)):
        off, on = statistics.median(figures[False]), statistics.median(figures[True])
        print(f"pipeline {name}: off {off:.1f} s, on {on:.1f} s, on/off {on / off:.2f}x")


def sdk_message(worker: int, n: int) -> dict[str, Any]:
    """An analytics.js ``track`` as the browser sends it, about 1 KB."""
    return {
        "type": "track",
        "event": "Product Added",
        "userId": f"user-{worker}-{n % 500}",
        "anonymousId": f"5b1e3f2a-{worker:04d}-4c2b-9d4e-{n:012d}",
        "messageId": f"ajs-next-{worker}-{n}-{time.time_ns()}",
        "timestamp": "2026-11-01T10:12:13.456Z",
        "sentAt": "2026-11-01T10:12:13.500Z",
        "properties": {
            "product_id": f"SKU-{n % 977:05d}",
            "name": "Robe en lin, coupe droite",
            "category": "femme/robes",
            "price": 89.9,
            "quantity": 1,
            "currency": "EUR",
            "email": f"camille.durand{worker}.{n % 500}@example.org",
        },
        "context": {
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
            "page": {
                "path": "/femme/robes/robe-en-lin",
                "referrer": "https://www.google.com/",
                "search": "?utm_source=newsletter&utm_medium=email",
                "title": "Robe en lin, coupe droite | Maison",
                "url": "https://shop.example.fr/femme/robes/robe-en-lin?utm_source=newsletter",
            },
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
            "locale": "fr-FR",
            "timezone": "Europe/Paris",
            "campaign": {"source": "newsletter", "medium": "email", "name": "soldes-hiver"},
        },
    }


async def drive(url: str, key: str, batch: int, seconds: float, concurrency: int) -> float:
    sent = 0
    deadline = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal sent
        async with RawClient(url, key) as client:
            n = 0
            while time.perf_counter() < deadline:
                if batch == 1:
                    n += 1
                    status, _ = await client.post("/v1/track", sdk_message(w, n))
                else:
                    messages = [sdk_message(w, n + i) for i in range(batch)]
                    n += batch
                    status, _ = await client.post("/v1/batch", {"batch": messages})
                if status != 200:
                    raise RuntimeError(f"HTTP {status}")
                sent += batch

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return sent / (time.perf_counter() - started)


def _generator(args: tuple[str, str, int, float, int], out: Any) -> None:
    out.put(asyncio.run(drive(*args)))


def events_per_s(url: str, key: str, batch: int, seconds: float, concurrency: int) -> float:
    queue: Any = multiprocessing.Queue()
    process = multiprocessing.Process(
        target=_generator, args=((url, key, batch, seconds, concurrency), queue)
    )
    process.start()
    rate: float = queue.get()
    process.join()
    return rate


def bench_collect(seconds: float, folder: Path) -> dict[tuple[bool, int], tuple[float, float]]:
    from personae.collect.keys import KeyStore
    from personae.collect.paths import CollectPaths

    results = {}
    for encrypted in (False, True):
        root = folder / f"collect-{'on' if encrypted else 'off'}"
        root.mkdir()
        (root / "personae.yml").write_text(
            "collect:\n  dedupe_hours: 24\n" + (PROTECT if encrypted else "")
        )
        key = KeyStore(CollectPaths.of(root).keys).create("web")[1]
        port = free_port()
        server = start(PERSONAE_APP, port, str(root))
        try:
            url = f"http://127.0.0.1:{port}"
            for batch, concurrency in ((1, 16), (100, 4)):
                cpu = process_cpu_seconds(server.pid)
                rate = events_per_s(url, key, batch, seconds, concurrency)
                used = process_cpu_seconds(server.pid) - cpu
                # events/s, and the server's CPU microseconds per event
                results[encrypted, batch] = (rate, used / (rate * seconds) * 1e6)
        finally:
            server.terminate()
            server.wait()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--skip-collect", action="store_true")
    args = parser.parse_args()
    os.environ[KEY_ENV] = new_master_key()
    if not secure_crypto_available():
        crypto.ALLOW_INSECURE_CRYPTO_FOR_TESTS = True
        print("note: DuckDB's httpfs (OpenSSL) is not available for this DuckDB version; the")
        print("      encrypted warehouse is written with DuckDB's built-in mbedTLS here")
    print(f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if not args.skip_pipeline:
            print(f"pipeline, {args.people:,} demo people, median of {args.runs} runs:")
            bench_pipeline(args.people, args.runs, folder)
        if not args.skip_collect:
            rates = bench_collect(args.seconds, folder)
            for batch, label in ((1, "/v1/track"), (100, "/v1/batch x100")):
                (off, off_us), (on, on_us) = rates[False, batch], rates[True, batch]
                print(
                    f"collect {label:<15} off {off:>8,.0f} events/s ({off_us:.0f} us cpu/event),"
                    f" on {on:>8,.0f} events/s ({on_us:.0f} us cpu/event), on/off "
                    f"{on / off:.2f}x events/s, {on_us / off_us:.2f}x cpu/event"
                )


if __name__ == "__main__":
    main()
