"""Done when: with encryption on, a byte search of ``.personae/`` for any demo e-mail
finds nothing; every file personae wrote there is private; a key rotation re-encrypts it
all, and the old key opens nothing after it."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from personae.cli.main import app
from personae.project import Project
from personae.protect.encryption import KEY_ENV, MAGIC, NEW_KEY_ENV, new_master_key, rotation_marker
from personae.protect.files import loose_files

runner = CliRunner()
EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def demo_emails(project: Path) -> set[bytes]:
    """Every e-mail in the demo's source files (outside .personae/), as written there and
    lower-cased (as the clean stage stores them)."""
    found: set[bytes] = set()
    for path in (project / "data").rglob("*"):
        if path.is_file():
            found.update(EMAIL.findall(path.read_bytes()))
    lowered = {e.strip().lower() for e in found}
    # the local parts too: the matching model's term frequencies hold them
    local = {e.split(b"@")[0] for e in lowered if len(e.split(b"@")[0]) >= 10}
    return found | lowered | local


def plaintext_hits(state: Path, needles: set[bytes]) -> list[str]:
    hits = []
    for path in state.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits.extend(f"{path}: {n.decode()}" for n in needles if n in data)
    return hits


@pytest.fixture
def encrypted_demo(tmp_path: Path, master_key: str, loose_umask: None) -> Path:
    """The 300-person demo run with protect.encryption on, from a loose umask."""
    project = tmp_path / "demo"
    invoke("demo", "--people", "300", "--dir", str(project), "--generate-only")
    with (project / "personae.yml").open("a", encoding="utf-8") as config:
        config.write("\nprotect:\n  encryption: true\n")
    invoke("--project", str(project), "run")
    return project


@pytest.mark.slow
def test_demo_with_encryption_leaves_no_email_in_plaintext(encrypted_demo: Path) -> None:
    emails = demo_emails(encrypted_demo)
    assert len(emails) > 200
    state = encrypted_demo / ".personae"
    assert (state / "warehouse.duckdb").exists()
    assert plaintext_hits(state, emails) == []
    # compressed Parquet could hide a value from a byte search: check each file's form
    tf_tables = sorted(state.glob("models/*.tf_*.parquet"))
    assert tf_tables, "the demo trains a matching model with term frequencies"
    assert all(path.read_bytes().startswith(MAGIC) for path in tf_tables)
    with pytest.raises(duckdb.Error, match="encrypt"):
        duckdb.connect(str(state / "warehouse.duckdb"), read_only=True)
    with Project.load(encrypted_demo) as project:  # and the data is all there
        assert project.engine.count("profiles") > 200


@pytest.mark.slow
def test_demo_files_are_private_from_the_start(encrypted_demo: Path) -> None:
    state = encrypted_demo / ".personae"
    assert loose_files(state) == []
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "warehouse.duckdb").stat().st_mode) == 0o600
    output = invoke("--project", str(encrypted_demo), "protect", "check")
    assert "private to its owner" in output


@pytest.mark.slow
def test_rotation_re_encrypts_everything_and_retires_the_old_key(
    encrypted_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = os.environ[KEY_ENV]
    new = new_master_key()
    monkeypatch.setenv(NEW_KEY_ENV, new)
    output = invoke("--project", str(encrypted_demo), "protect", "rotate-key")
    assert "the warehouse" in output
    assert not rotation_marker(encrypted_demo).exists()
    # the old key opens nothing any more
    result = runner.invoke(app, ["--project", str(encrypted_demo), "status"])
    assert result.exit_code == 1
    assert "encrypted warehouse" in result.output
    # the new key opens everything, the data intact
    monkeypatch.setenv(KEY_ENV, new)
    with Project.load(encrypted_demo) as project:
        assert project.engine.count("profiles") > 200
    assert plaintext_hits(encrypted_demo / ".personae", demo_emails(encrypted_demo)) == []
    # rotating again from the retired key is refused with a message naming the fix
    monkeypatch.setenv(KEY_ENV, old)
    monkeypatch.setenv(NEW_KEY_ENV, new_master_key())
    result = runner.invoke(app, ["--project", str(encrypted_demo), "protect", "rotate-key"])
    assert result.exit_code == 1
    assert "with the current key" in result.output


@pytest.mark.slow
def test_an_interrupted_rotation_blocks_the_project_until_it_is_finished(
    encrypted_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personae.privacy import rotation

    new = new_master_key()
    monkeypatch.setenv(NEW_KEY_ENV, new)
    real_write = rotation.write_private
    calls = []

    def crash_on_third(path: Path, data: bytes, *, durable: bool = False) -> None:
        calls.append(path)
        if len(calls) == 3:  # the marker, one model file, then the crash
            raise OSError("power cut")
        real_write(path, data, durable=durable)

    monkeypatch.setattr(rotation, "write_private", crash_on_third)
    with pytest.raises(OSError, match="power cut"):
        runner.invoke(
            app, ["--project", str(encrypted_demo), "protect", "rotate-key"], catch_exceptions=False
        )
    assert rotation_marker(encrypted_demo).exists()
    result = runner.invoke(app, ["--project", str(encrypted_demo), "status"])
    assert result.exit_code == 1
    assert "key rotation was interrupted" in result.output
    monkeypatch.setattr(rotation, "write_private", real_write)
    output = invoke("--project", str(encrypted_demo), "protect", "rotate-key")
    # the warehouse and the model file rotated before the crash are not done twice
    assert "(1 already done)" in " ".join(output.split())
    assert "the warehouse" not in output
    monkeypatch.setenv(KEY_ENV, new)
    invoke("--project", str(encrypted_demo), "resolve")  # reads the model files: all open
    with Project.load(encrypted_demo) as project:
        assert project.engine.count("profiles") > 200


@pytest.mark.slow
def test_rotate_key_encrypts_a_project_written_in_plaintext(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secure_duckdb: None
) -> None:
    project = tmp_path / "demo"
    invoke("demo", "--people", "300", "--dir", str(project))
    state = project / ".personae"
    assert plaintext_hits(state, demo_emails(project)) != []  # the search finds them
    with (project / "personae.yml").open("a", encoding="utf-8") as config:
        config.write("\nprotect:\n  encryption: true\n")
    key = new_master_key()
    monkeypatch.setenv(KEY_ENV, key)
    refused = runner.invoke(app, ["--project", str(project), "run"])
    assert refused.exit_code == 1
    assert "protect rotate-key" in refused.output
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv(NEW_KEY_ENV, key)
    invoke("--project", str(project), "protect", "rotate-key")
    assert plaintext_hits(state, demo_emails(project)) == []
    monkeypatch.setenv(KEY_ENV, key)
    invoke("--project", str(project), "run")
    assert plaintext_hits(state, demo_emails(project)) == []


@pytest.mark.slow
def test_erasure_in_an_encrypted_project_keeps_every_file_sealed(encrypted_demo: Path) -> None:
    with Project.load(encrypted_demo) as project:
        (email,) = project.engine.rows(
            "SELECT email FROM profiles WHERE email IS NOT NULL ORDER BY person_id LIMIT 1"
        )[0]
    output = invoke("--project", str(encrypted_demo), "privacy", "erase", "--email", str(email))
    assert "Removed person" in output
    state = encrypted_demo / ".personae"
    # the model's term-frequency files were rewritten sealed, and the next run reads them
    assert all(p.read_bytes().startswith(MAGIC) for p in state.glob("models/*.tf_*.parquet"))
    invoke("--project", str(encrypted_demo), "run")
    with Project.load(encrypted_demo) as project:
        assert project.engine.count("profiles") > 200
        assert project.engine.rows(
            "SELECT count(*) FROM profiles WHERE email = ?", [str(email)]
        ) == [(0,)]
    assert plaintext_hits(state, demo_emails(encrypted_demo)) == []
