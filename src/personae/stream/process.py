"""The streaming worker as a process beside ``personae serve``'s collectors: started,
started again when it dies (a ``kill -9`` loses nothing: it resumes from its position in
the store), stopped with the server."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from personae.project import Project
from personae.serving.publish import publish_wanted

log = logging.getLogger(__name__)

#: a worker that dies this soon after starting, this many times in a row, is not restarted
QUICK_DEATH_SECONDS = 5.0
MAX_QUICK_DEATHS = 5


def stream_wanted(project: Project) -> bool:
    """``serving.stream``, where ``auto`` follows ``serving.publish``'s decision."""
    wanted = project.config.serving.stream
    return publish_wanted(project) if wanted == "auto" else bool(wanted)


class StreamProcess:
    """``personae stream run`` in a child process, kept alive by a watcher thread."""

    def __init__(self, root: Path) -> None:
        self.argv = [
            sys.executable, "-m", "personae", "--project", str(root), "stream", "run", "--quiet",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stream-watch", daemon=True)
        self.restarts = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv)
        self._thread.start()

    def _watch(self) -> None:
        deaths, started = 0, time.monotonic()
        while not self._stop.wait(0.2):
            process = self.process
            if process is None or process.poll() is None:
                continue
            deaths = deaths + 1 if time.monotonic() - started < QUICK_DEATH_SECONDS else 0
            if deaths >= MAX_QUICK_DEATHS:
                log.error("the streaming worker failed %d times in a row; not restarted", deaths)
                return
            log.warning("the streaming worker exited (%s); starting it again", process.returncode)
            self.restarts += 1
            started = time.monotonic()
            self.process = subprocess.Popen(self.argv)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def journeys_on_triggers(project: Project) -> bool:
    """Do triggers let anyone into a journey (:func:`live_triggers_sql`)?"""
    return any(
        j.reentry == "never" and (j.entry.segment is not None or j.entry.where is None)
        for j in project.config.journeys.values()
    )


class JourneyTicker:
    """Runs ``personae journeys run`` once the trigger queue holds triggers the journeys
    have not seen, so that a person the stream puts in a journey's segment enters it
    within seconds, not at the next scheduled tick. A tick that finds the warehouse busy
    (a run) fails and is tried again a second later."""

    def __init__(self, root: Path, state_dir: Path, interval: float = 1.0) -> None:
        self.argv = [sys.executable, "-m", "personae", "--project", str(root), "journeys", "run"]
        self.state_dir = state_dir
        self.interval = interval
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="journey-ticks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _pending(self) -> bool:
        from personae.activate.journeys.run import CONSUMER
        from personae.activate.triggers import TriggerQueue, queue_path

        if not queue_path(self.state_dir).exists():
            return False
        with TriggerQueue(self.state_dir) as queue:
            return bool(queue.read(queue.position(CONSUMER), 1))

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self._pending():
                    continue
            except Exception:
                log.exception("could not read the trigger queue")
                continue
            self.ticks += 1
            subprocess.run(self.argv, stdout=subprocess.DEVNULL, check=False)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
