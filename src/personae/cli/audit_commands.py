"""``personae audit``: read and verify the audit log (:mod:`personae.protect.audit`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from personae.cli.context import guard, project_root, since_option


def audit(
    action: Annotated[
        str | None,
        typer.Option(help="Only this action, or a family: keys, cli, privacy, config."),
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Only this actor: user:NAME or key:KEY_ID.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only entries from this ISO date/time (UTC) on.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show the last N entries (0: all).")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the entries as JSON lines.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Check the hash chain; exit 1 if an entry was altered."),
    ] = False,
) -> None:
    """Show who did what: CLI commands, key changes, config changes, privacy requests."""

    from personae.errors import PersonaeError
    from personae.protect.audit import AuditLog

    def go() -> None:
        log = AuditLog(project_root())
        if verify:
            problems, head = log.verify()
            for problem in problems:
                typer.echo(f"{log.path}: {problem}", err=True)
            if problems:
                raise PersonaeError(
                    f"the audit log was altered: {len(problems)} break(s) in its hash chain"
                )
            count = sum(1 for _ in log.entries())
            typer.echo(f"Audit log intact: {count} entries; head {head}")
            return
        start = since_option(since)
        entries = list(log.entries(action=action, actor=actor, since=start))
        if limit > 0:
            entries = entries[-limit:]
        if not entries:
            typer.echo("No audit entries match.")
        for entry in entries:
            if as_json:
                typer.echo(json.dumps(entry, ensure_ascii=False))
                continue
            details = json.dumps(entry["details"], ensure_ascii=False, separators=(",", ":"))
            typer.echo(
                f"{entry['seq']}\t{entry['at']}\t{entry['actor']}\t{entry['action']}\t{details}"
            )

    guard(go)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
