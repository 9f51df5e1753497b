"""``personae export postgres``: the single customer view written to a PostgreSQL schema
for BI tools and dbt (:mod:`personae.activate.postgres_export`)."""

from __future__ import annotations

from typing import Annotated

import typer

from personae.cli import render
from personae.cli.activate_commands import ChannelOption, PurposeOption
from personae.cli.context import console, guard, open_project


def export_postgres_cmd(
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="postgresql://user:${PASSWORD_VARIABLE}@host:5432/db; the password as a "
            "${VARIABLE} or ${file:path} placeholder, never in plain text.",
        ),
    ],
    schema: Annotated[
        str, typer.Option("--schema", help="The schema to write the tables to.")
    ] = "personae",
    tables: Annotated[
        str | None,
        typer.Option(
            "--tables",
            help="Comma-separated: profiles, identities, segment_members, segments (default: all).",
        ),
    ] = None,
    purpose: PurposeOption = None,
    channel: ChannelOption = None,
) -> None:
    """Write profiles, identities and segments to a PostgreSQL schema, replacing the
    previous tables in one transaction (views on them keep working)."""
    from personae.activate.postgres_targets import publish

    chosen = [t.strip() for t in tables.split(",") if t.strip()] if tables else None

    def go() -> None:
        with open_project() as project:
            report = publish(project, url, schema, chosen, purpose=purpose, channel=channel)
        written = ", ".join(f"{table} ({rows:,})" for table, rows in report.rows.items())
        line = f"Wrote {written} to {report.target} schema {schema} in {report.seconds:.1f}s"
        if report.purpose is not None:
            line += (
                f"; {render.plural(report.held_back, 'person')} held back for lack of consent "
                f"to {report.purpose} on {report.channel}"
            )
        console.print(line, highlight=False, soft_wrap=True)
        for table, views in report.kept.items():
            console.print(
                f"{table}: refilled in place, so the views reading it keep working: "
                f"{', '.join(views)}",
                highlight=False,
                soft_wrap=True,
            )

    guard(go)


def register(export_app: typer.Typer) -> None:
    """Add ``export postgres``."""
    export_app.command("postgres")(export_postgres_cmd)
