from __future__ import annotations

import mailbox
from pathlib import Path

from typer.testing import CliRunner

from helpers.small_demo import demo_receivers
from personae.cli.main import app
from personae.ui.accounts import Accounts

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_init_then_run_then_export(tmp_path: Path) -> None:
    code, out = invoke("init", str(tmp_path))
    assert code == 0, out
    code, out = invoke("--project", str(tmp_path), "run")
    assert code == 0, out
    assert "ingest" in out and "segments" in out
    out_file = tmp_path / "ids.csv"
    code, out = invoke("--project", str(tmp_path), "export", "identities", "--out", str(out_file))
    assert code == 0, out
    lines = out_file.read_text().splitlines()
    assert lines[0] == "source,record_id,person_id"
    assert len(lines) == 1 + 4  # two CRM rows and two orders
    code, out = invoke(
        "--project", str(tmp_path), "export", "segment", "buyers", "--out", str(tmp_path / "b.csv")
    )
    assert code == 0, out
    assert "Wrote 2 members" in out


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    code, out = invoke("--project", str(tmp_path), "run")
    assert code == 1
    assert out.strip().startswith("Error: personae.yml: not found")
    assert "Traceback" not in out


def test_unknown_segment_suggests_a_name(tmp_path: Path) -> None:
    invoke("init", str(tmp_path))
    invoke("--project", str(tmp_path), "run")
    code, out = invoke(
        "--project", str(tmp_path), "export", "segment", "buyer", "--out", str(tmp_path / "x.csv")
    )
    assert code == 1 and "did you mean 'buyers'?" in out


def test_status_reports_sources(tmp_path: Path) -> None:
    invoke("init", str(tmp_path))
    invoke("--project", str(tmp_path), "ingest")
    code, out = invoke("--project", str(tmp_path), "status")
    assert code == 0, out
    assert "crm" in out and "orders" in out


def test_status_lists_every_stage_and_what_it_built(tmp_path: Path) -> None:
    invoke("init", str(tmp_path))
    invoke("--project", str(tmp_path), "ingest")
    invoke("--project", str(tmp_path), "clean")
    code, out = invoke("--project", str(tmp_path), "status")
    assert code == 0, out
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("│ ")}
    assert "records" in lines["clean"] and "4/4" in lines["clean"]  # with consent_ledger
    assert "personae resolve" in lines["unify"] and "not run yet" in lines["unify"]
    assert "not run yet" in lines["segment"]


def test_demo_tells_the_story(tmp_path: Path) -> None:
    with demo_receivers():
        code, out = invoke("demo", "--people", "300", "--dir", str(tmp_path / "demo"))
    assert code == 0, out
    for expected in ("Records per source", "persons found", "Largest persons", "precision"):
        assert expected in out
    text = " ".join(out.split())  # rich wraps long lines
    assert "Evidence ceiling" in text and "of the true pairs; recall is" in text
    golden = text[text.index("Golden records vs ground truth") :]
    assert all(f in golden for f in ("first_name", "email", "phone", "address", "all fields"))
    assert "each stays a person of its own" in text
    after = out[out.index("Try next") :]
    explain = next(line.split() for line in after.splitlines() if " explain " in line)
    assert explain[:3] == ["personae", "--project", str(tmp_path / "demo")]
    assert invoke(*explain[1:])[0] == 0  # the suggested command runs as printed
    assert " export segment " in after and " serve" in after
    assert "vip_accessories" in out and "champions" in out

    # the demo activates: destinations synced, journeys run, with reasons for what was not sent
    activation = text[text.index("Activation") :]
    for destination in ("vip_csv", "crm_winback", "facebook_vip"):
        assert destination in activation
    assert "failed" not in activation
    assert "vip_welcome" in activation and "sent" in activation
    assert "no consent for email_marketing on email" in activation
    assert "first_email:" in activation and "facebook:added" in activation
    project = tmp_path / "demo"
    mails = mailbox.mbox(project / "received" / "mail.mbox")
    assert len(mails) > 0
    assert all(m["Subject"] and m["List-Unsubscribe"] for m in mails)
    hashed = (project / "exports" / "facebook_vip.csv").read_text().splitlines()
    assert hashed[0] == "person_id,email,phone,first_name,last_name,postcode"
    assert all(len(line.split(",")[1]) in (0, 64) for line in hashed[1:])
    assert " journeys why " in after and " destinations status" in after

    # the way into the web UI: an admin seeded (its password printed once) and a customer
    ui = text[text.index("Web UI:") :]
    password = ui.split("password ", 1)[1].split()[0]
    assert Accounts(project).verify("admin", password) is not None
    assert "/ui/persons/" in ui and "personae --project" in ui


def test_the_engine_option_overrides_the_project_engine(tmp_path: Path) -> None:
    from personae.project import Project

    invoke("init", str(tmp_path))
    assert Project.load(tmp_path).config.engine.type == "duckdb"
    chosen = Project.load(tmp_path, engine="spark").config.engine
    assert chosen.type == "spark"
    assert chosen.warehouse == ".personae/spark-warehouse"  # type: ignore[union-attr]
    code, out = invoke("--engine", "oracle", "--project", str(tmp_path), "status")
    assert code != 0 and "oracle" in out


def test_error_text_in_brackets_is_printed_not_read_as_markup(tmp_path: Path) -> None:
    invoke("init", str(tmp_path))
    invoke("--project", str(tmp_path), "run")
    out_file = str(tmp_path / "p.csv")
    code, out = invoke(
        "--project", str(tmp_path), "export", "profiles", "-o", out_file, "--fields", "email[spark]"
    )
    assert code == 1 and "no field 'email[spark]'" in out
