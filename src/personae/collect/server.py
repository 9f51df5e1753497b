"""``personae serve``: uvicorn over the app, plus the optional pipeline schedule.

The schedule runs a callback given by the caller (the CLI passes the pipeline), so
collection never imports the stages above it.

uvicorn handles SIGTERM and SIGINT: it stops accepting, lets in-flight requests finish,
then the app's lifespan closes the collector, which writes every acknowledged message
to Parquet. The process then exits 0.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn

from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.project import Project
from personae.protect.files import private_umask

log = logging.getLogger(__name__)


#: what the schedule runs, given the project folder, once the collector has flushed
ScheduledRun = Callable[[Path], None]


class Scheduler:
    """Flushes the collector, then runs ``scheduled_run`` every ``minutes`` in a background
    thread."""

    def __init__(
        self, project_root: Path, collector: Collector, minutes: float, run: ScheduledRun
    ) -> None:
        self.project_root = project_root
        self.collector = collector
        self.run = run
        self.seconds = minutes * 60
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.collector.flush()
                self.run(self.project_root)
                log.info("scheduled pipeline run finished")
            except Exception:
                log.exception("scheduled pipeline run failed")


class _Server(uvicorn.Server):
    """uvicorn re-raises a captured SIGTERM after its graceful shutdown, so the process
    would die of the signal; for personae SIGTERM is the normal stop: exit 0."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if sig == signal.SIGTERM:
            self._captured_signals.clear()


def serve(
    project_root: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    collector_id: str | None = None,
    log_level: str = "warning",
    scheduled_run: ScheduledRun | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve the collection API; with ``collect.schedule_minutes`` set in personae.yml,
    also call ``scheduled_run`` on that schedule (``personae serve`` passes the pipeline).
    ``on_ready`` runs once the collector holds its id, just before uvicorn starts: a
    second collector with the same id fails before it says anything."""
    # the WAL writer thread wakes from fdatasync needing the GIL; with the default 5 ms
    # switch interval it would wait behind the busy event loop and stretch every commit
    sys.setswitchinterval(0.0005)
    private_umask()  # the WAL, the Parquet files and the keys are private from the start
    project = Project.load(project_root)  # reads personae.yml only; never opens the warehouse
    collector = Collector(project.root, project.config.collect, collector_id, keys=project.keys)
    collector.claim()
    if on_ready is not None:
        on_ready()
    scheduler = None
    if project.config.collect.schedule_minutes and scheduled_run is not None:
        scheduler = Scheduler(
            project.root, collector, project.config.collect.schedule_minutes, scheduled_run
        )
        scheduler.start()
    config = uvicorn.Config(
        create_app(collector),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=15,
        server_header=False,
    )
    try:
        _Server(config).run()
    finally:
        if scheduler is not None:
            scheduler.stop()
