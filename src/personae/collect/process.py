"""What runs a collector process: the schedule thread and uvicorn's server."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn

from personae.collect.collector import Collector

log = logging.getLogger(__name__)


#: what the schedule runs, given the project folder, once the collector has flushed
ScheduledRun = Callable[[Path], None]


class Scheduler:
    """Flushes the collector (when this process has one), then runs ``scheduled_run``
    every ``minutes`` in a background thread."""

    def __init__(
        self,
        project_root: Path,
        collector: Collector | None,
        minutes: float,
        run: ScheduledRun,
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
                if self.collector is not None:
                    self.collector.flush()
                self.run(self.project_root)
                log.info("scheduled pipeline run finished")
            except Exception:
                log.exception("scheduled pipeline run failed")


class QuietServer(uvicorn.Server):
    """uvicorn re-raises a captured SIGTERM after its graceful shutdown, so the process
    would die of the signal; for personae SIGTERM is the normal stop: exit 0."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if sig == signal.SIGTERM:
            self._captured_signals.clear()


#: young objects between two collections: a parsed batch alone is hundreds of dicts, so
#: with Python's default (700) every request started a collection that walked the
#: batch still in use (measured: about a quarter of a worker's CPU under load)
GC_THRESHOLD = (50_000, 20, 20)


def settle_gc() -> None:
    """Move everything made at start-up (modules, config, keys) out of the garbage
    collector's reach, and collect less often: requests make few reference cycles
    (their objects are freed by reference counting), the collector only finds those."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def uvicorn_config(app: object, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=15,
        server_header=False,
    )
