"""The consent ledger: source flags with their date and proof, Segment's consent spec on
collected events, unsubscribe events; rebuilt from raw on every run."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers.collect import ServeFactory
from personae.catalog import CONSENT_LEDGER
from personae.clean.records import CleanReport
from personae.errors import ConfigError
from personae.pipeline import run
from personae.project import Project

CONFIG = """
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {email: email}
    consent:
      - column: optin_email
        purpose: email_marketing
        at: {column: optin_date, format: "%d/%m/%Y"}
        proof: optin_form
      - {column: optin_sms, purpose: sms_marketing}
      - {column: stop, purpose: sms_marketing, meaning: opt_out}
  mailer:
    kind: events
    path: mailer.csv
    fields: {email: email}
    event:
      name_column: kind
      name_map: {unsub: Unsubscribed}
      timestamp: {column: at}
collect:
  flush_seconds: 60
consent:
  categories:
    C0004: [advertising, personalisation]
    Analytics: analytics
"""

CRM = """\
id,email,optin_email,optin_date,optin_form,optin_sms,stop
1,ann@example.com,oui,02/01/2024,form-7,1,
2,bob@example.com,non,,,maybe,1
3,cat@example.com,,,,,
"""

MAILER = """\
email,kind,at
ann@example.com,open,2024-02-01T10:00:00
ann@example.com,unsub,2024-03-01T10:00:00
"""


def ledger(project: Project) -> list[tuple[Any, ...]]:
    return project.engine.rows(
        f"SELECT source, record_id, purpose, channel, status, occurred_at, proof, via "
        f"FROM {CONSENT_LEDGER} ORDER BY source, record_id, purpose, channel, occurred_at, status"
    )


def write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(textwrap.dedent(text), encoding="utf-8")


def test_source_flags_unsubscribes_and_categories_land_in_the_ledger(
    serve: ServeFactory,
) -> None:
    s = serve(CONFIG)
    write(s.root, "crm.csv", CRM)
    write(s.root, "mailer.csv", MAILER)
    consent = {"categoryPreferences": {"C0004": True, "Analytics": False, "Other": True}}
    batch = [
        {
            "type": "track",
            "event": "Segment Consent Preference Updated",
            "userId": "u1",
            "messageId": "m1",
            "timestamp": "2024-04-01T00:00:00Z",
            "context": {"consent": consent},
        },
        {"type": "page", "userId": "u1", "messageId": "m2", "timestamp": "2024-04-02T00:00:00Z"},
    ]
    assert s.post("/v1/batch", {"batch": batch}).status_code == 200
    s.collector.flush()
    with Project.load(s.root) as project:
        report = run(project, ["ingest", "clean"])
        rows = ledger(project)
        clean = report.get("clean")
    crm = [r for r in rows if r[0] == "crm"]
    loaded = crm[1][5]
    assert crm == [
        # the date column parses, the proof column is kept
        (
            "crm",
            "1",
            "email_marketing",
            "email",
            "granted",
            dt.datetime(2024, 1, 2),
            "form-7",
            "column optin_email",
        ),
        ("crm", "1", "sms_marketing", "sms", "granted", loaded, None, "column optin_sms"),
        # 'non' withdraws; 'maybe' is no signal; an opt-out flag set withdraws
        ("crm", "2", "email_marketing", "email", "withdrawn", loaded, None, "column optin_email"),
        ("crm", "2", "sms_marketing", "sms", "withdrawn", loaded, None, "column stop"),
    ]
    assert [r[2:6] + r[7:] for r in rows if r[0] == "mailer"] == [
        ("email_marketing", "email", "withdrawn", dt.datetime(2024, 3, 1, 10), "event Unsubscribed")
    ]
    web = [(r[1], r[2], r[3], r[4], r[7]) for r in rows if r[0] == "web"]
    # one category grants two purposes on each of their channels; unknown categories and
    # messages without consent say nothing
    assert web == [
        ("m1", "advertising", "ads", "granted", "category C0004"),
        ("m1", "analytics", "web", "withdrawn", "category Analytics"),
        ("m1", "personalisation", "email", "granted", "category C0004"),
        ("m1", "personalisation", "web", "granted", "category C0004"),
    ]
    proof = next(r[6] for r in rows if r[0] == "web")
    assert '"C0004":true' in proof.replace(" ", "")
    assert isinstance(clean, CleanReport)
    assert clean.consent_signals == len(rows)


def test_a_changed_flag_is_a_later_signal_and_repeats_add_nothing(serve: ServeFactory) -> None:
    s = serve(CONFIG)
    write(s.root, "mailer.csv", "email,kind,at\n")
    write(s.root, "crm.csv", CRM)
    with Project.load(s.root) as project:
        run(project, ["ingest", "clean"])
    # bob now opts in to e-mail (a new version of record 2); ann's row changes elsewhere
    write(
        s.root,
        "crm.csv",
        CRM.replace("2,bob@example.com,non,", "2,bob@example.com,yes,").replace(
            "1,ann@example.com", "1,ANN@example.com"
        ),
    )
    with Project.load(s.root) as project:
        run(project, ["ingest", "clean"])
        rows = ledger(project)
    bob = [r[4] for r in rows if r[1] == "2" and r[2] == "email_marketing"]
    assert bob == ["withdrawn", "granted"]
    ann = [r for r in rows if r[1] == "1" and r[2] == "email_marketing"]
    assert len(ann) == 1


def test_the_ledger_follows_raw(serve: ServeFactory) -> None:
    """Derived from raw: a raw row that goes takes its consent rows with it."""
    s = serve(CONFIG)
    write(s.root, "mailer.csv", "email,kind,at\n")
    write(s.root, "crm.csv", CRM)
    with Project.load(s.root) as project:
        run(project, ["ingest", "clean"])
        project.engine.execute("DELETE FROM raw_crm WHERE _record_id = '1'")
        run(project, ["clean"])
        assert {r[1] for r in ledger(project)} == {"2"}


def test_an_undated_flag_counts_when_it_changes_or_comes_back(serve: ServeFactory) -> None:
    s = serve(CONFIG)
    write(s.root, "mailer.csv", "email,kind,at\n")
    versions = [
        "2,bob@example.com,non,,,1,1\n",  # sms opt-in and STOP at once
        "2,bob@example.com,non,,,1,\n",  # STOP cleared: says nothing; opt-in repeated
        # STOP again: a new withdrawal (another e-mail spelling: ingest keeps a row that
        # returns to an earlier version's exact bytes as unchanged)
        "2,Bob@example.com,non,,,1,1\n",
    ]
    header = "id,email,optin_email,optin_date,optin_form,optin_sms,stop\n"
    for version in versions:
        write(s.root, "crm.csv", header + version)
        with Project.load(s.root) as project:
            run(project, ["ingest", "clean"])
            rows = ledger(project)
    sms = [(r[4], r[7]) for r in rows if r[2] == "sms_marketing"]
    assert sorted(sms) == [
        ("granted", "column optin_sms"),
        ("withdrawn", "column stop"),
        ("withdrawn", "column stop"),
    ]


def test_a_missing_consent_column_is_named_with_the_columns_there_are(
    serve: ServeFactory,
) -> None:
    s = serve(CONFIG.replace("column: optin_sms,", "column: optin_smss,"))
    write(s.root, "mailer.csv", "email,kind,at\n")
    write(s.root, "crm.csv", CRM)
    with Project.load(s.root) as project, pytest.raises(ConfigError) as err:
        run(project, ["ingest", "clean"])
    message = str(err.value)
    assert "sources.crm.consent.1.column: no column 'optin_smss'" in message
    assert "did you mean 'optin_sms'?" in message
