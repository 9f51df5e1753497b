"""``personae duplicates``: the command registers and prints the merged accounts."""

from __future__ import annotations

import typer
from rich.console import Console
from typer.testing import CliRunner

from personae.cli.duplicates_command import register, render_duplicates
from personae.unify.inspection import Duplicate


def test_the_report_lists_each_merged_account() -> None:
    console = Console(record=True, width=120)
    render_duplicates(console, [Duplicate(12, "crm", "customer_id", "C1", "C7", 0.99987)])
    text = console.export_text()
    assert "Duplicate accounts (1)" in text
    for shown in ("12", "crm", "customer_id", "C1", "C7", "0.9999"):
        assert shown in text


def test_no_duplicates_says_so() -> None:
    console = Console(record=True, width=120)
    render_duplicates(console, [])
    assert "No duplicate accounts" in console.export_text()


def test_register_adds_the_command() -> None:
    app = typer.Typer()
    register(app)
    app.command(name="other")(lambda: None)  # two commands: typer keeps the names
    result = CliRunner().invoke(app, ["duplicates", "--help"])
    assert result.exit_code == 0
    assert "double sign-ups" in result.output
