"""The README and the tutorial stay true: every ```bash block of README.md and
docs/tutorial.md runs, in order, as one shell session in an empty folder, with
``personae`` the CLI of this interpreter; every line of a ```text block of the tutorial
must appear in what the commands print. The Spark suite's promise (skipped, in one line,
without Java) is checked here too, since tests/spark is not collected then."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "README.md", ROOT / "docs" / "tutorial.md")

#: commands a test cannot run, with the reason; every other line runs as written
NOT_RUN = {
    "make ": "builds .venv and runs the demo or the whole suite: minutes, and CI runs them",
    "python3 -m venv": "the test already runs inside an environment with personae",
    ". .venv/bin/activate": "the test already runs inside an environment with personae",
    "pip install": "the test already runs inside an environment with personae",
    "personae serve": "a server that runs until stopped (tests/collect serves in-process)",
    "personae tail": "follows the collectors until stopped (tests/collect/test_tail.py runs it)",
}

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(path: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text()) if lang == language]


def script(path: Path) -> str:
    lines = []
    for block in blocks(path, "bash"):
        for line in block.splitlines():
            skipped = next((p for p in NOT_RUN if line.startswith(p)), None)
            lines.append(f"# not run: {line}" if skipped else line)
    return "\n".join(lines)


def run_shell(text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        "COLUMNS": "120",
        "PERSONAE_PYTHON": sys.executable,
    }
    prelude = 'set -euo pipefail\npersonae() { "$PERSONAE_PYTHON" -m personae "$@"; }\n'
    return subprocess.run(
        ["bash", "-c", prelude + text],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_command_block_runs_as_written(doc: Path, tmp_path: Path) -> None:
    result = run_shell(script(doc), tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{doc.name}: a command failed:\n{output[-4000:]}"
    assert "Traceback" not in output
    for block in blocks(doc, "text"):
        for line in block.splitlines():
            if line.strip():
                assert flat(line) in flat(output), f"{doc.name}: not printed: {line!r}"


def test_the_not_run_list_is_used_and_short() -> None:
    used = {p for doc in DOCS for line in script(doc).splitlines() for p in NOT_RUN if p in line}
    assert used == set(NOT_RUN)


def test_every_personae_command_in_the_docs_runs() -> None:
    """A command block that is not bash (and would not run) must not hide a command."""
    for doc in DOCS:
        for lang, body in FENCE.findall(doc.read_text()):
            if lang in ("", "sh", "shell", "console"):
                assert "personae " not in body, f"{doc.name}: mark this block ```bash"


def test_without_java_the_spark_suite_is_skipped_in_one_line(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(bin_dir)  # no java here
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/spark", "-p", "no:cacheprovider", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if "tests/spark skipped" in line]
    assert lines == [
        "tests/spark skipped: no Java runtime (Spark needs Java 17: "
        "apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
    ], result.stdout
    assert "failed" not in result.stdout and "error" not in result.stdout.lower()
