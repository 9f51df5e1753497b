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
from collections.abc import Callable
from pathlib import Path

from personae.activate.triggers import Trigger, TriggerQueue, queue_path
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


class TriggerTicks:
    """Runs a ``personae`` command once the trigger queue holds triggers it wants and has
    not seen: ``journeys run`` for the journeys' entries, ``destinations run --due`` for
    the segments of ``on_change`` destinations. So a person the stream puts in a segment
    reaches them within seconds, not at the next scheduled tick or run. A command that
    finds the warehouse busy (a run) fails and is tried again a second later."""

    def __init__(
        self,
        root: Path,
        state_dir: Path,
        command: list[str],
        wanted: Callable[[Trigger], bool],
        *,
        start_after: int,
        interval: float = 1.0,
    ) -> None:
        self.argv = [sys.executable, "-m", "personae", "--project", str(root), *command]
        self.state_dir = state_dir
        self.wanted = wanted
        self.seen = start_after
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="trigger-ticks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _pending(self) -> bool:
        if not queue_path(self.state_dir).exists():
            return False
        with TriggerQueue(self.state_dir) as queue:
            found = False
            while batch := queue.read(self.seen, 10_000):
                found = found or any(self.wanted(t) for t in batch)
                self.seen = batch[-1].position
            return found

    def _watch(self) -> None:
        due = False
        while not self._stop.wait(self.interval):
            try:
                due = self._pending() or due
            except Exception:
                log.exception("could not read the trigger queue")
                continue
            if due:
                self.runs += 1
                done = subprocess.run(self.argv, stdout=subprocess.DEVNULL, check=False)
                due = done.returncode != 0  # the warehouse was busy: again next time

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def trigger_ticks(project: Project) -> list[TriggerTicks]:
    """The ticks ``personae serve`` runs beside the streaming worker."""
    from personae.activate.journeys.run import CONSUMER

    ticks = []
    state = project.state_dir
    started = 0
    journeys_from = 0
    if queue_path(state).exists():
        with TriggerQueue(state) as queue:
            started = queue.last_position()
            journeys_from = queue.position(CONSUMER)
    if journeys_on_triggers(project):
        ticks.append(
            TriggerTicks(
                project.root,
                state,
                ["journeys", "run"],
                lambda t: t.kind in ("entered", "event"),
                start_after=journeys_from,
            )
        )
    segments = {
        d.segment
        for d in project.config.destinations.values()
        if d.schedule == "on_change" and d.segment is not None
    }
    if segments:
        ticks.append(
            TriggerTicks(
                project.root,
                state,
                ["destinations", "run", "--due"],
                lambda t: t.kind in ("entered", "left") and t.name in segments,
                start_after=started,
            )
        )
    return ticks
