"""``personae serve``: uvicorn over the app, plus the optional pipeline schedule.

The schedule runs a callback given by the caller (the CLI passes the pipeline), so
collection never imports the stages above it.

With one worker, everything runs in this process. With several
(:mod:`personae.collect.workers`), this process only supervises: it holds the collector
id, recovers what earlier runs left in the write-ahead log, starts one worker process
per index (each its own collector ``<id>w<index>``: its own WAL, group commit and
flusher, all listening on the same port with ``SO_REUSEPORT``), restarts a worker that
dies, and runs the schedule itself, so exactly one process runs the pipeline.

uvicorn handles SIGTERM and SIGINT: it stops accepting, lets in-flight requests finish,
then the app's lifespan closes the collector, which writes every acknowledged message
to Parquet. The process then exits 0.

``mounts`` maps a path prefix (``"/v1/profiles"``) to an import string
``"module:factory"``; in every worker ``factory(project_root)`` returns an ASGI app,
mounted at that prefix before the collector's routes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

from personae.collect.app import create_app, load_mounts
from personae.collect.collector import Collector
from personae.collect.process import (
    QuietServer,
    ScheduledRun,
    Scheduler,
    settle_gc,
    uvicorn_config,
)
from personae.collect.workers import supervise
from personae.project import Project
from personae.protect.files import private_umask

NO_MOUNTS: Mapping[str, str] = MappingProxyType({})


def serve(
    project_root: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    collector_id: str | None = None,
    log_level: str = "warning",
    scheduled_run: ScheduledRun | None = None,
    on_ready: Callable[[], None] | None = None,
    workers: int = 1,
    mounts: Mapping[str, str] = NO_MOUNTS,
) -> None:
    """Serve the collection API with ``workers`` processes; with
    ``collect.schedule_minutes`` set in personae.yml, also call ``scheduled_run`` on that
    schedule, in one process only (``personae serve`` passes the pipeline).
    ``on_ready`` runs once the collector id is held, just before serving starts: a
    second collector with the same id fails before it says anything."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers > 1:
        supervise(
            project_root, host, port, collector_id, log_level, scheduled_run, on_ready,
            workers, dict(mounts),
        )  # fmt: skip
        return
    # the WAL writer thread wakes from fdatasync needing the GIL; with the default 5 ms
    # switch interval it would wait behind the busy event loop and stretch every commit
    sys.setswitchinterval(0.0005)
    private_umask()  # the WAL, the Parquet files and the keys are private from the start
    project = Project.load(project_root)  # reads personae.yml only; never opens the warehouse
    collector = Collector(project.root, project.config.collect, collector_id, keys=project.keys)
    collector.claim()
    apps = load_mounts(mounts, project.root)
    if on_ready is not None:
        on_ready()
    scheduler = None
    if project.config.collect.schedule_minutes and scheduled_run is not None:
        scheduler = Scheduler(
            project.root, collector, project.config.collect.schedule_minutes, scheduled_run
        )
        scheduler.start()
    config = uvicorn_config(create_app(collector, mounts=apps), host, port, log_level)
    settle_gc()
    try:
        QuietServer(config).run()
    finally:
        if scheduler is not None:
            scheduler.stop()
