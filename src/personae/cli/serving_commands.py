"""``personae serving publish|status``: the serving store the Profile API reads
(:mod:`personae.serving`). ``personae run`` publishes it at its end; ``publish`` does it
again from the warehouse as it stands (after ``personae segments``, or a config change).

Registered on the main app by ``register(app)``.
"""

from __future__ import annotations

import typer

from personae.cli.context import console, guard, open_project, project_root

serving_app = typer.Typer(help="The serving store the Profile API reads.")


def register(app: typer.Typer) -> None:
    """Add ``personae serving`` to ``app``."""
    app.add_typer(serving_app, name="serving")


@serving_app.command("publish")
def publish_command() -> None:
    """Publish the serving store from the warehouse, swapping it in atomically."""
    from personae.serving.publish import publish

    def go() -> None:
        with open_project() as project:
            report = publish(project)
        console.print(
            f"Published {report.persons:,} persons, {report.external_ids:,} external ids, "
            f"{report.events:,} events, {report.memberships:,} memberships and "
            f"{report.links:,} merged ids in {report.total_seconds:.1f} s "
            f"({report.bytes / 1e6:,.1f} MB{', encrypted' if report.encrypted else ''})",
            highlight=False,
            soft_wrap=True,
        )

    guard(go)


@serving_app.command("status")
def status_command() -> None:
    """When the serving store was last published, and what it holds."""
    from personae.project import STATE_DIR
    from personae.serving.store import describe

    def go() -> None:
        typer.echo(describe(project_root() / STATE_DIR))

    guard(go)
