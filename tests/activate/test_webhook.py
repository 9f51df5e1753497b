"""Webhook destinations against a real HTTP receiver: batches signed as personae's
collector checks them, retries with backoff on injected failures, ``Retry-After``
honoured, and neither loss nor duplicate in what the receiver applied."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from helpers.audience import Person, set_people, write_project
from helpers.receiver import Receiver, serve
from personae.activate.connectors.base import Change, PermanentError
from personae.activate.connectors.webhook import WebhookConnector, member_key, retry_after
from personae.activate.sync import Options
from personae.activate.sync.runner import run_destination
from personae.config.destinations import WebhookDestination
from personae.errors import ConfigError
from personae.project import Project

T0 = dt.datetime(2026, 5, 1, 9, 0)


def hook(url: str, batch_size: int = 50) -> str:
    return f"""
  hook:
    type: webhook
    audience: vip
    url: {url}
    secret_env: HOOK_SECRET
    fields: {{Email: email}}
    purpose: email_marketing
    batch_size: {batch_size}
    backoff_seconds: 0.001
    max_attempts: 8
"""


def test_no_loss_and_no_duplicate_through_a_receiver_failing_one_request_in_ten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    with serve(Receiver("s3cret", failure_rate=0.1)) as receiver:
        root = write_project(tmp_path, hook(receiver.url, batch_size=25))
        with Project.load(root) as project:
            engine, config = project.engine, project.config
            crowd = [Person(i, f"p{i}@corp.fr") for i in range(1, 2001)]
            set_people(engine, crowd)
            first = run_destination(engine, config, root, "hook", Options(now=T0))
            for p in crowd[:100]:
                p.vip = False
            for p in crowd[100:150]:
                p.email = f"new{p.person_id}@corp.fr"
            set_people(engine, crowd)
            second = run_destination(engine, config, root, "hook", Options(now=T0))
    assert receiver.failures > 0 and receiver.bad_signatures == 0
    assert (first.status, first.added, first.failed) == ("ok", 2000, 0)
    assert (second.added, second.updated, second.removed) == (0, 50, 100)
    kinds = [(k, p) for k, p, _ in receiver.applied]
    assert len(kinds) == len(set(kinds)) == 2150  # each change applied exactly once
    assert sorted(p for k, p in kinds if k == "add") == list(range(1, 2001))
    assert sorted(p for k, p in kinds if k == "remove") == list(range(1, 101))
    updated = {p: f for k, p, f in receiver.applied if k == "update"}
    assert updated[101] == {"Email": "new101@corp.fr"}
    # some batches reached the receiver twice (their answer was lost): the keys dedupe them
    assert receiver.duplicates > 0


def test_retry_after_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    waits: list[float] = []
    with serve(Receiver("s3cret", throttle={1: "3"})) as receiver:
        root = write_project(tmp_path, hook(receiver.url))
        with Project.load(root) as project:
            set_people(project.engine, [Person(1, "ann@corp.fr")])
            report = run_destination(
                project.engine, project.config, root, "hook", Options(now=T0, sleep=waits.append)
            )
    assert report.added == 1 and receiver.requests == 2
    assert waits == [3.0]
    headers = receiver.headers[-1]
    assert headers["content-type"] == "application/json"
    assert headers["x-personae-signature"].startswith("t=")
    assert len(headers["idempotency-key"]) == 32


def test_the_body_and_keys() -> None:
    destination = WebhookDestination(audience="vip", url="http://127.0.0.1:1/h", purpose="x")
    connector = WebhookConnector("crm", destination)
    change = Change("add", 7, {"email": "a@b.fr"})
    batch, body = connector.body([change])
    data = json.loads(body)
    assert data == {
        "destination": "crm",
        "batch": batch,
        "sent_at": data["sent_at"],
        "changes": [
            {
                "type": "add",
                "person_id": 7,
                "key": member_key("crm", change),
                "fields": change.fields,
            }
        ],
    }
    # the key is the same for the same change, and differs for another change
    assert member_key("crm", Change("add", 7, {"email": "a@b.fr"})) == member_key("crm", change)
    assert member_key("crm", Change("remove", 7, {"email": "a@b.fr"})) != member_key("crm", change)
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after("soon") is None


def test_a_refused_request_is_permanent_and_a_missing_secret_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    destination = WebhookDestination(
        audience="vip", url="http://127.0.0.1:1/h", purpose="x", secret_env="HOOK_SECRET"
    )
    with pytest.raises(ConfigError, match=r"destinations.crm.secret_env: .*HOOK_SECRET"):
        WebhookConnector("crm", destination)
    monkeypatch.setenv("HOOK_SECRET", "right")
    with serve(Receiver("wrong")) as receiver:
        destination = WebhookDestination(
            audience="vip", url=receiver.url, purpose="x", secret_env="HOOK_SECRET"
        )
        connector = WebhookConnector("crm", destination)
        with pytest.raises(PermanentError, match="answered 401"):
            connector.send([Change("add", 1, {"email": "a@b.fr"})])
        connector.close()
