"""The personae CLI with the collect commands registered (for tests and subprocesses)."""

from __future__ import annotations

import typer

from personae.cli import collect_commands
from personae.cli.main import app


def cli() -> typer.Typer:
    if not any(c.name == "serve" for c in app.registered_commands):
        collect_commands.register(app)
    return app


if __name__ == "__main__":
    cli()()
