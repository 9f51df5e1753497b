"""``personae serve``, ``personae keys …`` and ``personae collect …``.

Registered on the main app by :func:`register`; every command runs under the CLI's
error handler (``Error: …`` and exit 1, traceback with ``--debug``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from personae.cli import render
from personae.cli.context import err_console, guard, project_root

keys_app = typer.Typer(help="Write keys of the collection API (stored only as hashes).")
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
) -> None:
    """Serve the Segment-compatible collection API on the project (SIGTERM stops it)."""
    from personae.collect.server import serve as run_server
    from personae.pipeline import run_pipeline_once

    def go() -> None:
        run_server(
            _root(),
            host=host,
            port=port,
            collector_id=collector_id,
            log_level=log_level,
            scheduled_run=run_pipeline_once,
            on_ready=lambda: err_console.print(
                f"personae serve: listening on http://{host}:{port}"
            ),
        )

    guard(go)


@keys_app.command("create")
def keys_create(source: Annotated[str, typer.Argument(help="The event source.")]) -> None:
    """Create a write key for SOURCE and print it (it is shown only once)."""
    from personae.collect.keys import KeyStore
    from personae.collect.paths import CollectPaths
    from personae.errors import ConfigError

    def go() -> None:
        from personae.config.loader import check_source_name

        check_source_name(source, path="keys create SOURCE")
        allowed = _config().collect.sources
        if allowed and source not in allowed:
            raise ConfigError(
                f"unknown event source {source!r}; declare it in collect.sources "
                f"(known: {', '.join(allowed)})",
                path="collect.sources",
            )
        key, secret = KeyStore(CollectPaths.of(_root()).keys).create(source)
        err_console.print(f"Created key {key.key_id} for source {source}. Keep it:")
        typer.echo(secret)

    guard(go)


@keys_app.command("list")
def keys_list() -> None:
    """List the write keys (ids and sources, never the secrets)."""
    from personae.collect.keys import KeyStore
    from personae.collect.paths import CollectPaths

    def go() -> None:
        keys = KeyStore(CollectPaths.of(_root()).keys).list()
        if not keys:
            typer.echo("No write keys. Create one with: personae keys create SOURCE")
        for key in keys:
            typer.echo(f"{key.key_id}\t{key.source}\t{key.created_at}")

    guard(go)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id from keys list.")]) -> None:
    """Revoke a write key: the server refuses it from the next second on."""
    from personae.collect.keys import KeyStore
    from personae.collect.paths import CollectPaths

    def go() -> None:
        key = KeyStore(CollectPaths.of(_root()).keys).revoke(key_id)
        typer.echo(f"Revoked {key.key_id} ({key.source})")

    guard(go)


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
    import datetime as dt

    from personae.activate.events import export_events
    from personae.errors import PersonaeError
    from personae.lock import warehouse_lock
    from personae.project import Project

    def go() -> None:
        start = None
        if since:
            try:
                start = dt.datetime.fromisoformat(since)
            except ValueError:
                raise PersonaeError(f"--since: not an ISO date or time: {since!r}") from None
            if start.tzinfo is not None:
                start = start.astimezone(dt.UTC).replace(tzinfo=None)
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
