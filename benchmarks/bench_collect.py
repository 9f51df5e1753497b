"""Load-test ``personae serve`` on 127.0.0.1, durability on (fsync'd WAL, group commit).

Starts the server (and a bare "hello world" app on the same stack, as the ceiling) in
subprocesses, drives them from a separate load-generator process with concurrent httpx
clients for a bounded time, and prints events/s with p50/p99 latency.

    .venv/bin/python benchmarks/bench_collect.py [--seconds 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

RUDDERSTACK_EVENTS_PER_S = 1_700  # published figure, 2-core host, ~4.2 ms

HELLO_APP = """
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

async def hello(request):
    await request.body()
    return Response(b'{"success":true}', media_type="application/json")

app = Starlette(routes=[Route("/v1/track", hello, methods=["POST"]),
                        Route("/health", hello, methods=["GET"])])
uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="warning",
            access_log=False)
"""

PERSONAE_APP = """
import sys
from pathlib import Path
from personae.collect.server import serve
serve(Path(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(code: str, port: int, *args: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", code, str(port), *args])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


class RawClient:
    """A minimal keep-alive HTTP/1.1 client: httpx itself tops out below the server."""

    def __init__(self, url: str, key: str) -> None:
        parts = httpx.URL(url)
        self.host, self.port = parts.host, parts.port or 80
        token = base64.b64encode(f"{key}:".encode()).decode()
        self.auth = f"Authorization: Basic {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> RawClient:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.writer is not None
        self.writer.close()

    async def post(self, path: str, json: Any) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        body = orjson.dumps(json)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        headers = await self.reader.readuntil(b"\r\n\r\n")
        status = int(headers[9:12])
        length = 0
        for line in headers.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return status, await self.reader.readexactly(length)


async def drive(
    url: str, key: str, batch: int, seconds: float, concurrency: int, client_kind: str
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    sent = 0
    deadline = time.perf_counter() + seconds
    auth = httpx.BasicAuth(key, "")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(w: int) -> None:
        nonlocal sent
        client: Any = (
            RawClient(url, key)
            if client_kind == "raw"
            else httpx.AsyncClient(base_url=url, auth=auth, limits=limits)
        )
        async with client:
            n = 0
            while time.perf_counter() < deadline:
                n += 1
                msg = {"userId": f"u{w}", "event": "Bench", "properties": {"n": n}}
                if batch > 1:
                    path = "/v1/batch"
                    body: dict[str, Any] = {
                        "batch": [
                            {"type": "track", **msg, "messageId": f"{w}-{n}-{i}"}
                            for i in range(batch)
                        ]
                    }
                else:
                    path, body = "/v1/track", {**msg, "messageId": f"{w}-{n}"}
                started = time.perf_counter()
                response = await client.post(path, json=body)
                latencies.append(time.perf_counter() - started)
                status = response[0] if isinstance(response, tuple) else response.status_code
                if status != 200:
                    raise RuntimeError(f"HTTP {status}")
                sent += batch

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return sent, [*latencies, time.perf_counter() - started]


def _generator(args: tuple[str, str, int, float, int, str], out: Any) -> None:
    out.put(asyncio.run(drive(*args)))


def measure(
    url: str, key: str, batch: int, seconds: float, concurrency: int, client: str
) -> dict[str, float]:
    queue: Any = multiprocessing.Queue()
    process = multiprocessing.Process(
        target=_generator, args=((url, key, batch, seconds, concurrency, client), queue)
    )
    process.start()
    sent, latencies = queue.get()
    process.join()
    elapsed = latencies.pop()
    ordered = sorted(latencies)
    return {
        "events_per_s": sent / elapsed,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
    }


def show(name: str, result: dict[str, float]) -> None:
    print(
        f"{name:<28} {result['events_per_s']:>9,.0f} events/s  "
        f"{result['requests_per_s']:>7,.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p99 {result['p99_ms']:6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--client", choices=["raw", "httpx"], default="raw", help="load generator client"
    )
    args = parser.parse_args()
    from personae.collect.keys import KeyStore
    from personae.collect.paths import CollectPaths

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "personae.yml").write_text("collect:\n  dedupe_hours: 24\n")
        key = KeyStore(CollectPaths.of(root).keys).create("bench")[1]
        print(
            f"{os.cpu_count()} CPUs; {args.seconds:g}s per run; {args.client} client; "
            "durability on (fdatasync)"
        )

        port = free_port()
        hello = start(HELLO_APP, port)
        try:
            ceiling = measure(
                f"http://127.0.0.1:{port}", key, 1, args.seconds, args.concurrency, args.client
            )
        finally:
            hello.terminate()
            hello.wait()
        show("hello world (ceiling)", ceiling)

        port = free_port()
        server = start(PERSONAE_APP, port, str(root))
        try:
            url = f"http://127.0.0.1:{port}"
            single = measure(url, key, 1, args.seconds, args.concurrency, args.client)
            batch = measure(url, key, 100, args.seconds, max(4, args.concurrency // 4), args.client)
        finally:
            server.terminate()
            server.wait()
        show("personae /v1/track", single)
        show("personae /v1/batch x100", batch)
        print(
            f"track vs hello world: {single['requests_per_s'] / ceiling['requests_per_s']:.0%}; "
            f"batch vs RudderStack ({RUDDERSTACK_EVENTS_PER_S:,} events/s): "
            f"{batch['events_per_s'] / RUDDERSTACK_EVENTS_PER_S:.1f}x; "
            f"track vs RudderStack: {single['events_per_s'] / RUDDERSTACK_EVENTS_PER_S:.1f}x"
        )


if __name__ == "__main__":
    main()
