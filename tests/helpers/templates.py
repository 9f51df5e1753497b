"""Run a template of `personae init --template NAME` on a fixture (tests/config/)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from personae.cli.main import app
from personae.engine import Engine
from personae.project import Project

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def csv_text(header: list[str], rows: list[dict[str, str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, restval="", delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        assert set(row) <= set(header), set(row) - set(header)
        writer.writerow(row)
    return out.getvalue()


def jsonl_text(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def init_template(tmp_path: Path, name: str) -> Path:
    project = tmp_path / name
    code, out = invoke("init", "--template", name, str(project))
    assert code == 0, out
    return project


def run_project(project: Path, files: dict[str, str]) -> str:
    for relative, text in files.items():
        path = project / relative
        assert path.parent.is_dir(), f"the template did not create {path.parent}"
        path.write_text(text, encoding="utf-8")
    code, out = invoke("--project", str(project), "run")
    assert code == 0, out
    return out


@contextmanager
def warehouse(project: Path) -> Iterator[Engine]:
    """The project's warehouse, closed after use."""
    loaded = Project.load(project)
    try:
        yield loaded.engine
    finally:
        loaded.close()


def person_of(engine: Engine) -> dict[tuple[str, str], int]:
    rows = engine.rows("SELECT source, record_id, person_id FROM identity_map")
    return {(source, record_id): person for source, record_id, person in rows}


def record(engine: Engine, source: str, record_id: str, *columns: str) -> tuple[Any, ...]:
    rows = engine.rows(
        f"SELECT {', '.join(columns)} FROM records WHERE source = ? AND record_id = ?",
        [source, record_id],
    )
    assert len(rows) == 1, (source, record_id, rows)
    return tuple(rows[0])


def quarantined(engine: Engine) -> list[tuple[str, str]]:
    return sorted(engine.rows("SELECT source, reason FROM quarantine"))
