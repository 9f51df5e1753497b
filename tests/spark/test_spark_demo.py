"""``personae demo --engine spark``: the README's command, end to end on Spark."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("splink")

from typer.testing import CliRunner

from personae.cli.main import app
from personae.project import Project

#: whole-pipeline runs on generated data: `pytest -m 'not slow'` skips them
pytestmark = pytest.mark.slow


def test_demo_runs_on_spark_and_its_project_stays_on_spark(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "demo-spark"
    args = ["demo", "--engine", "spark", "--people", "120", "--dir", str(folder)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    for expected in ("persons found", "precision", "vip_accessories"):
        assert expected in result.output
    # the activation ran on Spark too: every destination synced, the journeys sent
    activation = " ".join(result.output[result.output.index("Activation") :].split())
    assert "Destinations" in activation and "failed" not in activation
    assert "Messages by campaign" in activation
    # the generated personae.yml names Spark, so later commands in the folder use it too
    assert Project.load(folder).config.engine.type == "spark"
    status = runner.invoke(app, ["--project", str(folder), "status"])
    assert status.exit_code == 0, status.output
    assert "spark (master" in " ".join(status.output.split())
    assert (folder / ".personae" / "spark-warehouse" / "identity_map").is_dir()
