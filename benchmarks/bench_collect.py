"""Load-test ``personae serve`` against the machine's ceiling, durability on.

Both servers run with the same number of worker processes on 127.0.0.1 and are driven
by the same load generator, ``wrk`` (C, one thread by default, so it takes as little of
the cores as it can), in the same run:

* **the ceiling**: a bare Starlette + uvicorn app that parses each body with orjson,
  appends it to a file and calls ``fdatasync`` before it answers (one file per worker);
* **personae serve** with ``--workers N``: write keys, dedupe, rate limits, the WAL
  with group commit, the flusher writing Parquet in the background.

The events are the SDKs' real shapes (``benchmarks/fixtures/sdk_payloads.json``:
analytics.js track/page/identify and analytics-python track, context.library,
context.page, userAgent, campaign, traits, integrations), about 320–650 bytes of
properties, traits and context each; every request carries new unique messageIds (a
Lua script builds each body from the template). Printed: events/s, batches/s, p50 and
p99 latency, the ratio to the ceiling, the load generator's CPU, and the CPU the server
processes spent per event (read from /proc: unlike events/s, it does not move when other
work shares the machine); the median of ``--rounds`` rounds.

    .venv/bin/python benchmarks/bench_collect.py [--seconds 8] [--rounds 3] [--workers 2]

Needs ``wrk`` (Debian: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).with_name("fixtures") / "sdk_payloads.json"
RUDDERSTACK_EVENTS_PER_S = 1_700  # published figure, 2-core host, ~4.2 ms
MARK = "@@MESSAGE_ID@@"

CEILING_APP = """
import os
import orjson
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

FD = os.open(os.path.join(os.environ["CEILING_DIR"], f"ceiling-{os.getpid()}.log"),
             os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

async def append(request):
    body = await request.body()
    data = orjson.loads(body)
    if request.path_params["kind"] == "batch" and not isinstance(data.get("batch"), list):
        return Response(b'{"code":"invalid_batch"}', 400, media_type="application/json")
    os.write(FD, body + b"\\n")
    os.fdatasync(FD)
    return Response(b'{"success":true}', media_type="application/json")

async def health(request):
    return Response(b'{"status":"ok"}', media_type="application/json")

app = Starlette(routes=[Route("/v1/{kind}", append, methods=["POST"]),
                        Route("/health", health, methods=["GET"])])
"""

PERSONAE_APP = """
import inspect, sys
from pathlib import Path
from personae.collect.server import serve
workers = int(sys.argv[3])
extra = {"workers": workers} if "workers" in inspect.signature(serve).parameters else {}
serve(Path(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), **extra)
"""

WRK_SCRIPT = """
local pieces = {%(pieces)s}
local path = "%(path)s"
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "%(auth)s"}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local prefix = "%(token)s-" .. tid .. "-" .. counter .. "-"
  local parts = {}
  local n = #pieces
  for i = 1, n - 1 do
    parts[2 * i - 1] = pieces[i]
    parts[2 * i] = prefix .. i
  end
  parts[2 * n - 1] = pieces[n]
  return wrk.format("POST", path, headers, table.concat(parts))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            time.sleep(1.5)  # the other workers finish starting
            return
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def messages(count: int) -> list[dict[str, Any]]:
    """``count`` SDK messages, cycling over the fixture's shapes, each with the
    messageId placeholder the Lua script fills."""
    shapes = [v for k, v in json.loads(FIXTURES.read_text()).items() if not k.startswith("_")]
    return [{**shapes[i % len(shapes)], "messageId": MARK} for i in range(count)]


def payload_bytes(batch: list[dict[str, Any]]) -> float:
    """Mean bytes of properties, traits and context per message."""
    sizes = [
        len(json.dumps({k: m[k] for k in ("properties", "traits", "context") if k in m}))
        for m in batch
    ]
    return statistics.mean(sizes)


def lua_string(text: str) -> str:
    level = "=" * 4
    return f"[{level}[{text}]{level}]"


def wrk_script(folder: Path, name: str, body: Any, path: str, key: str) -> Path:
    template = json.dumps(body, separators=(",", ":"))
    pieces = template.split(MARK)
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    script = folder / f"{name}.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "pieces": ", ".join(lua_string(p) for p in pieces),
            "path": path,
            "auth": auth,
            "token": uuid.uuid4().hex[:12],
        }
    )
    return script


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            found.extend(_tree(int(child)))
    return found


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server ``pid`` and its worker processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in _tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def run_wrk(
    server: int,
    port: int,
    script: Path,
    seconds: float,
    connections: int,
    threads: int,
    events: int,
) -> dict[str, float]:
    served_before = server_cpu(server)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    served = server_cpu(server) - served_before
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    requests, duration_us, p50, p99, bad_status, socket_errors = map(int, line.split()[1:])
    if bad_status or socket_errors:
        raise RuntimeError(f"{bad_status} non-2xx answers, {socket_errors} socket errors")
    elapsed = duration_us / 1e6
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "requests_per_s": requests / elapsed,
        "events_per_s": requests * events / elapsed,
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
        "wrk_cores": cpu / elapsed,
        "server_cores": served / elapsed,
        "cpu_us_per_event": served / (requests * events) * 1e6,
    }


