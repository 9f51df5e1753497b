"""Syncs as diffs, exactly accounted: adds, updates and removes across runs (segment
exits, consent withdrawals, erasures), batches of the connector's size, resumption after
a crash without re-sending what was acknowledged, dead letters and their replay, one
failing destination never stalling the others, schedules and the rate limit."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers.audience import Person, Recorder, runs, set_people, write_project
from personae.activate.connectors.base import PermanentError, TransientError
from personae.activate.sync import Options, due, retry_destinations, run_destinations, statuses
from personae.activate.sync.delivery import Pacer
from personae.activate.sync.runner import run_destination
from personae.cli.main import app
from personae.errors import ConfigError
from personae.project import Project

CRM = """
  crm:
    type: webhook
    audience: vip
    url: http://127.0.0.1:9/hook
    fields: {Email: email, Prenom: first_name}
    purpose: email_marketing
    backoff_seconds: 0
    max_attempts: 3
"""
T0 = dt.datetime(2026, 5, 1, 9, 0)


class Killed(BaseException):
    """The process dies (not an error a sync could catch)."""


def people(n: int) -> list[Person]:
    return [Person(i, f"p{i}@corp.fr", first_name=f"P{i}") for i in range(1, n + 1)]


def options(recorder: Recorder, at: dt.datetime = T0, **more: object) -> Options:
    return Options(now=at, connectors={"crm": recorder}, sleep=lambda s: None, **more)  # type: ignore[arg-type]


def test_each_run_sends_only_what_changed(tmp_path: Path) -> None:
    root = write_project(tmp_path, CRM)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        crowd = people(5)
        crowd[4].consent = False  # never sent
        set_people(engine, crowd)
        first = Recorder()
        report = run_destination(engine, config, root, "crm", options(first))
        assert first.kinds() == [("add", 1), ("add", 2), ("add", 3), ("add", 4)]
        assert first.calls == 2  # batches of max_batch = 2
        assert first.received[0].fields == {"Email": "p1@corp.fr", "Prenom": "P1"}
        assert (report.added, report.members, report.held_back) == (4, 4, 1)

        # nothing changed: nothing sent
        again = Recorder()
        report = run_destination(engine, config, root, "crm", options(again))
        assert again.received == [] and report.status == "ok"

        # p1 changes e-mail, p2 leaves the segment, p3 withdraws, p4 is erased, p5 consents
        crowd[0].email = "new@corp.fr"
        crowd[1].vip = False
        crowd[2].consent = False
        crowd[4].consent = True
        set_people(engine, [p for p in crowd if p.person_id != 4])
        third = Recorder()
        report = run_destination(engine, config, root, "crm", options(third))
        assert sorted(third.kinds()) == [
            ("add", 5),
            ("remove", 2),
            ("remove", 3),
            ("remove", 4),
            ("update", 1),
        ]
        assert third.kinds()[:3] == [("remove", 2), ("remove", 3), ("remove", 4)]
        removal = next(c for c in third.received if c.person_id == 3)
        assert removal.fields == {"Email": "p3@corp.fr", "Prenom": "P3"}  # what was sent last
        assert (report.added, report.updated, report.removed) == (1, 1, 3)
        assert runs(engine) == [
            ("crm", "ok", 4, 0, 0, 0),
            ("crm", "ok", 0, 0, 0, 0),
            ("crm", "ok", 1, 1, 3, 0),
        ]
        held = engine.rows(
            "SELECT person_id, payload FROM destination_state WHERE destination = 'crm' "
            "ORDER BY person_id"
        )
        assert [(p, json.loads(x)["Email"]) for p, x in held] == [
            (1, "new@corp.fr"),
            (5, "p5@corp.fr"),
        ]


def test_a_crash_mid_run_resumes_without_resending_what_was_acknowledged(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, CRM)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        set_people(engine, people(7))
        crashing = Recorder(fail_on={3: Killed()})
        with pytest.raises(Killed):
            run_destination(engine, config, root, "crm", options(crashing))
        assert crashing.kinds() == [("add", 1), ("add", 2), ("add", 3), ("add", 4)]
        assert runs(engine) == [("crm", "running", 0, 0, 0, 0)]

        resumed = Recorder()
        report = run_destination(engine, config, root, "crm", options(resumed))
        assert resumed.kinds() == [("add", 5), ("add", 6), ("add", 7)]
        assert report.added == 3
        delivered = [c.person_id for c in crashing.received + resumed.received]
        assert sorted(delivered) == list(range(1, 8))  # no loss, no duplicate
        assert [r[1] for r in runs(engine)] == ["interrupted", "ok"]
        # a connector error (not a crash) is recorded as a failed run, and also resumes
        set_people(engine, people(9))
        failing = Recorder(fail_on={1: RuntimeError("connection reset")})
        with pytest.raises(RuntimeError):
            run_destination(engine, config, root, "crm", options(failing))
        assert runs(engine)[-1][:2] == ("crm", "failed")
        last = Recorder()
        run_destination(engine, config, root, "crm", options(last))
        assert last.kinds() == [("add", 8), ("add", 9)]


def test_transient_failures_are_retried_and_refusals_become_dead_letters(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, CRM)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        set_people(engine, people(4))
        waits: list[float] = []
        recorder = Recorder(
            refuse={2: "invalid e-mail"},
            fail_on={1: TransientError("503", retry_after=7.0), 3: TransientError("timeout")},
        )
        opts = Options(now=T0, connectors={"crm": recorder}, sleep=waits.append)
        report = run_destination(engine, config, root, "crm", opts)
        assert recorder.calls == 4  # each batch tried twice
        assert waits[0] == 7.0  # Retry-After honoured
        assert 0 <= waits[1] <= 0  # backoff_seconds: 0
        assert (report.status, report.added, report.failed) == ("partial", 3, 1)
        letters = engine.rows(
            "SELECT person_id, change, reason, attempts FROM destination_dead_letters"
        )
        assert letters == [(2, "add", "refused: invalid e-mail", 2)]

        # the refused member is not re-sent by later runs while its payload is the same
        later = Recorder()
        run_destination(engine, config, root, "crm", options(later, T0 + dt.timedelta(hours=1)))
        assert later.received == []
        # `retry` replays it
        fixed = Recorder()
        (replay,) = retry_destinations(engine, config, root, None, options(fixed))
        assert fixed.kinds() == [("add", 2)]
        assert (replay.replayed, replay.added, replay.status) == (1, 1, "ok")
        assert engine.scalar("SELECT count(*) FROM destination_dead_letters") == 0


def test_retries_are_bounded_and_a_dead_destination_stops_the_run(tmp_path: Path) -> None:
    root = write_project(tmp_path, CRM)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        set_people(engine, people(6))
        down = Recorder(fail_on={i: TransientError("502 bad gateway") for i in range(1, 4)})
        report = run_destination(engine, config, root, "crm", options(down))
        assert down.calls == 3  # max_attempts: 3
        assert report.status == "failed"
        assert report.error is not None and "gave up after 3 tries: 502" in report.error
        assert "4 changes wait for the next run" in report.error
        reasons = engine.rows("SELECT reason FROM destination_dead_letters")
        assert [r[0][:20] for r in reasons] == ["gave up after 3 trie"] * 2
        # the next run sends the rest, and the batch that gave up too (not a refusal)
        up = Recorder(max_batch=10)
        run_destination(engine, config, root, "crm", options(up))
        assert sorted(p for _, p in up.kinds()) == [1, 2, 3, 4, 5, 6]
        assert engine.scalar("SELECT count(*) FROM destination_dead_letters") == 0


def test_a_permanent_error_dead_letters_the_batch_and_the_run_goes_on(tmp_path: Path) -> None:
    root = write_project(tmp_path, CRM)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        set_people(engine, people(4))
        recorder = Recorder(fail_on={1: PermanentError("400 bad request")})
        report = run_destination(engine, config, root, "crm", options(recorder))
        assert recorder.kinds() == [("add", 3), ("add", 4)]
        assert (report.status, report.added, report.failed) == ("partial", 2, 2)


FILE_AND_DEAD_HOOK = (
    CRM
    + """
  export:
    type: file
    audience: {consent: advertising}
    path: out/all.csv
    fields: [email]
