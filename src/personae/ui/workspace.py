"""The project as the web UI reaches it: its configuration (reloaded when the files
change), the serving store, and the warehouse, opened read-only for one request at a time.

The warehouse is a single-writer DuckDB file that runs hold for minutes. A request that
reads it takes the warehouse lock and opens it read-only; the UI keeps both for
``KEEP_OPEN`` seconds after the last request, so the requests of a page find DuckDB's
cache warm, and lets go at once when another process waits for the lock (a run touches
``warehouse.wanted`` while it waits): a run waits at most for the request in progress.
When a run holds the lock, a request gives up after ``timeout`` seconds with
:class:`WarehouseBusy`, and the page says a run is writing; pages built from the serving
store keep working meanwhile.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personae.catalog import SEGMENT_MEMBERSHIP
from personae.collect.paths import CollectPaths
from personae.collect.tail import WalFollower
from personae.config import load_config
from personae.config.models import ProjectConfig
from personae.engine import Engine, open_engine
from personae.errors import PersonaeError
from personae.lock import WarehouseLockTimeout, lock_wanted, warehouse_lock
from personae.pipeline import run_pipeline_once
from personae.project import STATE_DIR, Project
from personae.protect.audit import AuditLog
from personae.serving.profiles import ProfileStore
from personae.serving.publish import publish
from personae.serving.search import PersonSearch, SearchHit
from personae.serving.store import ServingPaths

#: messages the live debugger keeps in memory
LIVE_KEPT = 200
#: seconds the read-only warehouse stays open after a request
KEEP_OPEN = 10.0
#: how often the UI checks whether to close it
WATCH_EVERY = 0.1


class WarehouseBusy(PersonaeError):
    """A run holds the warehouse; the page can show what it can without it."""


@dataclass
class RunState:
    """The run the UI started last (``Run now``)."""

    running: bool = False
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None
    by: str = ""


class Workspace:
    """One per UI process; safe to use from the server's worker threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.audit = AuditLog(self.root)
        self._config: ProjectConfig | None = None
        self._stamp: tuple[float, ...] = ()
        self._store: ProfileStore | None = None
        self._search: PersonSearch | None = None
        self._follower: WalFollower | None = None
        self._live: deque[dict[str, Any]] = deque(maxlen=LIVE_KEPT)
        self._lock = threading.RLock()
        self.run_state = RunState()
        #: the read-only warehouse kept open between requests, the lock it holds
        self._reader = threading.Lock()
        self._engine: Engine | None = None
        self._held: ExitStack | None = None
        self._used = 0.0
        self._watcher: threading.Thread | None = None

    def _files(self) -> list[Path]:
        return [self.root / "personae.yml", self.root / "overrides.yml"]

    @property
    def config(self) -> ProjectConfig:
        """``personae.yml`` as it is now (re-read when it or ``overrides.yml`` changed)."""
        stamp = tuple(p.stat().st_mtime if p.exists() else 0.0 for p in self._files())
        with self._lock:
            if self._config is None or stamp != self._stamp:
                self._config = load_config(self.root)
                self._stamp = stamp
            return self._config

    def project(self) -> Project:
        return Project(root=self.root, config=self.config)

    @contextmanager
    def warehouse(self, timeout: float = 3.0) -> Iterator[Engine]:
        """The warehouse, read-only, under the warehouse lock; one request at a time.

        It stays open ``KEEP_OPEN`` seconds after a request (DuckDB's cache stays warm
        between the requests of a page), and is closed at once when another process
        waits for the lock (a run, an erasure): see :func:`personae.lock.lock_wanted`."""
        with self._reader:
            if self._engine is None:
                self._engine = self._open_reader(timeout)
            try:
                yield self._engine
            finally:
                self._used = time.monotonic()

    def _open_reader(self, timeout: float) -> Engine:
        deadline = time.monotonic() + timeout
        while lock_wanted(self.root, within=0.5):  # a writer waits: it goes first
            if time.monotonic() >= deadline:
                raise WarehouseBusy("a run is about to write the warehouse")
            time.sleep(0.05)
        held = ExitStack()
        try:
            held.enter_context(
                warehouse_lock(self.root, timeout=max(deadline - time.monotonic(), 0))
            )
        except WarehouseLockTimeout as exc:
            raise WarehouseBusy(str(exc)) from None
        try:
            project = self.project()
            engine = open_engine(
                project.config.engine, self.root, keys=project.keys, read_only=True
            )
        except BaseException:
            held.close()
            raise
        self._held = held
        self._used = time.monotonic()
        self._watch()
        return engine

    def release_warehouse(self) -> None:
        """Close the read-only warehouse and let go of the lock (waits for a request)."""
        with self._reader:
            self._close_reader()

    def _close_reader(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._held is not None:
            self._held.close()
            self._held = None

    def _watch(self) -> None:
        """Start (under the reader's lock) the thread that closes the warehouse when it
        is idle or wanted by another process."""
        if self._watcher is not None:
            return

        def watch() -> None:
            while True:
                time.sleep(WATCH_EVERY)
                with self._reader:
                    idle = time.monotonic() - self._used > KEEP_OPEN
                    if self._engine is not None and not idle and not lock_wanted(self.root, 1.0):
                        continue
                    self._close_reader()
                    self._watcher = None
                    return

        self._watcher = threading.Thread(target=watch, name="ui-warehouse", daemon=True)
        self._watcher.start()

    @contextmanager
    def writing(self, timeout: float = 30.0) -> Iterator[Project]:
        """The project with its warehouse open for writing (erasure), under the lock."""
        self.release_warehouse()
        try:
            with warehouse_lock(self.root, timeout=timeout), self.project() as project:
                yield project
        except WarehouseLockTimeout as exc:
            raise WarehouseBusy(str(exc)) from None

    @contextmanager
    def store(self) -> Iterator[ProfileStore]:
        """The serving store's live generation (followed across publishes)."""
        with self._lock:
            if self._store is None:
                self._store = ProfileStore(self.root / ".personae", self.project().keys)
            self._store.refresh()
            yield self._store

    def search(self, query: str, *, limit: int = 20) -> list[SearchHit]:
        """Persons found by e-mail, phone, name, an id or a person id (the serving
        store's search, as ``personae search`` does)."""
        with self._lock:
            if self._search is None:
                self._search = PersonSearch(self.root / ".personae", self.project().keys)
            return self._search.search(
                query, limit=limit, default_region=self.config.defaults.phone_region
            )

    def ensure_published(self) -> bool:
        """Publish the serving store once when runs never did (``serving.publish: auto``
        publishes only when a store or a read key exists): the UI reads it. Later runs
        keep it fresh. True when it published."""
        if ServingPaths.of(self.root / STATE_DIR).live() is not None:
            return False
        self.release_warehouse()
        with warehouse_lock(self.root), self.project() as project:
            return self.publish_if_missing(project)

    def publish_if_missing(self, project: Project) -> bool:
        """:meth:`ensure_published` for a caller holding the lock and ``project`` open."""
        if ServingPaths.of(self.root / STATE_DIR).live() is not None:
            return False
        if not project.engine.table_exists(SEGMENT_MEMBERSHIP):
            return False
        publish(project)
        return True

    def start_run(self, by: str) -> bool:
        """Run the whole pipeline in the background (as ``personae run`` does, under the
        warehouse lock); False when the UI's previous run is still going."""
        with self._lock:
            if self.run_state.running:
                return False
            self.run_state = RunState(True, dt.datetime.now(dt.UTC), by=by)

        def go() -> None:
            error = None
            try:
                run_pipeline_once(self.root)
            except Exception as exc:  # reported on the page, like the CLI would print it
                error = str(exc) or type(exc).__name__
            with self._lock:
                self.run_state.running = False
                self.run_state.finished_at = dt.datetime.now(dt.UTC)
                self.run_state.error = error

        threading.Thread(target=go, name="ui-run", daemon=True).start()
        return True

    def live_messages(self, after_us: int = 0) -> list[dict[str, Any]]:
        """The messages the collectors wrote since the UI started following their WAL
        (at most the newest ``LIVE_KEPT``), those received after ``after_us`` (µs)."""
        with self._lock:
            if self._follower is None:
                paths = CollectPaths.of(self.root, self.config.collect.events_dir)
                self._follower = WalFollower(
                    paths.wal, paths.events, self.project().keys, replay=True
                )
            self._live.extend(dict(row) for row in self._follower.poll())
            return [m for m in self._live if int(m.get("received_at") or 0) > after_us]

    def close(self) -> None:
        self.release_warehouse()
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
