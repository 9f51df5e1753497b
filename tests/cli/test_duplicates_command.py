"""``personae duplicates``: the command registers and prints the merged accounts."""

from __future__ import annotations

from pathlib import Path

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


def test_personae_duplicates_runs_on_a_project(tmp_path: Path) -> None:
    from personae.cli.main import app as personae

    runner = CliRunner()
    assert runner.invoke(personae, ["init", str(tmp_path)]).exit_code == 0
    assert runner.invoke(personae, ["--project", str(tmp_path), "run"]).exit_code == 0
    result = runner.invoke(personae, ["--project", str(tmp_path), "duplicates"])
    assert result.exit_code == 0, result.output
    assert "No duplicate accounts" in result.output
