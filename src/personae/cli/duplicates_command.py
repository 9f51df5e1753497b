"""``personae duplicates``: the accounts of one source merged into one person.

Registered on the main app by ``register(app)``; shares the CLI's error handling and
warehouse lock (:mod:`personae.cli.context`).
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from personae.cli.context import console, guard, open_project
from personae.unify.inspection import Duplicate, find_duplicates


def register(app: typer.Typer) -> None:
    """Add ``duplicates`` to ``app``."""
    app.command(name="duplicates")(duplicates_cmd)


def duplicates_cmd() -> None:
    """List persons holding two values of a limited identifier (double sign-ups in one
    source, merged by `on_conflict: merge_when_certain`), to clean the source system."""

    def go() -> None:
        with open_project() as project:
            render_duplicates(console, find_duplicates(project.engine, project.config))

    guard(go)


def render_duplicates(console: Console, found: list[Duplicate]) -> None:
    if not found:
        console.print("No duplicate accounts: no person holds more values than a limit allows.")
        return
    table = Table(
        "person", "source", "identifier", "value", "other value", "probability",
        title=f"Duplicate accounts ({len(found)})",
    )  # fmt: skip
    for d in found:
        table.add_row(
            str(d.person_id),
            d.source,
            d.id_type,
            d.value_a,
            d.value_b,
            "" if d.probability is None else f"{d.probability:.4f}",
        )
    console.print(table)
