"""``personae serve``, ``personae keys …`` and ``personae collect …``.

Registered on the main app by :func:`register`; every command runs under the CLI's
error handler (``Error: …`` and exit 1, traceback with ``--debug``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from personae.cli import render
from personae.cli.context import err_console, guard, project_root, since_option

keys_app = typer.Typer(
    help="API keys (stored only as hashes): write keys per source, read and admin keys."
)
collect_app = typer.Typer(help="The collection API's files: signed URLs, loading.")


def _root() -> Path:
    return project_root()


def _config() -> Any:
    from personae.config import load_config

    return load_config(_root())


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    collector_id: Annotated[
        str | None,
        typer.Option(help="Names this collector's files (default: collect.collector_id)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes behind the port, each with its own write-ahead log "
            "(default: the number of CPUs).",
        ),
    ] = None,
) -> None:
    """Serve the Segment-compatible collection API and the Profile API (/v1/profiles) on
    the project (SIGTERM stops it)."""
    from personae.collect.server import serve as run_server
    from personae.pipeline import run_pipeline_once
    from personae.serving.api import MOUNTS

    count = workers or os.cpu_count() or 1

    def go() -> None:
        from personae.project import Project
        from personae.stream.process import StreamProcess, stream_wanted, trigger_ticks

        with Project.load(_root()) as project:
            streaming = StreamProcess(project.root) if stream_wanted(project) else None
            ticks = trigger_ticks(project) if streaming is not None else []
        for started in (streaming, *ticks):
            if started is not None:
                started.start()
        try:
            _serve()
        finally:
            for running in (*ticks, streaming):
                if running is not None:
                    running.stop()

    def _serve() -> None:
        run_server(
            _root(),
            host=host,
            port=port,
            collector_id=collector_id,
            log_level=log_level,
            scheduled_run=run_pipeline_once,
            workers=count,
            mounts={**MOUNTS, "/ui": "personae.ui.mount:serve_app"},
            on_ready=lambda: err_console.print(
                f"personae serve: listening on http://{host}:{port} "
                f"({count} worker{'s' if count > 1 else ''})"
            ),
        )

    guard(go)


def _store() -> Any:
    from personae.collect.keys import KeyStore
    from personae.collect.paths import CollectPaths
    from personae.protect.audit import AuditLog

    return KeyStore(CollectPaths.of(_root()).keys, audit=AuditLog(_root()))


@keys_app.command("create")
def keys_create(
    source: Annotated[
        str | None, typer.Argument(help="The event source (write keys only).")
    ] = None,
    scope: Annotated[
        str,
        typer.Option(
            help="write: send events to SOURCE only; read: the profile API and UI; "
            "admin: privacy operations."
        ),
    ] = "write",
) -> None:
    """Create a key and print it (it is shown only once): a write key for SOURCE, or
    with --scope read|admin a key of that scope."""
    from personae.errors import ConfigError, PersonaeError
    from personae.protect.keys import SCOPES

    def go() -> None:
        if scope not in SCOPES:
            raise PersonaeError(f"--scope: no scope {scope!r}; use one of {', '.join(SCOPES)}")
        if scope != "write" and source:
            raise PersonaeError(
                f"a {scope} key belongs to no source: personae keys create --scope {scope}"
            )
        if scope == "write":
            if not source:
                raise PersonaeError(
                    "a write key belongs to one event source: personae keys create SOURCE"
                )
            from personae.config.loader import check_source_name

            check_source_name(source, path="keys create SOURCE")
            allowed = _config().collect.sources
            if allowed and source not in allowed:
                raise ConfigError(
                    f"unknown event source {source!r}; declare it in collect.sources "
                    f"(known: {', '.join(allowed)})",
                    path="collect.sources",
                )
        key, secret = _store().create(source, scope)
        what = f"for source {source}" if scope == "write" else f"with scope {scope}"
        err_console.print(f"Created key {key.key_id} {what}. Keep it:")
        typer.echo(secret)

    guard(go)


@keys_app.command("list")
def keys_list() -> None:
    """List the keys: id, scope, source, creation and expiry (never the secrets)."""

    def go() -> None:
        keys = _store().list()
        if not keys:
            typer.echo("No keys. Create one with: personae keys create SOURCE")
        for key in keys:
            expiry = f"expires {key.expires_at}" if key.expires_at else ""
            line = f"{key.key_id}\t{key.scope}\t{key.source or '-'}\t{key.created_at}\t{expiry}"
            typer.echo(line.rstrip())

    guard(go)


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The key id from keys list.")],
    grace: Annotated[
        str,
        typer.Option(help="How long the old key keeps working: 0 (default), 30m, 12h, 7d."),
    ] = "0",
) -> None:
    """Issue a successor of a key (same scope and source) and print its secret once; the
    old key stops now, or after --grace."""

    def go() -> None:
        new, secret, old = _store().rotate(key_id, parse_duration(grace, "--grace"))
        until = f"until {old.expires_at}" if grace.strip() not in ("0", "") else "no longer"
        err_console.print(
            f"Rotated {key_id}: new key {new.key_id} ({new.scope}"
            f"{', ' + new.source if new.source else ''}); the old one works {until}. Keep it:"
        )
        typer.echo(secret)

    guard(go)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id from keys list.")]) -> None:
    """Revoke a key: servers refuse it from the next second on."""

    def go() -> None:
        key = _store().revoke(key_id)
        typer.echo(f"Revoked {key.key_id} ({key.scope}{', ' + key.source if key.source else ''})")

    guard(go)


def parse_duration(text: str, option: str) -> dt.timedelta:
    """``0``, ``90s``, ``30m``, ``12h``, ``7d`` (a bare number is seconds)."""
    from personae.errors import PersonaeError

    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if match is None:
        raise PersonaeError(f"{option}: not a duration: {text!r}; write 0, 90s, 30m, 12h or 7d")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return dt.timedelta(seconds=int(match.group(1)) * unit)


@collect_app.command("sign-url")
def sign_url(
    source: Annotated[str, typer.Option(help="The event source of the opens/clicks.")],
    base: Annotated[
        str | None,
        typer.Option(help="Public base URL of personae serve (default: collect.public_url)."),
    ] = None,
    url: Annotated[str | None, typer.Option(help="Click destination (omit for a pixel).")] = None,
    user_id: Annotated[str | None, typer.Option(help="userId of the recipient.")] = None,
    anonymous_id: Annotated[str | None, typer.Option(help="anonymousId instead.")] = None,
    email: Annotated[str | None, typer.Option(help="The recipient's email.")] = None,
    campaign: Annotated[
        str | None, typer.Option(help="The campaign, a property of the recorded event.")
    ] = None,
    message_id: Annotated[
        str | None, typer.Option(help="The message's id, a property of the recorded event.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="Extra property NAME=VALUE (repeatable).")
    ] = None,
) -> None:
    """Print a signed tracking URL: a pixel, or with --url a click redirect."""
    from personae.collect.paths import CollectPaths
    from personae.collect.signing import load_secret, tracking_url
    from personae.errors import PersonaeError

    def go() -> None:
        params: dict[str, str] = {}
        for item in param or []:
            name, sep, value = item.partition("=")
            if not sep:
                raise PersonaeError(f"--param takes NAME=VALUE, got {item!r}")
            params[name] = value
        identity = {"userId": user_id, "anonymousId": anonymous_id, "email": email}
        params.update({k: v for k, v in identity.items() if v})
        ids = {"campaign": campaign, "message_id": message_id}
        params.update({k: v for k, v in ids.items() if v})
        if "userId" not in params and "anonymousId" not in params:
            raise PersonaeError("give --user-id or --anonymous-id: an event needs an identity")
        public = base or _config().collect.public_url
        if not public:
            raise PersonaeError(
                "give --base https://collect.example.com, or set collect.public_url in personae.yml"
            )
        secret = load_secret(CollectPaths.of(_root()).secret)
        kind = "click" if url else "open"
        typer.echo(tracking_url(secret, public, kind, source, params, url))

    guard(go)


@collect_app.command("load")
def collect_load() -> None:
    """Load collected Parquet files into raw_collected (under the warehouse lock)."""
    from personae.ingest.collected import load_collected
    from personae.lock import warehouse_lock
    from personae.project import Project

    def go() -> None:
        with warehouse_lock(_root()), Project.load(_root()) as project:
            result = load_collected(project)
        typer.echo(
            f"Loaded {render.plural(result.rows_loaded, 'event')} from "
            f"{render.plural(result.files, 'file')} "
            f"({render.plural(result.duplicates, 'duplicate')} skipped)"
        )

    guard(go)


def export_events_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="A .jsonl or .parquet file.")],
    since: Annotated[
        str | None, typer.Option(help="Only events from this ISO date/time on.")
    ] = None,
) -> None:
    """Export collected events with original payloads and corrected timestamps."""

    from personae.activate.events import export_events
    from personae.lock import warehouse_lock
    from personae.project import Project

    def go() -> None:
        start = since_option(since)
        with warehouse_lock(_root()), Project.load(_root()) as project:
            rows = export_events(project, out, start)
        typer.echo(f"Wrote {render.plural(rows, 'event')} to {out}")

    guard(go)


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``serve``, ``export events`` and the ``keys`` and ``collect`` sub-apps."""
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
    app.add_typer(collect_app, name="collect")
    if not any(c.name == "events" for c in export_app.registered_commands):
        export_app.command("events")(export_events_cmd)