def median_of(results: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def show(name: str, result: dict[str, float], ceiling: dict[str, float] | None = None) -> None:
    ratio = (
        f"  {result['requests_per_s'] / ceiling['requests_per_s']:5.0%} of ceiling"
        if ceiling
        else ""
    )
    print(
        f"{name:<30} {result['events_per_s']:>9,.0f} events/s {result['requests_per_s']:>7,.0f}"
        f" req/s  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms"
        f"  server CPU {result['cpu_us_per_event']:5.1f} µs/event on "
        f"{result['server_cores']:.2f} cores (wrk {result['wrk_cores']:.2f}){ratio}"
    )


def start_ceiling(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    (folder / "ceiling_app.py").write_text(CEILING_APP)
    data = folder / "ceiling-data"
    data.mkdir()
    env = {**os.environ, "CEILING_DIR": str(data)}
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "ceiling_app:app", "--app-dir", str(folder),
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log", "--no-server-header",
            "--no-date-header",
        ],
        env=env,
    )  # fmt: skip
    wait_up(process, port)
    return process


def start_personae(root: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", PERSONAE_APP, str(port), str(root), str(workers)]
    )
    wait_up(process, port)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="the median of this many")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--batch", type=int, default=100, help="events per /v1/batch")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_collect.py needs wrk: apt-get install wrk")
    from personae.collect.keys import KeyStore
    from personae.collect.paths import CollectPaths

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        root = folder / "project"
        root.mkdir()
        (root / "personae.yml").write_text("collect:\n  dedupe_hours: 24\n")
        key = KeyStore(CollectPaths.of(root).keys).create("bench")[1]
        batch = messages(args.batch)
        batch_script = wrk_script(folder, "batch", {"batch": batch}, "/v1/batch", key)
        track = {k: v for k, v in messages(1)[0].items() if k != "type"}
        track_script = wrk_script(folder, "track", track, "/v1/track", key)
        print(
            f"{os.cpu_count()} CPUs, {args.workers} workers each side; wrk -t{args.threads} "
            f"-c{args.connections}; {args.seconds:g}s per run, median of {args.rounds}; "
            f"{args.batch} events per batch, {payload_bytes(batch):.0f} bytes of properties, "
            f"traits and context per event (body {len(json.dumps({'batch': batch})):,} bytes); "
            "durability on (fdatasync)"
        )
        ceiling_port, personae_port = free_port(), free_port()
        ceiling = start_ceiling(folder, ceiling_port, args.workers)
        personae = start_personae(root, personae_port, args.workers)
        runs: dict[str, list[dict[str, float]]] = {}
        try:
            for _ in range(args.rounds):
                for label, server, port, script, events in (
                    ("ceiling batch", ceiling.pid, ceiling_port, batch_script, args.batch),
                    ("personae batch", personae.pid, personae_port, batch_script, args.batch),
                    ("ceiling track", ceiling.pid, ceiling_port, track_script, 1),
                    ("personae track", personae.pid, personae_port, track_script, 1),
                ):
                    result = run_wrk(
                        server, port, script, args.seconds, args.connections, args.threads, events
                    )
                    runs.setdefault(label, []).append(result)
        finally:
            stop(personae)
            stop(ceiling)
        results = {label: median_of(r) for label, r in runs.items()}
        show(f"ceiling /v1/batch x{args.batch}", results["ceiling batch"])
        show(
            f"personae /v1/batch x{args.batch}",
            results["personae batch"],
            results["ceiling batch"],
        )
        show("ceiling /v1/track", results["ceiling track"])
        show("personae /v1/track", results["personae track"], results["ceiling track"])
        cores = os.cpu_count() or 1
        for label in ("batch", "track"):
            mine, bare = results[f"personae {label}"], results[f"ceiling {label}"]
            print(
                f"{label}: personae spends {mine['cpu_us_per_event']:.1f} µs of CPU per event, "
                f"the ceiling {bare['cpu_us_per_event']:.1f}; on {cores} idle cores that is at "
                f"most {cores / mine['cpu_us_per_event'] * 1e6:,.0f} events/s "
                f"(ceiling {cores / bare['cpu_us_per_event'] * 1e6:,.0f})"
            )
        per_round = [
            p["requests_per_s"] / c["requests_per_s"]
            for p, c in zip(runs["personae batch"], runs["ceiling batch"], strict=True)
        ]
        print(
            "batch ratio to the ceiling per round: "
            + ", ".join(f"{r:.0%}" for r in per_round)
            + f"; batch vs RudderStack ({RUDDERSTACK_EVENTS_PER_S:,} events/s): "
            f"{results['personae batch']['events_per_s'] / RUDDERSTACK_EVENTS_PER_S:.0f}x"
        )


if __name__ == "__main__":
    main()
