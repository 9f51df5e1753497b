"""The Spark suite needs a Java runtime. Without one it is skipped as a whole, and the
test summary says so in one line instead of failing every test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def java_runtime() -> str | None:
    """The ``java`` Spark would start: ``$JAVA_HOME/bin/java`` or the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


JAVA = java_runtime()
NO_JAVA = (
    "tests/spark skipped: no Java runtime (Spark needs Java 17: "
    "apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if JAVA is None and collection_path.name.startswith("test_"):
        return True
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if JAVA is None:
        terminalreporter.write_line(NO_JAVA)