"""
)


def test_one_failing_destination_never_stalls_the_others(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILE_AND_DEAD_HOOK)
    with Project.load(root) as project:
        set_people(project.engine, people(3))
    # nothing listens on port 9: every try of the webhook fails
    result = CliRunner().invoke(app, ["--project", str(root), "destinations", "run"])
    assert result.exit_code == 1
    assert "crm: failed; 0 added" in result.output
    assert "gave up after 3 tries" in result.output
    assert "export: ok; 3 added" in result.output
    assert "1 destination failed (crm); the others ran" in result.output
    assert (root / "out/all.csv").read_text().count("@corp.fr") == 3
    status = CliRunner().invoke(app, ["--project", str(root), "destinations", "status"])
    assert status.exit_code == 0, status.output
    assert "crm (webhook): last run failed at " in status.output
    assert "lag never synced; holds 0 members; 3 dead letters; 1 failed run" in status.output
    assert "  error: gave up after 3 tries: POST http://127.0.0.1:9/hook failed" in status.output
    assert "export (file): last run ok at" in status.output
    assert re.search(
        r"3 added, 0 updated, 0 removed, 0 failed; lag \d+s; holds 3 members", status.output
    )


def test_status_shows_last_runs_lag_and_failures(tmp_path: Path) -> None:
    root = write_project(tmp_path, CRM)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        set_people(engine, people(3))
        run_destination(engine, config, root, "crm", options(Recorder(refuse={3: "bounced"})))
        (found,) = statuses(engine, config, now=T0 + dt.timedelta(minutes=90))
        assert (found.last_status, found.added, found.failed) == ("partial", 2, 1)
        assert found.lag == dt.timedelta(minutes=90)
        assert (found.members, found.dead_letters, found.failed_runs) == (2, 1, 0)


def test_schedules_say_when_a_destination_is_due(tmp_path: Path) -> None:
    hourly = CRM + "    schedule: {every: 1h}\n"
    root = write_project(tmp_path, hourly)
    with Project.load(root) as project:
        engine, config = project.engine, project.config
        set_people(engine, people(2))
        assert due(engine, config, "crm", T0)  # never ran
        run_destinations(engine, config, root, only_due=True, options=options(Recorder()))
        assert not due(engine, config, "crm", T0 + dt.timedelta(minutes=59))
        assert due(engine, config, "crm", T0 + dt.timedelta(hours=1))
        skipped = run_destinations(
            engine, config, root, only_due=True, options=options(Recorder(), T0)
        )
        assert skipped == []
    root2 = write_project(tmp_path / "b", CRM + "    schedule: on_change\n")
    with Project.load(root2) as project:
        assert due(project.engine, project.config, "crm", T0)
    root3 = write_project(tmp_path / "c", CRM)
    with Project.load(root3) as project:
        assert not due(project.engine, project.config, "crm", T0)  # runs when named


def test_the_rate_limit_spaces_requests() -> None:
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    pacer = Pacer(4.0, sleep=sleep, clock=lambda: clock[0])
    for _ in range(5):
        pacer.wait()
    assert waits == [0.25, 0.25, 0.25, 0.25]


def test_rate_limits_and_audiences_are_validated(tmp_path: Path) -> None:
    root = write_project(tmp_path, CRM + "    rate_limit: 2/s\n")
    with Project.load(root) as project:
        assert project.config.destinations["crm"].requests_per_second == 2.0
    bad = write_project(tmp_path / "bad", CRM.replace("audience: vip", "audience: vips"))
    with pytest.raises(ConfigError, match=r"destinations.crm.audience: unknown segment 'vips'"):
        Project.load(bad)
    clash = write_project(
        tmp_path / "clash",
        CRM.replace("audience: vip", "audience: {consent: advertising}"),
    )
    with pytest.raises(ConfigError, match=r"sends people for advertising, but purpose says"):
        Project.load(clash)


def test_the_cli_runs_due_destinations_and_replays_dead_letters(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        FILE_AND_DEAD_HOOK.replace(
            "    fields: [email]\n", "    fields: [email]\n    schedule: on_change\n"
        ),
    )
    with Project.load(root) as project:
        set_people(project.engine, people(2))
    runner = CliRunner()
    due_only = runner.invoke(app, ["--project", str(root), "destinations", "run", "--due"])
    assert due_only.exit_code == 0, due_only.output
    assert due_only.output.startswith("export: ok; 2 added")
    assert "crm" not in due_only.output  # no schedule: runs only when named or with all
    nothing = runner.invoke(app, ["--project", str(root), "destinations", "retry"])
    assert nothing.exit_code == 0 and "No dead letters to replay." in nothing.output
    runner.invoke(app, ["--project", str(root), "destinations", "run", "crm"])
    retried = runner.invoke(app, ["--project", str(root), "destinations", "retry"])
    assert retried.exit_code == 1  # still nobody listening
    assert "crm: failed; 0 added, 0 updated, 0 removed, 2 failed (2 dead letters replayed)" in (
        retried.output
    )
    unknown = runner.invoke(app, ["--project", str(root), "destinations", "run", "crn"])
    assert unknown.exit_code == 1
    assert "no destination 'crn' in personae.yml; did you mean 'crm'?" in unknown.output
