"""``personae overrides list|add|remove|export``: the identity overrides of ``overrides.yml``
(written by the web UI and ``personae review``), and moving them into ``personae.yml``.

Registered on the main app by ``register(app)``; edits go through
:mod:`personae.unify.override_actions`, which records each in the audit log.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.markup import escape

from personae.cli.context import console, guard, project_root
from personae.config.overrides import OVERRIDE_KINDS as KINDS
from personae.errors import PersonaeError

overrides_app = typer.Typer(
    help="Identity overrides kept in overrides.yml: list, add, remove, export to personae.yml.",
    no_args_is_help=True,
)

KIND_HELP = f"One of {', '.join(KINDS)}."
VALUES_HELP = (
    "must_link / cannot_link: two records (source:record_id); merge_persons: two or more "
    "person ids; split_persons: a person id, then the records that leave it."
)


def register(app: typer.Typer) -> None:
    """Add ``personae overrides`` to ``app``."""
    app.add_typer(overrides_app, name="overrides")


def words_to_value(kind: str, words: list[str]) -> Any:
    """The override value the command-line words of ``kind`` stand for."""
    if kind not in KINDS:
        raise PersonaeError(f"unknown override kind {kind!r}; use one of {', '.join(KINDS)}")
    if kind in ("must_link", "cannot_link"):
        if len(words) != 2:
            raise PersonaeError(f"{kind} takes two records, e.g. crm:C1 shop:S9")
        return words
    numbers = words if kind == "merge_persons" else words[:1]
    for word in numbers:
        if not word.lstrip("-").isdigit():
            raise PersonaeError(f"{kind}: {word!r} is not a person id (a whole number)")
    if kind == "merge_persons":
        return [int(w) for w in words]
    if len(words) < 2:
        raise PersonaeError("split_persons takes a person id and its records, e.g. 42 web:E88")
    return {"person": int(words[0]), "records": words[1:]}


@overrides_app.command(name="list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
) -> None:
    """Show every identity override, from overrides.yml and personae.yml."""
    from personae.unify.override_actions import overrides

    def go() -> None:
        found = overrides(project_root())
        if as_json:
            for override in found:
                typer.echo(json.dumps(asdict(override)))
            return
        if not found:
            console.print("No identity overrides.")
        for override in found:
            console.print(f"{escape(override.describe())}  [dim]({override.file})[/]")

    guard(go)


@overrides_app.command(name="add")
def add_cmd(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    values: Annotated[list[str], typer.Argument(help=VALUES_HELP)],
) -> None:
    """Add an override to overrides.yml; the next run applies it."""
    from personae.unify.override_actions import add

    def go() -> None:
        override = add(project_root(), kind, words_to_value(kind, values))
        console.print(f"Added {escape(override.describe())} to {override.file}.")

    guard(go)


@overrides_app.command(name="remove")
def remove_cmd(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    values: Annotated[list[str], typer.Argument(help=VALUES_HELP)],
) -> None:
    """Remove an override from overrides.yml."""
    from personae.unify.override_actions import remove

    def go() -> None:
        override = remove(project_root(), kind, words_to_value(kind, values))
        console.print(f"Removed {escape(override.describe())} from {override.file}.")

    guard(go)


@overrides_app.command(name="export")
def export_cmd() -> None:
    """Move overrides.yml's overrides into personae.yml (comments kept), then empty it."""
    from personae.unify.override_actions import export

    def go() -> None:
        moved = export(project_root())
        if not moved:
            console.print("overrides.yml holds no override: nothing to export.")
            return
        console.print(f"Moved {len(moved)} override(s) into personae.yml (identity.overrides).")

    guard(go)
