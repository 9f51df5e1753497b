"""``personae report campaigns``: the terminal table, --model, --csv and --html on the
hand-computed warehouse of tests/helpers/attribution.py."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from typer.testing import CliRunner

from helpers.attribution import EVENT_ROWS, create_warehouse
from personae.cli.main import app
from personae.project import Project

runner = CliRunner()

CONFIG = """\
sources: {}
attribution:
  lookback: 7d
  half_life: 1d
  control_groups:
    welcome: 10%
"""


def project(tmp_path: Path, messages: bool = True) -> Path:
    (tmp_path / "personae.yml").write_text(CONFIG, encoding="utf-8")
    with Project.load(tmp_path) as loaded:
        create_warehouse(loaded.engine, messages=messages)
    return tmp_path


def report(root: Path, *args: str) -> str:
    from personae.cli.context import console

    # the console is made once per process: pin its width for the table's columns
    width = console._width
    console.width = 220
    try:
        result = runner.invoke(app, ["--project", str(root), "report", "campaigns", *args])
    finally:
        console._width = width
    assert result.exit_code == 0, result.output
    return result.output


def line_of(output: str, *words: str) -> str:
    return next(line for line in output.splitlines() if all(w in line for w in words))


def test_terminal_table_per_campaign_and_channel(tmp_path: Path) -> None:
    out = report(project(tmp_path))
    assert "attribution: first touch, lookback 7d" in out
    # sends, delivered, opens, clicks, visits, conversions, revenue, attributed
    cells = re.findall(r"[\d.,]+", line_of(out, "welcome", "email"))
    assert cells == ["2", "2", "1", "1", "0", "2", "150.00", "2.00", "150.00"]
    assert "4 conversions (260.00 revenue); 2 (150.00) had a touch in the 7d" in out
    uplift = line_of(out, "welcome", "pts")
    assert "2/2 (100.0%)" in uplift and "0/1 (0.0%)" in uplift and "+100.00 pts" in uplift


def test_model_option_changes_the_attributed_columns(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = report(root, "--model", "time_decay")
    assert "attribution: time decay" in out
    assert re.findall(r"[\d.,]+", line_of(out, "summer", "cpc"))[-1] == "53.33"
    out = report(root, "--model", "last")
    assert re.findall(r"[\d.,]+", line_of(out, "summer", "cpc"))[-1] == "100.00"


def test_unknown_model_is_refused_with_the_choices(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--project", str(project(tmp_path)), "report", "campaigns", "--model", "u"]
    )
    assert result.exit_code == 2
    assert "first, last, linear, time_decay" in result.output


def test_csv_holds_every_model(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = report(root, "--csv", str(tmp_path / "out" / "campaigns.csv"))
    assert "Wrote 3 rows to" in out
    with (tmp_path / "out" / "campaigns.csv").open(encoding="utf-8") as f:
        rows = {(r["campaign"], r["channel"]): r for r in csv.DictReader(f)}
    vip = rows["vip", "sms"]
    assert (vip["sends"], vip["delivered"], vip["failed"]) == ("2", "1", "1")
    assert float(vip["revenue_linear"]) == 25.0
    assert float(vip["revenue_time_decay"]) == 26.67
    assert float(rows["welcome", "email"]["conversions_time_decay"]) == 1.2


def test_html_report_is_self_contained_with_charts(tmp_path: Path) -> None:
    root = project(tmp_path)
    report(root, "--html", str(tmp_path / "report.html"))
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 2  # attributed revenue, uplift
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in html
    assert "welcome" in html and "Newcombe" in html
    assert "<title>welcome, time decay: 70.00</title>" in html


def test_campaign_names_are_escaped_in_html(tmp_path: Path) -> None:
    root = project(tmp_path)
    with Project.load(root) as loaded:
        loaded.engine.execute(
            "UPDATE activation_messages SET campaign = '<b>x</b>' WHERE campaign = 'vip'"
        )
    report(root, "--html", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_without_messages_the_report_says_so(tmp_path: Path) -> None:
    out = report(project(tmp_path, messages=False))
    assert "No message decisions yet" in out
    assert "summer" in out


def test_before_the_pipeline_ran_the_error_names_the_command(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(CONFIG, encoding="utf-8")
    result = runner.invoke(app, ["--project", str(tmp_path), "report", "campaigns"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "personae" in result.output and "first" in result.output


def test_no_campaign_yet_is_said_in_words(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(CONFIG, encoding="utf-8")
    with Project.load(tmp_path) as loaded:
        create_warehouse(loaded.engine, EVENT_ROWS[-4:], messages=False)  # orders only
    out = report(tmp_path)
    assert "No campaign touched anyone yet" in out
    assert "4 conversions in the data" in out
