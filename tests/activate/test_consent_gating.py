"""Every activation checks consent: grant -> sent; withdrawal -> held back on the next run."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers.collect import Served, ServeFactory
from personae.activate import sync_destinations, write_audience
from personae.activate.pseudonymise import sha256
from personae.cli.main import app
from personae.errors import ConfigError
from personae.pipeline import run
from personae.project import Project

CONFIG = """
sources: {}
collect:
  flush_seconds: 60
segments:
  everyone:
    all:
      - {trait: record_count, ">=": 1}
destinations:
  meta_ads:
    type: file
    segment: everyone
    path: out/meta.csv
    fields: [email]
    purpose: advertising
    pseudonymise: {mode: hash, platform: meta}
  newsletter:
    type: file
    segment: everyone
    path: out/newsletter.csv
    fields: [email, first_name]
    purpose: email_marketing
"""


def identify(user: str, email: str, at: str, preferences: dict[str, bool] | None) -> Any:
    message: dict[str, Any] = {
        "type": "identify",
        "userId": user,
        "messageId": f"{user}-{at}",
        "timestamp": at,
        "traits": {"email": email, "firstName": user.title()},
    }
    if preferences is not None:
        message["context"] = {"consent": {"categoryPreferences": preferences}}
    return message


def sync(s: Served, batch: list[Any]) -> dict[str, Any]:
    assert s.post("/v1/batch", {"batch": batch}).status_code == 200
    s.collector.flush()
    with Project.load(s.root) as project:
        run(project)
        return sync_destinations(project.engine, project.config, project.root)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_grant_sends_and_a_withdrawal_holds_back_on_the_next_run(serve: ServeFactory) -> None:
    s = serve(CONFIG)
    reports = sync(
        s,
        [
            identify("ann", "Ann@Corp.fr", "2024-05-01T10:00:00Z", {"Advertising": True}),
            identify("bob", "bob@corp.fr", "2024-05-01T10:00:00Z", None),
        ],
    )
    meta = reports["meta_ads"]
    assert [r["email"] for r in rows(s.root / "out/meta.csv")] == [sha256("ann@corp.fr")]
    assert (meta.rows, meta.held_back, meta.channel) == (1, 1, "ads")
    assert meta.pseudonymised == ["email"]
    # nobody opted in to e-mail marketing: nobody is sent, everybody is counted
    news = reports["newsletter"]
    assert (news.rows, news.held_back) == (0, 2)

    # ann withdraws (Segment's consent spec): the next run's export leaves her out
    withdrawal = {
        "type": "track",
        "event": "Segment Consent Preference Updated",
        "userId": "ann",
        "messageId": "ann-withdraws",
        "timestamp": "2024-05-02T10:00:00Z",
        "context": {"consent": {"categoryPreferences": {"Advertising": False}}},
    }
    reports = sync(s, [withdrawal])
    assert rows(s.root / "out/meta.csv") == []
    assert (reports["meta_ads"].rows, reports["meta_ads"].held_back) == (0, 2)


def test_a_destination_without_a_purpose_is_refused(serve: ServeFactory) -> None:
    s = serve(CONFIG.replace("    purpose: email_marketing\n", ""))
    with pytest.raises(ConfigError, match=r"destinations.newsletter.purpose: .*add the purpose"):
        sync(s, [identify("ann", "ann@corp.fr", "2024-05-01T10:00:00Z", None)])
    assert not (s.root / "out/newsletter.csv").exists()


def test_a_purpose_on_several_channels_needs_the_channel(serve: ServeFactory) -> None:
    s = serve(CONFIG)
    sync(s, [identify("ann", "ann@corp.fr", "2024-05-01T10:00:00Z", {"Personalization": True})])
    with Project.load(s.root) as project:
        sql = "SELECT person_id FROM profiles"
        out = s.root / "out/p.csv"
        with pytest.raises(ConfigError, match=r"several channels .*--channel web"):
            write_audience(project.engine, project.config, sql, out, purpose="personalisation")
        report = write_audience(
            project.engine, project.config, sql, out, purpose="personalisation", channel="email"
        )
    assert (report.rows, report.held_back) == (1, 0)


def test_the_cli_says_how_many_were_held_back(serve: ServeFactory) -> None:
    s = serve(CONFIG)
    sync(
        s,
        [
            identify("ann", "ann@corp.fr", "2024-05-01T10:00:00Z", {"Advertising": True}),
            identify("bob", "bob@corp.fr", "2024-05-01T10:00:00Z", None),
        ],
    )
    runner = CliRunner()
    result = runner.invoke(app, ["--project", str(s.root), "activate", "meta_ads"])
    assert result.exit_code == 0, result.output
    assert "meta_ads: ok; 0 added, 0 updated, 0 removed, 0 failed" in result.output
    assert (
        "1 member consented to advertising on ads, 1 person held back for lack of consent"
        in result.output
    )
    out = s.root / "masked.csv"
    result = runner.invoke(
        app,
        [
            "--project",
            str(s.root),
            "export",
            "segment",
            "everyone",
            "--out",
            str(out),
            "--purpose",
            "advertising",
            "--mask",
        ],
    )
    assert result.exit_code == 0, result.output
    assert [r["email"] for r in rows(out)] == ["a***@corp.fr"]
