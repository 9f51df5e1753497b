"""The lag of ``personae tail``: from a message's 200 to its line on the tail's stdout,
under background load.

Runs ``personae serve --workers N`` on a fresh project (flushes every second, so
segments are sealed, flushed and removed while they are followed), a load process
posting batches of 100 track events at ``--rate`` events/s, and ``personae tail`` (every
message, rendered: the debugger's case). Every 50 ms a probe ``track`` with its own event
name is posted; its lag is the time from its 200 to the tail's line naming it, read in
this process. Printed: the background rate reached, probes seen, and p50/p90/p99/max lag.

    .venv/bin/python benchmarks/bench_tail.py [--seconds 20] [--rate 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

LOAD = r"""
import sys, time, uuid, httpx
port, auth, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": auth})
start = time.monotonic(); sent = 0
while (now := time.monotonic()) - start < seconds:
    if sent > (now - start) * rate:
        time.sleep(0.002); continue
    batch = [{"type": "track", "userId": f"u-{sent + i}", "event": "Background",
              "messageId": uuid.uuid4().hex, "properties": {"sku": "A-1", "price": 12.5}}
             for i in range(100)]
    if client.post("/v1/batch", json={"batch": batch}).status_code == 200:
        sent += 100
print(sent, sent / (time.monotonic() - start))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-tail-"))
    (root / "personae.yml").write_text("sources: {}\ncollect:\n  flush_seconds: 1\n")
    personae = [sys.executable, "-m", "personae", "--project", str(root)]
    created = subprocess.run([*personae, "keys", "create", "web"], capture_output=True, text=True)
    key = next(w for w in created.stdout.split() if "_" in w and len(w) > 20)
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    port = free_port()
    serve = subprocess.Popen(
        [*personae, "serve", "--port", str(port), "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": auth})
    deadline = time.monotonic() + 30
    while True:
        try:
            if client.get("/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
        if time.monotonic() > deadline:
            raise SystemExit("personae serve did not start")
    tail = subprocess.Popen([*personae, "tail"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    shown: dict[str, float] = {}
    lines = [0]

    def read() -> None:
        assert tail.stdout is not None
        for raw in tail.stdout:
            lines[0] += 1
            at = time.monotonic()
            text = raw.decode()
            if "'Probe " in text:
                shown[text.split("'Probe ", 1)[1].split("'", 1)[0]] = at

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(2)  # the tail is following
    load = subprocess.Popen(
        [sys.executable, "-c", LOAD, str(port), auth, str(args.rate), str(args.seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acked: dict[str, float] = {}
    n = 0
    while load.poll() is None:
        name = str(n)
        answer = client.post("/v1/track", json={"userId": "probe", "event": f"Probe {name}"})
        if answer.status_code == 200:
            acked[name] = time.monotonic()
        n += 1
        time.sleep(0.05)
    sent, reached = (load.stdout.read() if load.stdout else "0 0").split()
    time.sleep(2)
    cpu = _cpu_seconds(tail.pid)
    tail.send_signal(signal.SIGTERM)
    tail.wait(30)
    serve.send_signal(signal.SIGTERM)
    serve.wait(60)
    lags = sorted((shown[k] - acked[k]) * 1000 for k in acked if k in shown)
    if not lags:
        raise SystemExit("the tail showed no probe")
    q = statistics.quantiles(lags, n=100)
    print(
        f"background load: {float(reached):,.0f} events/s for {args.seconds:.0f} s, "
        f"{args.workers} workers, flushed every 1 s"
    )
    print(
        f"lines: {lines[0]:,} printed for {int(sent) + len(acked):,} messages acknowledged; "
        f"probes: {len(acked)} acknowledged, {len(lags)} shown"
    )
    print(
        f"lag from 200 to line: p50 {q[49]:.0f} ms, p90 {q[89]:.0f} ms, p99 {q[98]:.0f} ms, "
        f"max {lags[-1]:.0f} ms (load average {os.getloadavg()[0]:.1f})"
    )
    print(f"the tail's CPU: {cpu:.1f} s, {cpu / args.seconds:.0%} of a core over the load")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
