"""Several collector processes behind one port.

The supervisor (the ``personae serve`` process) holds the collector id ``<id>``, writes
to Parquet whatever earlier runs left in the write-ahead log under that id or any of
its workers' ids, checks the port is free, then starts ``workers`` processes. Worker
``i`` is the collector ``<id>w<i>``: its own WAL segments, group commit, dedupe window
and flusher, and its own listening socket on the shared port (``SO_REUSEPORT``: the
kernel spreads connections over the workers). A worker that dies is started again
under the same id, and recovers its own segments before it listens, so a ``kill -9``
of a worker loses nothing that was acknowledged. A worker dies with the supervisor
(``PR_SET_PDEATHSIG``), so a killed supervisor leaves no stray listener behind.

The supervisor runs the schedule (``collect.schedule_minutes``), so exactly one
process runs the pipeline; it loads what the workers flushed (every
``collect.flush_seconds``).

A messageId retried on another connection may land on another worker, whose dedupe
window has not seen it: the warehouse load deduplicates by (source, messageId), so it
still lands once.
"""

from __future__ import annotations

import ctypes
import errno
import faulthandler
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from personae.collect.app import create_app, load_mounts
from personae.collect.collector import Collector, claim_id
from personae.collect.errors import CollectError
from personae.collect.flush import flush_segments
from personae.collect.paths import CollectPaths
from personae.collect.process import QuietServer, Scheduler, settle_gc, uvicorn_config
from personae.collect.wal import list_segments, parse_segment_name
from personae.project import Project
from personae.protect.files import private_umask

log = logging.getLogger(__name__)

#: a worker dying this soon after its start counts as a failed start
QUICK_DEATH_SECONDS = 2.0
#: failed starts in a row after which the supervisor gives up
MAX_QUICK_DEATHS = 5
_PR_SET_PDEATHSIG = 1


def worker_id(collector_id: str, index: int) -> str:
    """The collector id of worker ``index``: ``c1`` → ``c1w0``, ``c1w1``, …"""
    return f"{collector_id}w{index}"


def _family(collector_id: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(collector_id)}(w\d+)?$")


def recover_family(project: Project, collector_id: str) -> int:
    """Write to Parquet every segment left under ``collector_id`` or one of its worker
    ids (none of which runs: the caller holds ``collector_id``); the rows written."""
    paths = CollectPaths.of(project.root, project.config.collect.events_dir)
    paths.ensure()
    family = _family(collector_id)
    segments = []
    for segment in list_segments(paths.wal):
        parsed = parse_segment_name(segment.name)
        if parsed is not None and family.match(parsed[0]):
            segments.append(segment)
    return flush_segments(segments, paths.events, project.keys).rows


def _check_port(host: str, port: int) -> None:
    """Fail early, and clearly, when something else listens on the port: the workers
    bind with ``SO_REUSEPORT``, which alone would not say so."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CollectError(
                    f"port {port} on {host} is already in use: stop what listens there "
                    "or choose another with personae serve --port"
                ) from None
            raise CollectError(f"cannot listen on {host}:{port}: {exc}") from None


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Worker:
    def __init__(self, index: int, argv: list[str]) -> None:
        self.index = index
        self.argv = argv
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.quick_deaths = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv)
        self.started = time.monotonic()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


def supervise(
    project_root: Path,
    host: str,
    port: int,
    collector_id: str | None,
    log_level: str,
    scheduled_run: Callable[[Path], None] | None,
    on_ready: Callable[[], None] | None,
    workers: int,
    mounts: dict[str, str],
) -> None:
    """Run ``workers`` worker processes until SIGTERM or SIGINT, then stop them (each
    writes what it acknowledged to Parquet) and return."""
    private_umask()
    project = Project.load(project_root)
    cid = collector_id or project.config.collect.collector_id
    if not cid.isalnum():
        raise CollectError(f"a collector id is letters and digits, got {cid!r}")
    paths = CollectPaths.of(project.root, project.config.collect.events_dir)
    paths.ensure()
    lock = claim_id(paths.wal, cid)
    try:
        recovered = recover_family(project, cid)
        if recovered:
            log.info("recovered %d rows from the write-ahead log", recovered)
        _check_port(host, port)
        pool = []
        for index in range(workers):
            spec = {
                "root": str(project.root),
                "host": host,
                "port": port,
                "collector_id": worker_id(cid, index),
                "log_level": log_level,
                "mounts": mounts,
                "parent": os.getpid(),
            }
            argv = [sys.executable, "-m", "personae.collect.workers", json.dumps(spec)]
            pool.append(_Worker(index, argv))
        stop = threading.Event()

        def on_signal(sig: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        scheduler = None
        try:
            for worker in pool:
                worker.start()
            if on_ready is not None:
                on_ready()
            minutes = project.config.collect.schedule_minutes
            if minutes and scheduled_run is not None:
                scheduler = Scheduler(project.root, None, minutes, scheduled_run)
                scheduler.start()
            _watch(pool, stop)
        finally:
            if scheduler is not None:
                scheduler.stop()
            _stop_all(pool)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        # a worker stopped before it had started serving (or killed) left its segments:
        # every acknowledged message is in Parquet when serve returns
        recover_family(project, cid)
    finally:
        os.close(lock)


def _watch(pool: list[_Worker], stop: threading.Event) -> None:
    while not stop.wait(0.2):
        for worker in pool:
            code = worker.exited()
            if code is None:
                continue
            quick = time.monotonic() - worker.started < QUICK_DEATH_SECONDS
            worker.quick_deaths = worker.quick_deaths + 1 if quick else 0
            if worker.quick_deaths >= MAX_QUICK_DEATHS:
                raise CollectError(
                    f"worker {worker.index} failed to start {MAX_QUICK_DEATHS} times in a "
                    f"row (exit code {code}); its error is printed above"
                )
            log.warning("worker %d exited with code %s; starting it again", worker.index, code)
            worker.start()


def _stop_all(pool: list[_Worker]) -> None:
    running = [w.process for w in pool if w.process is not None and w.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _die_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def run_worker(spec: dict[str, Any]) -> None:
    """One worker: a collector with its own id, serving on the shared port."""
    _die_with_parent(int(spec["parent"]))
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: where it is
    sys.setswitchinterval(0.0005)  # see personae.collect.server.serve
    private_umask()
    project = Project.load(Path(spec["root"]))
    collector = Collector(
        project.root, project.config.collect, spec["collector_id"], keys=project.keys
    )
    collector.claim()
    app = create_app(collector, mounts=load_mounts(spec["mounts"], project.root))
    sock = listening_socket(spec["host"], int(spec["port"]))
    config = uvicorn_config(app, spec["host"], int(spec["port"]), spec["log_level"])
    settle_gc()
    QuietServer(config).run(sockets=[sock])


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    run_worker(json.loads(sys.argv[1]))
