"""Erasure reaches the destinations: each one holding the person is told to remove them
(with the fields it was last sent), a file destination is written again without them,
and the destinations' state and dead letters forget them."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.audience import Person, set_people, write_project
from helpers.receiver import Receiver, serve
from personae.activate.sync.runner import run_destination
from personae.catalog import DESTINATION_STATE
from personae.privacy.erasure import erase
from personae.privacy.person import Person as Subject
from personae.privacy.person import Selector
from personae.project import Project


def destinations(url: str, attempts: int = 6) -> str:
    return f"""
  hook:
    type: webhook
    audience: vip
    url: {url}
    secret_env: HOOK_SECRET
    fields: {{Email: email}}
    purpose: email_marketing
    backoff_seconds: 0.001
    max_attempts: {attempts}
  list:
    type: file
    audience: vip
    path: exports/vip.csv
    fields: [email]
    purpose: email_marketing
"""


def test_each_destination_holding_the_person_is_told_and_forgets_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    with serve(Receiver("s3cret")) as receiver:
        root = write_project(tmp_path, destinations(receiver.url))
        with Project.load(root) as project:
            engine, config = project.engine, project.config
            set_people(engine, [Person(i, f"p{i}@corp.fr") for i in (1, 2, 3)])
            for name in ("hook", "list"):
                run_destination(engine, config, root, name)
            assert "p2@corp.fr" in (root / "exports" / "vip.csv").read_text()

            dry = erase(project, Subject([2], []), Selector(person=2), dry_run=True)
            assert dry.destinations == {"hook": 1, "list": 1}
            report = erase(project, Subject([2], []), Selector(person=2))
            assert report.destinations == {"hook": 1, "list": 1}
            assert report.warnings == []
            assert engine.rows(f"SELECT count(*) FROM {DESTINATION_STATE} WHERE person_id = 2") == [
                (0,)
            ]
            assert engine.rows(f"SELECT count(*) FROM {DESTINATION_STATE}") == [(4,)]
    assert ("remove", 2, {"Email": "p2@corp.fr"}) in receiver.applied
    exported = (root / "exports" / "vip.csv").read_text()
    assert "p2@corp.fr" not in exported and "p1@corp.fr" in exported


def test_an_unreachable_destination_is_named_and_still_forgets_the_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    with serve(Receiver("s3cret")) as receiver:
        url = receiver.url
        root = write_project(tmp_path, destinations(url, attempts=1))
        with Project.load(root) as project:
            set_people(project.engine, [Person(i, f"p{i}@corp.fr") for i in (1, 2)])
            run_destination(project.engine, project.config, root, "hook")
    # the receiver is gone: the removal cannot be sent
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    with Project.load(root) as project:
        report = erase(project, Subject([2], []), Selector(person=2))
        assert report.destinations == {"hook": 1}
        (warning,) = report.warnings
        assert "destination 'hook': the removal was not sent" in warning
        assert "by hand" in warning
        assert project.engine.rows(
            f"SELECT count(*) FROM {DESTINATION_STATE} WHERE person_id = 2"
        ) == [(0,)]
