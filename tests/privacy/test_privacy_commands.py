"""``personae privacy export`` and ``erase`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from personae.cli.main import app
from personae.privacy.erasure import compaction_pending, erase
from personae.privacy.person import Person, Selector, find_person
from personae.project import Project
from personae.protect.audit import AUDIT_FILE, AuditLog, os_actor

runner = CliRunner()
CONFIG = """
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {email: email, user_id: id, first_name: first_name}
  orders:
    kind: events
    path: orders.csv
    record_id: order
    fields: {email: email}
    event: {name: Order Completed, timestamp: {column: at}}
"""


def _invoke(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(root), *args])
    return result.exit_code, result.output


def _project(root: Path) -> Path:
    (root / "personae.yml").write_text(CONFIG, encoding="utf-8")
    (root / "crm.csv").write_text("id,email,first_name\nu1,ann@x.org,Ann\nu2,bob@x.org,Bob\n")
    (root / "orders.csv").write_text(
        "order,email,at\no1,ANN@x.org,2026-01-02\no2,bob@x.org,2026-01-03\n"
    )
    assert _invoke(root, "run")[0] == 0
    return root


def test_export_then_erase_by_email(tmp_path: Path) -> None:
    root = _project(tmp_path)
    out = tmp_path / "ann.json"
    code, output = _invoke(root, "privacy", "export", "--email", "Ann@X.org", "--out", str(out))
    assert code == 0, output
    assert "sources.crm: 1 row" in output and "sources.orders: 1 row" in output
    data = json.loads(out.read_text())
    assert data["sources"]["orders"][0]["order"] == "o1"
    assert {v["field"] for v in data["profile_lineage"]} >= {"email", "first_name"}

    code, output = _invoke(root, "privacy", "erase", "--user-id", "u1", "--dry-run")
    assert code == 0 and "Would remove person" in output and "raw_crm: 1" in output
    code, output = _invoke(root, "privacy", "erase", "--user-id", "u1")
    assert code == 0 and "Removed person" in output, output
    code, output = _invoke(root, "privacy", "export", "--email", "ann@x.org", "--out", str(out))
    assert code == 1 and "no person found by email" in output
    assert "ann@x.org" not in output  # the message names the kind, not the value


def test_one_selector_exactly(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, output = _invoke(root, "privacy", "erase", "--email", "a@x.org", "--user-id", "u1")
    assert code == 1 and "exactly one of --email, --phone, --user-id or --person" in output
    code, output = _invoke(root, "privacy", "erase", "--email", "not an email")
    assert code == 1 and "is not an e-mail address" in output


def test_requests_are_audited_without_the_persons_values(tmp_path: Path) -> None:
    root = _project(tmp_path)
    out = tmp_path / "ann.json"
    code, output = _invoke(root, "privacy", "export", "--email", "ann@x.org", "--out", str(out))
    assert code == 0, output
    assert _invoke(root, "privacy", "erase", "--email", "ann@x.org", "--dry-run")[0] == 0
    code, output = _invoke(root, "privacy", "erase", "--email", "ann@x.org")
    assert code == 0, output

    log = AuditLog(root)
    (access,) = log.entries("privacy.access")
    assert access["actor"] == os_actor()
    assert access["details"]["selector"] == "by email"
    assert access["details"]["request_id"] == json.loads(out.read_text())["request_id"]
    assert access["details"]["rows"]["sources.crm"] == 1
    dry, done = log.entries("privacy.erase")
    assert (dry["details"]["dry_run"], done["details"]["dry_run"]) == (True, False)
    assert done["details"]["request_id"] in output
    assert done["details"]["selector"] == "by email"
    assert done["details"]["tables"]["raw_crm"] == 1
    assert done["details"]["suppressed_identifiers"] >= 2  # the e-mail and the user id
    assert log.verify()[0] == []
    text = (root / AUDIT_FILE).read_text()
    assert "ann@x.org" not in text.lower() and '"u1"' not in text and "Ann" not in text
    assert not (root / ".personae" / "privacy" / "erasures.jsonl").exists()  # no second log


def test_rows_loaded_since_the_last_run_go_by_value_in_any_spelling(tmp_path: Path) -> None:
    root = _project(tmp_path)
    with (root / "orders.csv").open("a") as orders:
        orders.write('o3," <Ann@X.ORG> ",2026-01-04\no4,bob@x.org,2026-01-05\n')
    (root / "crm.csv").write_text(
        "id,email,first_name\nu1,ann@x.org,Ann\nu2,bob@x.org,Bob\nu3,mailto:ANN@x.org,Ann\n"
    )
    assert _invoke(root, "ingest")[0] == 0  # loaded, not yet resolved into records
    code, output = _invoke(root, "privacy", "erase", "--email", "ann@x.org")
    assert code == 0, output
    assert "raw_orders: 2" in output and "raw_crm: 2" in output  # o1, o3; u1, u3
    code, output = _invoke(root, "run")
    assert code == 0, output
    code, output = _invoke(
        root, "privacy", "export", "--email", "bob@x.org", "--out", str(tmp_path / "b.json")
    )
    assert code == 0 and "sources.orders: 2 rows" in output, output  # bob's rows stay
    code, output = _invoke(
        root, "privacy", "export", "--user-id", "u3", "--out", str(tmp_path / "a.json")
    )
    assert code == 1 and "no person found" in output


def test_erase_from_file_compacts_once_and_reports_who_was_not_found(tmp_path: Path) -> None:
    root = _project(tmp_path)
    requests = tmp_path / "requests.txt"
    requests.write_text(
        "# this week's requests\nemail:ANN@x.org\n\nuser-id:u2\nemail:nobody@x.org\n"
        "phone:not a phone\n"
    )
    code, output = _invoke(root, "privacy", "erase", "--from-file", str(requests), "--dry-run")
    assert code == 0 and output.count("Would remove person") == 2, output
    code, output = _invoke(root, "privacy", "erase", "--from-file", str(requests), "--compact")
    assert code == 0, output
    assert output.count("Removed person") == 2 and "Erased 2 of 4 requests" in output
    assert "line 5: no person found by email" in output and "line 6:" in output
    assert "warehouse compacted" in output

    log = AuditLog(root)
    erasures = [e for e in log.entries("privacy.erase") if not e["details"]["dry_run"]]
    (compaction,) = log.entries("privacy.compact")
    assert compaction["details"]["request_ids"] == [e["details"]["request_id"] for e in erasures]
    assert compaction["seq"] > max(e["seq"] for e in erasures)
    code, output = _invoke(root, "privacy", "export", "--user-id", "u2", "--out", str(requests))
    assert code == 1 and "no person found" in output
    assert "nobody@x.org" not in (root / AUDIT_FILE).read_text()


def test_erase_from_file_says_which_line_is_wrong(tmp_path: Path) -> None:
    root = _project(tmp_path)
    requests = tmp_path / "requests.txt"
    requests.write_text("email:ann@x.org\nann@x.org\n")
    code, output = _invoke(root, "privacy", "erase", "--from-file", str(requests))
    assert code == 1 and "requests.txt, line 2: write one request a line as KIND:VALUE" in output
    assert "Removed person" not in output  # nothing erased before the whole file is read
    code, output = _invoke(
        root, "privacy", "erase", "--from-file", str(requests), "--email", "ann@x.org"
    )
    assert code == 1 and "either --from-file or one of --email" in output


def test_the_warehouse_is_compacted_only_when_rows_went(tmp_path: Path) -> None:
    root = _project(tmp_path)
    nobody = Person([424242], [])
    with Project.load(root) as project:
        report = erase(project, nobody, Selector(person=424242))
        assert report.rows == 0 and "compact" not in report.seconds
        ann = Selector(email="ann@x.org")
        report = erase(project, find_person(project, ann), ann, compact=False)
        assert report.rows and compaction_pending(project.state_dir)  # not finished
        report = erase(project, nobody, Selector(person=424242))  # catches up
        assert report.rows == 0 and "compact" in report.seconds
        assert not compaction_pending(project.state_dir)
    (compaction,) = AuditLog(root).entries("privacy.compact")
    erasures = [e["details"]["request_id"] for e in AuditLog(root).entries("privacy.erase")]
    assert len(erasures) == 3 and compaction["details"]["request_ids"] == erasures[1:]


def test_the_compaction_waits_for_the_next_run_unless_asked_for(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, output = _invoke(root, "privacy", "erase", "--email", "ann@x.org")
    assert code == 0 and "1 erasure(s) wait for the warehouse to be compacted" in output
    code, output = _invoke(root, "status")
    assert "1 erasure waiting for the warehouse to be compacted" in output
    assert _invoke(root, "run")[0] == 0  # a whole run ends with the compaction
    with Project.load(root) as project:
        assert not compaction_pending(project.state_dir)
    assert "waiting for the warehouse" not in _invoke(root, "status")[1]
    (compaction,) = AuditLog(root).entries("privacy.compact")
    (erasure,) = AuditLog(root).entries("privacy.erase")
    assert compaction["details"]["request_ids"] == [erasure["details"]["request_id"]]

    code, output = _invoke(root, "privacy", "erase", "--email", "bob@x.org", "--compact")
    assert code == 0 and "wait for the warehouse" not in output
    code, output = _invoke(root, "privacy", "compact")
    assert code == 0 and "0 erasure(s) were waiting" in output
