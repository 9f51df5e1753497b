"""The audit log (issue 17, item 7): append-only, hash-chained, without personal data."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from typer.testing import CliRunner

from helpers.collect import write_project
from personae.cli.context import audited_options
from personae.cli.main import app
from personae.protect.audit import GENESIS, AuditLog, entry_hash, key_actor, os_actor, record

runner = CliRunner()


def invoke(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(root), *args])
    return result.exit_code, result.output


def test_entries_chain_and_carry_who_what_when(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    first = log.record("privacy.erase", {"records": 12, "tables": 9})
    second = record(tmp_path, "privacy.access", {"records": 3}, actor=key_actor("ab12cd34"))
    assert first["seq"] == 1 and first["prev"] == GENESIS and first["actor"] == os_actor()
    assert second["seq"] == 2 and second["prev"] == first["hash"]
    assert second["actor"] == "key:ab12cd34" and second["hash"] == entry_hash(second)
    assert [e["action"] for e in log.entries(action="privacy")] == [
        "privacy.erase",
        "privacy.access",
    ]
    assert [e["seq"] for e in log.entries(actor="key:ab12cd34")] == [2]
    assert list(log.entries(action="privacy.eras")) == []
    assert log.verify() == ([], second["hash"])
    assert log.path.stat().st_mode & 0o777 == 0o600
    assert log.path.parent.stat().st_mode & 0o777 == 0o700


def test_changing_or_removing_an_entry_is_detected(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    for count in range(4):
        log.record("privacy.erase", {"records": count})
    lines = log.path.read_text().splitlines()

    altered = json.loads(lines[1])
    altered["details"]["records"] = 99
    log.path.write_text("\n".join([lines[0], json.dumps(altered), *lines[2:]]) + "\n")
    problems, _ = log.verify()
    assert [p.line for p in problems] == [2]
    assert "changed after it was written" in str(problems[0])

    log.path.write_text("\n".join([lines[0], *lines[2:]]) + "\n")  # entry 2 removed
    problems, _ = log.verify()
    assert problems and problems[0].line == 2 and "missing" in problems[0].message

    rehashed = json.loads(lines[1])  # a forger who recomputes the entry's own hash
    rehashed["details"]["records"] = 99
    rehashed["hash"] = entry_hash(rehashed)
    log.path.write_text("\n".join([lines[0], json.dumps(rehashed), *lines[2:]]) + "\n")
    problems, _ = log.verify()
    assert [p.line for p in problems] == [3]  # the next entry no longer follows it

    log.path.write_text("\n".join(lines) + "\n")
    assert log.verify()[0] == []


def test_concurrent_writers_keep_one_chain(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)

    def write() -> None:
        for _ in range(25):
            AuditLog(tmp_path).record("keys.create", {"key_id": "x"})

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    problems, _ = log.verify()
    assert problems == []
    assert [e["seq"] for e in log.entries()] == list(range(1, 101))


def test_cli_commands_key_changes_and_config_changes_are_recorded(tmp_path: Path) -> None:
    root = write_project(tmp_path, "collect:\n  sources: [web]\n")
    code, out = invoke(root, "keys", "create", "web")
    assert code == 0, out
    secret = out.strip().splitlines()[-1]
    key_id = secret.partition("_")[0]
    invoke(root, "keys", "rotate", key_id, "--grace", "1h")
    invoke(root, "keys", "revoke", key_id)
    (root / "personae.yml").write_text("collect:\n  sources: [web, app]\n")
    invoke(root, "keys", "list")
    invoke(root, "keys", "list")
    log = AuditLog(root)
    actions = [e["action"] for e in log.entries()]
    assert actions == [
        "cli.keys.create",
        "config.changed",
        "keys.create",
        "cli.keys.rotate",
        "keys.rotate",
        "cli.keys.revoke",
        "keys.revoke",
        "cli.keys.list",
        "config.changed",
        "cli.keys.list",
    ]
    entries = list(log.entries())
    assert {e["actor"] for e in entries} == {os_actor()}
    assert entries[0]["details"] == {
        "command": "keys create",
        "options": {"source": "web", "scope": "write"},
    }
    rotated = entries[4]["details"]
    assert rotated["replaces"] == key_id and rotated["grace_seconds"] == 3600
    assert entries[8]["details"]["previous_sha256"] == entries[1]["details"]["sha256"]
    text = log.path.read_text()
    assert secret not in text and secret.partition("_")[2] not in text
    code, out = invoke(root, "audit", "--action", "keys", "--limit", "2")
    assert code == 0 and out.count("\n") == 2 and "keys.revoke" in out
    code, out = invoke(root, "audit", "--verify")
    assert code == 0 and "intact" in out


def test_audit_verify_command_fails_on_a_tampered_log(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    log = AuditLog(root)
    log.record("privacy.erase", {"records": 1})
    log.record("privacy.erase", {"records": 2})
    lines = log.path.read_text().splitlines()
    log.path.write_text(lines[1] + "\n")
    code, out = invoke(root, "audit", "--verify")
    assert code == 1 and "altered" in out and "line 1" in out


def test_options_keep_ids_and_counts_never_values() -> None:
    kept = audited_options(
        {
            "email": "jane@example.com",
            "phone": "+33612345678",
            "user_id": "u-1",
            "source": "web",
            "full": True,
            "people": 1000,
            "debug": False,
            "since": None,
        }
    )
    assert kept == {
        "email": "<redacted>",
        "phone": "<redacted>",
        "user_id": "<redacted>",
        "source": "web",
        "full": True,
        "people": 1000,
    }


def test_nothing_is_recorded_outside_a_project(tmp_path: Path) -> None:
    code, _ = invoke(tmp_path, "keys", "list")
    assert code == 0
    assert not (tmp_path / ".personae" / "audit.jsonl").exists()
