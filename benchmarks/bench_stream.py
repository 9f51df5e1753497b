"""Event -> profile latency through the streaming worker, under background load.

Runs ``personae serve --workers N`` (which runs the streaming worker) on a project
whose serving store is published: ``--project`` (for example a 1M-customer demo), or a
demo of ``--people`` generated and run here. A load process posts batches of 100 track
events at ``--rate`` events/s, with realistic SDK payloads (``fixtures/sdk_payloads.json``):
half from a pool of 20,000 user ids, half from 100,000 anonymous ids (new persons at
first, returning ones after). Every 100 ms a probe visitor (a new anonymousId) sends an
identify with its
e-mail, then an ``Order Completed`` on the project's reference day; this process then
polls the Profile API every 5 ms until:

* **event**: ``/events`` of ``anonymous_id:<probe>`` shows the order;
* **trait**: ``/traits`` shows ``order_count`` = 1 (the trait recomputed);
* **segment**: with ``--segment NAME``, ``/segments`` lists it.

Latency is from the order's 200 to the first answer showing it. Printed: the rate
reached, probes, p50/p90/p99/max per kind, and the streaming worker's CPU.

    .venv/bin/python benchmarks/bench_stream.py [--project DIR | --people 20000]
        [--seconds 30] [--rate 10000] [--workers 2] [--segment buyers]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import yaml

FIXTURES = Path(__file__).with_name("fixtures") / "sdk_payloads.json"

LOAD = r"""
import json, sys, time, random, httpx
port, auth, rate, seconds, fixtures = sys.argv[1:6]
rate, seconds = float(rate), float(seconds)
shapes = [t for k, t in json.load(open(fixtures)).items()
          if not k.startswith("_") and t.get("type") in ("track", "page")]
templates = []  # each shape as JSON text, once by userId and once by anonymousId
for shape in shapes:
    for field in ("userId", "anonymousId"):
        m = {k: v for k, v in shape.items() if k not in ("userId", "anonymousId")}
        m[field] = "@@ID@@"; m["messageId"] = "@@M@@"
        templates.append((field, json.dumps(m, separators=(",", ":"))))
client = httpx.Client(base_url=f"http://127.0.0.1:{port}",
                      headers={"Authorization": auth, "Content-Type": "application/json"})
rng = random.Random(1)
start = time.monotonic(); sent = 0; run = rng.getrandbits(40)
while (now := time.monotonic()) - start < seconds:
    if sent > (now - start) * rate:
        time.sleep(0.002); continue
    parts = []
    for i in range(100):
        field, text = templates[rng.randrange(len(templates))]
        # returning customers (20,000 user ids) and visitors (100,000 anonymous ids)
        who = f"bg-{rng.randrange(20000)}" if field == "userId" else f"anon-{rng.randrange(100000)}"
        parts.append(text.replace("@@ID@@", who).replace("@@M@@", f"{run:x}-{sent + i}"))
    body = '{"batch":[' + ",".join(parts) + "]}"
    if client.post("/v1/batch", content=body).status_code == 200:
        sent += 100
print(sent, sent / (time.monotonic() - start))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def demo_project(people: int) -> Path:
    from personae.demo.generator import generate_demo
    from personae.pipeline import run
    from personae.project import Project
    from personae.protect.keys import KeyStore, keys_file

    root = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    generate_demo(people, root)
    KeyStore(keys_file(root)).create(scope="read")  # so the run publishes the store
    started = time.perf_counter()
    with Project.load(root) as project:
        run(project)
    print(f"demo of {people:,} people run and published in {time.perf_counter() - started:.0f} s")
    return root


