"""Explain: the evidence holding a person together, and why two records are (not) one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from helpers.unify import Run, person_of, write_records
from personae.cli import identity_commands
from personae.cli import main as cli_main
from personae.config.identity import BlockedValues, IdentityConfig
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.unify.inspection import explain_person, explain_records


def test_explain_person_lists_the_shared_email(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "ann@mail.fr", "phone": "+33612345670"},
            {"source": "shop", "record_id": "B", "email": "ann@mail.fr"},
            {"source": "shop", "record_id": "C", "email": "ann@mail.fr"},
            {"source": "shop", "record_id": "D", "email": "bob@mail.fr"},
        ],
    )
    run()
    person = person_of(engine, "crm", "A")
    found = explain_person(engine, person)
    assert found.person_id == person
    assert [r.name for r in found.records] == ["crm:A", "shop:B", "shop:C"]
    assert found.records[0].identifiers == [("email", "ann@mail.fr"), ("phone", "+33612345670")]
    assert [str(link) for link in found.links] == [
        "value ann@mail.fr of type email links crm:A, shop:B, shop:C"
    ]
    with pytest.raises(NotFoundError):
        explain_person(engine, 999)


def test_explain_follows_a_merge_and_shows_history(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "ann@mail.fr"},
            {"source": "shop", "record_id": "B", "phone": "+33612345670"},
        ],
    )
    run()
    old_b = person_of(engine, "shop", "B")
    write_records(
        engine,
        [{"source": "shop", "record_id": "C", "email": "ann@mail.fr", "phone": "+33612345670"}],
        replace=False,
    )
    run(run_id="r2")
    found = explain_person(engine, old_b)
    assert found.requested_id == old_b and found.person_id != old_b
    assert found.retired_ids == [old_b]
    assert [h.action for h in found.history] == ["merge"]
    assert found.history[0].other_person_id == old_b


def test_explain_records_gives_the_chain(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "ann@mail.fr"},
            {"source": "crm", "record_id": "B", "email": "ann@mail.fr", "phone": "+33612345670"},
            {"source": "shop", "record_id": "C", "phone": "+33612345670"},
        ],
    )
    config = ProjectConfig()
    run(config)
    found = explain_records(engine, config, "crm:A", "shop:C")
    assert found.same_person
    assert [(s.from_record, s.id_type, s.id_value, s.to_record) for s in found.chain] == [
        ("crm:A", "email", "ann@mail.fr", "crm:B"),
        ("crm:B", "phone", "+33612345670", "shop:C"),
    ]


def test_explain_records_names_the_blocked_value_they_share(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "noreply@shop.fr", "first_name": "Ann"},
            {"source": "shop", "record_id": "B", "email": "noreply@shop.fr", "first_name": "Bob"},
        ],
    )
    config = ProjectConfig(
        identity=IdentityConfig(blocked=BlockedValues(literals=["noreply@shop.fr"]))
    )
    run(config)
    found = explain_records(engine, config, "crm:A", "shop:B")
    assert not found.same_person
    assert "different persons" in found.summary
    assert [(s.id_type, s.id_value) for s in found.shared] == [("email", "noreply@shop.fr")]
    assert found.shared[0].why is not None and found.shared[0].why.startswith("blocked")


def test_explain_records_names_a_cannot_link_drop(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "ann@mail.fr"},
            {"source": "shop", "record_id": "C", "email": "ann@mail.fr"},
        ],
    )
    config = ProjectConfig.model_validate(
        {"identity": {"overrides": {"cannot_link": [["crm:A", "shop:C"]]}}}
    )
    run(config)
    found = explain_records(engine, config, "crm:A", "shop:C")
    assert not found.same_person
    assert found.overrides == ["cannot_link [crm:A, shop:C]"]
    assert found.shared[0].why is not None and "cannot_link override" in found.shared[0].why
    assert explain_person(engine, person_of(engine, "crm", "A"), config).overrides == [
        "cannot_link [crm:A, shop:C]"
    ]


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _global(project: Annotated[Path, typer.Option("--project")] = Path(".")) -> None:
        cli_main.state.project_dir = project

    identity_commands.register(app)
    return app


def test_cli_explain_end_to_end(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli_main.app, ["init", str(tmp_path)]).exit_code == 0
    # a customer and a guest order sharing only an example.org address, which the
    # default patterns block
    with (tmp_path / "data" / "customers.csv").open("a") as crm:
        crm.write("3,jeanne.martin@example.org,,Jeanne,Roux,,,,FR,2026-01-05\n")
    with (tmp_path / "data" / "orders.csv").open("a") as orders:
        orders.write("A-3,jeanne.martin@example.org,,2026-03-05 10:00:00,10.00,shoes\n")
    result = runner.invoke(cli_main.app, ["--project", str(tmp_path), "run"])
    assert result.exit_code == 0, result.output
    app = _app()

    result = runner.invoke(
        app, ["--project", str(tmp_path), "explain", "--records", "crm:3", "orders:A-3"]
    )
    assert result.exit_code == 0, result.output
    assert "different persons" in result.output
    assert "jeanne.martin@example.org" in result.output and "blocked" in result.output

    result = runner.invoke(
        app, ["--project", str(tmp_path), "explain", "--records", "crm:2", "orders:A-2"]
    )
    assert result.exit_code == 0, result.output
    assert "are the same person" in result.output
    assert "customer_id=2" in result.output  # the strongest link: the CRM id on the order
    found = re.search(r"same person \((\d+)\)", result.output)
    assert found is not None

    result = runner.invoke(app, ["--project", str(tmp_path), "explain", found.group(1)])
    assert result.exit_code == 0, result.output
    assert "Records" in result.output and "Links" in result.output
    assert "A-2" in result.output and "paul.durand@mail.fr" in result.output

    result = runner.invoke(app, ["--project", str(tmp_path), "explain", "424242"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "424242" in result.output

    result = runner.invoke(app, ["--project", str(tmp_path), "explain"])
    assert result.exit_code == 1
