"""personae as a Spark application: ``spark-submit`` runs the CLI with its own master,
and what that process writes, another finds in the warehouse folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

from personae.cli import spark_submit
from personae.engine.spark import SparkEngine


def test_spark_submit_runs_the_pipeline(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    submit = shutil.which("spark-submit", path=str(bin_dir)) or shutil.which("spark-submit")
    if submit is None:
        pytest.skip("spark-submit is not installed")
    path = f"{bin_dir}:{os.environ['PATH']}"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PATH": path}
    env.pop("PYSPARK_GATEWAY_PORT", None)
    personae = [sys.executable, "-m", "personae"]
    subprocess.run([*personae, "init", str(tmp_path)], check=True, env=env)
    command = [submit, "--master", "local[1]", spark_submit.__file__, "--project", str(tmp_path)]
    command += ["--engine", "spark", "run"]
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # spark-submit's master prevails over the project's (local[2] by default)
    assert "master local[1]" in " ".join(done.stdout.split())
    # another process (here: this one, with an empty catalog) finds the tables
    engine = SparkEngine(
        str(tmp_path / ".personae" / "spark-warehouse"), master="local[1]", database="submitted"
    )
    assert engine.count("identity_map") == 4
    # the starter's two customers, each with their order (as on DuckDB)
    assert engine.scalar("SELECT count(DISTINCT person_id) FROM identity_map") == 2