def key(personae: list[str], *args: str) -> str:
    made = subprocess.run([*personae, "keys", "create", *args], capture_output=True, text=True)
    return made.stdout.split()[-1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stream_pid(parent: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = next((int(x.split()[1]) for x in status.splitlines() if x.startswith("PPid:")), 0)
        if ppid == parent and b"stream\0run" in cmdline:
            return int(entry.name)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--segment")
    args = parser.parse_args()
    root = args.project or demo_project(args.people)
    config = yaml.safe_load((root / "personae.yml").read_text())
    as_of = config.get("as_of") or dt.date.today().isoformat()
    at = f"{as_of}T12:00:00Z"
    personae = [sys.executable, "-m", "personae", "--project", str(root)]
    source = next(iter(config.get("collect", {}).get("sources") or ["web"]))
    write = "Basic " + base64.b64encode(f"{key(personae, source)}:".encode()).decode()
    read = (key(personae, "--scope", "read"), "")
    port = free_port()
    serve = subprocess.Popen(
        [*personae, "serve", "--port", str(port), "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Authorization": write})
    api = httpx.Client(base_url=base, auth=read)
    deadline = time.monotonic() + 60
    while True:
        try:
            if client.get("/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
        if time.monotonic() > deadline:
            raise SystemExit("personae serve did not start")
    worker = None
    while worker is None and time.monotonic() < deadline:
        worker = stream_pid(serve.pid)
        time.sleep(0.1)
    if worker is None:
        raise SystemExit("no streaming worker: is serving.stream off, or no store published?")
    time.sleep(3)  # the worker attached to the store
    cpu_before = cpu_seconds(worker)
    load = subprocess.Popen(
        [sys.executable, "-c", LOAD, str(port), write, str(args.rate), str(args.seconds),
         str(FIXTURES)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    kinds = ["event", "trait"] + (["segment"] if args.segment else [])
    lags: dict[str, list[float]] = {k: [] for k in kinds}
    missed: dict[str, int] = {k: 0 for k in kinds}
    probes = 0
    time.sleep(2)  # the load is running
    while load.poll() is None:
        probe = f"probe-{uuid.uuid4().hex[:12]}"
        client.post(
            "/v1/identify",
            json={"anonymousId": probe, "traits": {"email": f"{probe}@bench.example"},
                  "timestamp": at},
        )  # fmt: skip
        answer = client.post(
            "/v1/track",
            json={"anonymousId": probe, "event": "Order Completed", "timestamp": at,
                  "messageId": probe, "properties": {"revenue": 42.0}},
        )  # fmt: skip
        if answer.status_code != 200:
            continue
        acked = time.monotonic()
        probes += 1
        todo = set(kinds)
        while todo and time.monotonic() - acked < 10:
            if "event" in todo:
                r = api.get(f"/v1/profiles/anonymous_id:{probe}/events?limit=5")
                shown = r.json()["data"] if r.status_code == 200 else []
                if any(e.get("message_id") == probe for e in shown):
                    lags["event"].append(time.monotonic() - acked)
                    todo.discard("event")
            if "trait" in todo:
                r = api.get(f"/v1/profiles/anonymous_id:{probe}/traits?include=order_count")
                if r.status_code == 200 and r.json()["traits"].get("order_count") == 1:
                    lags["trait"].append(time.monotonic() - acked)
                    todo.discard("trait")
            if "segment" in todo:
                r = api.get(f"/v1/profiles/anonymous_id:{probe}/segments")
                if r.status_code == 200 and any(
                    s["segment"] == args.segment for s in r.json()["data"]
                ):
                    lags["segment"].append(time.monotonic() - acked)
                    todo.discard("segment")
            time.sleep(0.005)
        for kind in todo:
            missed[kind] += 1
        time.sleep(0.1)
    sent, reached = (load.stdout.read() if load.stdout else "0 0").split()
    cpu = cpu_seconds(worker) - cpu_before
    serve.send_signal(signal.SIGTERM)
    serve.wait(120)
    print(
        f"background load: {float(reached):,.0f} events/s for {args.seconds:.0f} s "
        f"({int(sent):,} events), {args.workers} collector workers; project {root}"
    )
    print(f"probes: {probes} (identify + Order Completed each), polled every 5 ms")
    for kind in kinds:
        values = sorted(v * 1000 for v in lags[kind])
        if len(values) < 2:
            print(f"{kind:>8}: {len(values)} seen, {missed[kind]} not within 10 s")
            continue
        q = statistics.quantiles(values, n=100)
        print(
            f"{kind:>8}: p50 {q[49]:,.0f} ms, p90 {q[89]:,.0f} ms, p99 {q[98]:,.0f} ms, "
            f"max {values[-1]:,.0f} ms ({len(values)} seen, {missed[kind]} not within 10 s)"
        )
    print(
        f"streaming worker CPU: {cpu:.1f} s, {cpu / args.seconds:.0%} of a core "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    if args.project is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
