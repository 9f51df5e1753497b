"""``personae stream run|status|triggers``: the streaming worker (:mod:`personae.stream`)
and its trigger queue. Registered on the main app by ``register(app)``."""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType
from typing import Annotated

import typer

from personae.cli.context import console, err_console, guard, project_root

stream_app = typer.Typer(
    help="The streaming worker: collected messages into the serving store within seconds."
)


def register(app: typer.Typer) -> None:
    """Add ``personae stream`` to ``app``."""
    app.add_typer(stream_app, name="stream")


@stream_app.command("run")
def stream_run(
    quiet: Annotated[bool, typer.Option(help="Print nothing per micro-batch.")] = False,
    once: Annotated[
        bool, typer.Option(help="Apply what is there now, then stop (no waiting).")
    ] = False,
) -> None:
    """Apply collected messages to the serving store as they arrive (SIGTERM or Ctrl-C
    stops). personae serve runs it by itself (serving.stream); run it alone beside
    collectors started otherwise. Never opens the warehouse."""
    from personae.project import Project
    from personae.stream.worker import StreamWorker

    def go() -> None:
        stop = threading.Event()

        def on_signal(sig: int, frame: FrameType | None) -> None:
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        with Project.load(project_root()) as project:
            worker = StreamWorker(project)
            try:
                if not worker.attach() and once:
                    err_console.print(
                        worker.problem or "No serving store yet: run personae run first."
                    )
                    return
                while not stop.is_set():
                    if not worker.attach():
                        stop.wait(0.5)
                        continue
                    report = worker.step()
                    if report.messages and not quiet:
                        lag = time.time() - report.received_us / 1e6
                        steps = ", ".join(f"{k} {v * 1000:,.0f}" for k, v in report.seconds.items())
                        err_console.print(
                            f"{report.messages:,} messages, {report.events:,} events, "
                            f"{report.persons:,} persons ({report.new_persons:,} new, "
                            f"{report.merges:,} merges), {report.triggers:,} triggers; "
                            f"lag {lag * 1000:,.0f} ms ({steps} ms)",
                            highlight=False,
                        )
                    if not report.messages:
                        if once:
                            return
                        stop.wait(0.02)
            finally:
                worker.close()

    guard(go)


@stream_app.command("status")
def stream_status() -> None:
    """Which traits and segments the stream keeps up to date (the others wait for the
    next run), and how far it got."""
    from personae.project import Project
    from personae.serving.store import ServingPaths
    from personae.stream.report import status_lines

    def go() -> None:
        with Project.load(project_root()) as project:
            live = ServingPaths.of(project.state_dir).live()
            for line in status_lines(project, live):
                console.print(line, highlight=False)

    guard(go)


@stream_app.command("triggers")
def stream_triggers(
    consumer: Annotated[
        str | None,
        typer.Option(help="Read from this consumer's position and move it (acknowledge)."),
    ] = None,
    follow: Annotated[
        bool, typer.Option(help="Keep printing new triggers (Ctrl-C stops).")
    ] = False,
    after: Annotated[int, typer.Option(help="Start after this queue position.")] = 0,
) -> None:
    """Print the trigger queue (entered, left, event), one JSON object per line."""
    import orjson

    from personae.activate.triggers import TriggerQueue
    from personae.project import STATE_DIR

    def go() -> None:
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        with TriggerQueue(project_root() / STATE_DIR) as queue:
            start = queue.position(consumer) if consumer else after
            batches = queue.follow(start, stop) if follow else iter([queue.read(start, 1_000_000)])
            for batch in batches:
                for trigger in batch:
                    sys.stdout.write(orjson.dumps(trigger.as_json()).decode() + "\n")
                sys.stdout.flush()
                if consumer and batch:
                    queue.ack(consumer, batch[-1].position)

    guard(go)
