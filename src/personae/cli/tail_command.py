"""``personae tail``: the live view of collected events (:mod:`personae.collect.tail`
follows the WALs, :mod:`personae.serving.tail` resolves and renders). Registered on the
main app by ``register(app)``.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from types import FrameType
from typing import Annotated

import typer

from personae.cli.collect_commands import parse_duration
from personae.cli.context import err_console, guard, project_root


def register(app: typer.Typer) -> None:
    """Add ``personae tail`` to ``app``."""
    app.command("tail")(tail)


def tail(
    source: Annotated[
        list[str] | None, typer.Option(help="Only this source (repeatable, or a comma list).")
    ] = None,
    type_: Annotated[
        list[str] | None,
        typer.Option("--type", help="Only these message types: track, identify, page, …"),
    ] = None,
    event: Annotated[
        list[str] | None,
        typer.Option(help="Only these track events (repeatable, or comma list)."),
    ] = None,
    person: Annotated[
        str | None,
        typer.Option(
            help="Only this person's messages: user_id:u-1, email:…, anonymous_id:… or a "
            "person id, resolved through the serving store."
        ),
    ] = None,
    user_id: Annotated[list[str] | None, typer.Option(help="Only this userId.")] = None,
    anonymous_id: Annotated[list[str] | None, typer.Option(help="Only this anonymousId.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="First show the messages received this long ago (90s, 10m, 2h)."),
    ] = None,
    last: Annotated[int | None, typer.Option(min=0, help="First show the last N messages.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N messages.")] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="One JSON object per message (for jq).")
    ] = False,
) -> None:
    """Stream collected messages as the collectors write them, with the person each
    resolves to in the serving store (Ctrl-C stops). Reads only: never opens the
    warehouse."""
    from personae.collect.paths import CollectPaths
    from personae.collect.tail import Filters, WalFollower, follow, split_values
    from personae.project import Project
    from personae.serving.tail import PersonFilter, Resolver, as_json, line

    def go() -> None:
        stop = threading.Event()
        _stop_on_signals(stop)
        start = None
        if since is not None:
            start = time.time() - parse_duration(since, "--since").total_seconds()
        project = Project.load(project_root())  # personae.yml only; never the warehouse
        paths = CollectPaths.of(project.root, project.config.collect.events_dir)
        resolver = Resolver(project.state_dir, project.keys)
        if not resolver.available:
            err_console.print(
                f"{resolver.problem.rstrip('.')}. Until then every message shows → new"
                + (", and --person matches only the id itself." if person else "."),
                highlight=False,
                soft_wrap=True,
            )
        chosen = PersonFilter(person, resolver) if person else None
        if chosen is not None and chosen.note:
            err_console.print(chosen.note, highlight=False, soft_wrap=True)
        filters = Filters(
            sources=split_values(source or []),
            types=split_values(type_ or []),
            events=split_values(event or []),
            user_ids=frozenset(user_id or []),
            anonymous_ids=frozenset(anonymous_id or []),
            extra=chosen,
        )
        replay = start is not None or last is not None
        follower = WalFollower(paths.wal, paths.events, project.keys, replay=replay, warn=_warn)
        shown = 0
        try:
            since_us = None if start is None else int(start * 1e6)
            for rows in follow(follower, filters, stop, since_us=since_us, last=last):
                if limit is not None:
                    rows = rows[: limit - shown]
                render = as_json if json_ else line
                sys.stdout.write("".join(render(r, resolver.resolve(r)) + "\n" for r in rows))
                sys.stdout.flush()
                shown += len(rows)
                if limit is not None and shown >= limit:
                    break
        except BrokenPipeError:  # piped into head: the reader has gone
            pass
        finally:
            follower.close()
            resolver.close()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal stop
        guard(go)


def _warn(message: str) -> None:
    err_console.print(f"Warning: {message}", highlight=False, soft_wrap=True)


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM stops the loop like Ctrl-C: the line being written is finished."""

    def handle(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)
