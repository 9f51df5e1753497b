"""``personae predictions backtest|explain|at-risk`` on a small demo (the backtest that CI
runs), and what a project declaring predictions says without their libraries."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from personae.cli.main import app
from personae.config.models import ProjectConfig
from personae.demo.config_file import config_text
from personae.pipeline import validate
from personae.profile.predict import lifetime
from personae.project import Project

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.fixture
def demo_copy(small_demo: Project, tmp_path: Path) -> Path:
    pytest.importorskip("pymc_marketing")
    root = tmp_path / "demo"
    shutil.copytree(small_demo.root, root, ignore=shutil.ignore_patterns("*.lock"))
    return root


def test_backtest_explain_and_at_risk_on_the_demo(demo_copy: Path) -> None:
    code, out = invoke("--project", str(demo_copy), "predictions", "backtest")
    assert code == 0, out
    assert "Backtest: fitted on the history before" in out
    for expected in ("orders", "revenue", "ROC AUC", "Reliability of churn_risk", "precision@5"):
        assert expected in out
    saved = list((demo_copy / ".personae" / "predictions" / "backtests").glob("*.json"))
    assert len(saved) == 1
    figures = json.loads(saved[0].read_text())
    assert figures["customers"] > 100
    assert 0.5 < figures["churn_auc"]["classifier"] <= 1
    assert len(figures["reliability"]) == 10
    # a second run compares with the first: the same data, no drift
    code, out = invoke("--project", str(demo_copy), "predictions", "backtest", "--json")
    assert code == 0, out
    again = json.loads(out)
    assert again["orders"]["mae"] == pytest.approx(figures["orders"]["mae"])
    history = demo_copy / ".personae" / "predictions" / "backtests.jsonl"
    assert len(history.read_text().splitlines()) == 2

    code, out = invoke("--project", str(demo_copy), "predictions", "at-risk", "--limit", "3")
    assert code == 0, out
    assert "High-value customers at risk" in out
    with Project.load(demo_copy) as project:
        person = project.engine.scalar(
            "SELECT person_id FROM predictions WHERE frequency >= 1 ORDER BY person_id LIMIT 1"
        )
    code, out = invoke("--project", str(demo_copy), "predictions", "explain", str(person))
    assert code == 0, out
    assert "Why: their history" in out and "days since the last" in out
    assert "What weighs most in churn_risk" in out

    code, out = invoke("--project", str(demo_copy), "predictions", "backtest", "--cutoff", "soon")
    assert code == 1 and "--cutoff 'soon' is not a date" in out


def test_the_demo_segments_and_journeys_use_predictions(small_demo: Project) -> None:
    pytest.importorskip("pymc_marketing")
    config = small_demo.config
    assert config.predictions is not None
    assert "winback_predicted" in config.journeys
    members = small_demo.engine.scalar(
        "SELECT count(*) FROM segment_membership WHERE segment = 'slipping_high_value'"
    )
    slipping = small_demo.engine.scalar(
        "SELECT count(*) FROM traits WHERE predicted_clv_12m > 150 AND churn_risk > 0.6"
    )
    assert members == slipping


def test_without_the_libraries_the_demo_leaves_predictions_out() -> None:
    text = config_text(dt.date(2026, 3, 1), predictions=False)
    assert "pip install 'personae[predict]'" in text
    parsed = yaml.safe_load(text)
    assert "predictions" not in parsed
    assert "slipping_high_value" not in parsed["segments"]
    assert "winback_predicted" not in parsed["journeys"]
    validate(ProjectConfig.model_validate(parsed), None)
    assert "predictions" in yaml.safe_load(config_text(dt.date(2026, 3, 1), predictions=True))


def test_a_project_declaring_predictions_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke("init", str(tmp_path))
    config = tmp_path / "personae.yml"
    config.write_text(
        config.read_text()
        + "\npredictions:\n  orders:\n    - {event: Order Completed, amount: revenue}\n"
    )
    real = lifetime.find_spec
    monkeypatch.setattr(
        lifetime,
        "find_spec",
        lambda name: None if name == "pymc_marketing" else real(name),
    )
    code, out = invoke("--project", str(tmp_path), "validate")
    assert code == 1
    assert "pip install 'personae[predict]'" in out and "missing: pymc_marketing" in out
