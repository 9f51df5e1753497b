"""A changed identifier on an ad platform is a removal then an addition: platforms match
hashed identifiers and have no update, so the old hashes must go. Tested against the
fake Meta and Google servers, and a crash between the removal and the addition."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from activate.fakes.google_ads import FakeGoogleAds
from activate.fakes.meta import FakeMeta
from activate.fakes.server import serve
from helpers.audience import Person, Recorder, set_people, write_project
from personae.activate.connectors.base import BatchResult, Change
from personae.activate.connectors.google_ads import GoogleCustomerMatchConnector, user_identifiers
from personae.activate.connectors.meta import MetaAudienceConnector, meta_row
from personae.activate.connectors.registry import open_connector
from personae.activate.sync import Options, run_destination
from personae.project import Project

T0 = dt.datetime(2026, 5, 1, 9, 0)
TOKEN = "EAAB-test-token"
AUDIENCE = "2385000000001"
ACCESS, DEVELOPER = "ya29.test", "dev-token"

DESTINATIONS = """
  fb:
    type: meta_audience
    audience: vip
    purpose: advertising
    fields: [email, first_name]
    audience_id: "2385000000001"
    base_url: META_URL
    backoff_seconds: 0
  gads:
    type: google_customer_match
    audience: vip
    purpose: advertising
    fields: [email]
    customer_id: 123-456-7890
    user_list_id: "555"
    base_url: GOOGLE_URL
    backoff_seconds: 0
  crm:
    type: webhook
    audience: vip
    url: http://127.0.0.1:9/hook
    fields: {Email: email, Prenom: first_name}
    purpose: email_marketing
"""


class Killed(BaseException):
    """The process dies (not an error a sync could catch)."""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Platforms:
    root: Path
    meta: FakeMeta
    google: FakeGoogleAds

    def meta_emails(self) -> list[str]:
        return sorted(m["EMAIL"] for m in self.meta.audiences[AUDIENCE])

    def google_emails(self) -> list[str]:
        return sorted(
            json.loads(x)["hashedEmail"] for member in self.google.user_lists["555"] for x in member
        )


@pytest.fixture
def platforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platforms]:
    monkeypatch.setenv("META_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("GOOGLE_ADS_ACCESS_TOKEN", ACCESS)
    monkeypatch.setenv("GOOGLE_ADS_DEVELOPER_TOKEN", DEVELOPER)
    meta = FakeMeta(TOKEN, audiences=(AUDIENCE,))
    google = FakeGoogleAds(ACCESS, DEVELOPER, customer_id="1234567890", user_lists=("555",))
    with serve(meta) as meta_url, serve(google) as google_url:
        text = DESTINATIONS.replace("META_URL", meta_url).replace("GOOGLE_URL", google_url)
        yield Platforms(write_project(tmp_path, text), meta, google)


def crowd() -> list[Person]:
    names = ("Ann", "Bea", "Cy")
    return [Person(i, f"p{i}@corp.fr", first_name=names[i - 1]) for i in range(1, 4)]


def counts(report: Any) -> tuple[int, int, int]:
    return (report.added, report.updated, report.removed)


@pytest.mark.parametrize("name", ["fb", "gads"])
def test_a_changed_email_removes_the_old_hash_and_adds_the_new(
    platforms: Platforms, name: str
) -> None:
    held = platforms.meta_emails if name == "fb" else platforms.google_emails
    with Project.load(platforms.root) as project:
        engine, config = project.engine, project.config
        people = crowd()
        set_people(engine, people)
        report = run_destination(engine, config, platforms.root, name, Options(now=T0))
        assert counts(report) == (3, 0, 0)
        assert held() == sorted(sha(f"p{i}@corp.fr") for i in (1, 2, 3))

        people[0].email = "P1.New@Corp.fr"
        set_people(engine, people)
        report = run_destination(engine, config, platforms.root, name, Options(now=T0))
        # no update: the old hash is removed, the new one added
        assert counts(report) == (1, 0, 1)
        assert held() == sorted([sha("p1.new@corp.fr"), sha("p2@corp.fr"), sha("p3@corp.fr")])
        payload = engine.scalar(
            "SELECT payload FROM destination_state WHERE destination = ? AND person_id = 1",
            [name],
        )
        assert json.loads(str(payload))["email"] == "P1.New@Corp.fr"
        # and nothing more next time
        again = run_destination(engine, config, platforms.root, name, Options(now=T0))
        assert counts(again) == (0, 0, 0)


def test_removal_and_addition_go_in_separate_requests_removals_first(
    platforms: Platforms,
) -> None:
    with Project.load(platforms.root) as project:
        engine, config = project.engine, project.config
        people = crowd()
        set_people(engine, people)
        run_destination(engine, config, platforms.root, "fb", Options(now=T0))
        people[0].email = "new1@corp.fr"
        people[1].first_name = "Bob"  # FN is an identifier at Meta too
        set_people(engine, people)
        before = len(platforms.meta.requests)
        run_destination(engine, config, platforms.root, "fb", Options(now=T0))
        methods = [r.method for r in platforms.meta.requests[before:]]
        assert methods == ["DELETE", "POST"]
        assert sorted(m["FN"] for m in platforms.meta.audiences[AUDIENCE]) == sorted(
            [sha("ann"), sha("bob"), sha("cy")]
        )


@dataclass
class Dies:
    """A connector whose process dies before its ``n``-th request."""

    inner: Any
    n: int
    calls: int = 0
    sent: list[list[tuple[str, int]]] = field(default_factory=list)

    @property
    def max_batch(self) -> int:
        return int(self.inner.max_batch)

    @property
    def identity_fields(self) -> tuple[str, ...]:
        return tuple(self.inner.identity_fields)

    def send(self, changes: Sequence[Change]) -> BatchResult:
        self.calls += 1
        if self.calls == self.n:
            raise Killed()
        self.sent.append([(c.kind, c.person_id) for c in changes])
        result: BatchResult = self.inner.send(changes)
        return result

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize(("name", "dies_at"), [("fb", 2), ("fb", 1), ("gads", 2)])
def test_a_crash_between_the_removal_and_the_addition_resumes(
    platforms: Platforms, name: str, dies_at: int
) -> None:
    held = platforms.meta_emails if name == "fb" else platforms.google_emails
    with Project.load(platforms.root) as project:
        engine, config = project.engine, project.config
        people = crowd()
        set_people(engine, people)
        run_destination(engine, config, platforms.root, name, Options(now=T0))
        people[0].email = "new1@corp.fr"
        set_people(engine, people)
        connector = Dies(open_connector(name, config.destinations[name], platforms.root), dies_at)
        with pytest.raises(Killed):
            run_destination(
                engine, config, platforms.root, name, Options(now=T0, connectors={name: connector})
            )
        if dies_at == 2:
            # the removal went through and was recorded; the addition did not
            assert connector.sent == [[("remove", 1)]]
            assert sha("p1@corp.fr") not in held() and sha("new1@corp.fr") not in held()
        else:
            assert sha("p1@corp.fr") in held()
        report = run_destination(engine, config, platforms.root, name, Options(now=T0))
        assert counts(report) == ((1, 0, 0) if dies_at == 2 else (1, 0, 1))
        assert held() == sorted([sha("new1@corp.fr"), sha("p2@corp.fr"), sha("p3@corp.fr")])
        assert engine.rows(
            "SELECT status FROM destination_runs WHERE destination = ? ORDER BY started_at, rowid",
            [name],
        ) == [("ok",), ("interrupted",), ("ok",)]
        assert (
            engine.scalar("SELECT count(*) FROM destination_state WHERE destination = ?", [name])
            == 3
        )


class Keyed(Recorder):
    """An audience connector that knows members by their e-mail."""

    identity_fields: tuple[str, ...] = ("Email",)


def test_only_declared_identity_fields_turn_an_update_into_a_replacement(
    platforms: Platforms,
) -> None:
    with Project.load(platforms.root) as project:
        engine, config = project.engine, project.config
        people = crowd()
        set_people(engine, people)
        run_destination(
            engine, config, platforms.root, "crm", Options(now=T0, connectors={"crm": Keyed()})
        )
        people[0].first_name = "Anna"  # not an identifier: an update
        people[1].email = "new2@corp.fr"  # an identifier: removal, then addition
        set_people(engine, people)
        keyed = Keyed(max_batch=10)
        report = run_destination(
            engine, config, platforms.root, "crm", Options(now=T0, connectors={"crm": keyed})
        )
        assert counts(report) == (1, 1, 1)
        assert keyed.calls == 2  # the removal alone, then the rest
        assert [(c.kind, c.person_id, c.fields["Email"]) for c in keyed.received] == [
            ("remove", 2, "p2@corp.fr"),
            ("update", 1, "p1@corp.fr"),
            ("add", 2, "new2@corp.fr"),
        ]
        # a webhook (no identity fields) gets updates, as before
        people[2].email = "new3@corp.fr"
        set_people(engine, people)
        plain = Recorder(max_batch=10)
        report = run_destination(
            engine, config, platforms.root, "crm", Options(now=T0, connectors={"crm": plain})
        )
        assert plain.kinds() == [("update", 3)]


def test_identity_fields_are_what_each_platform_matches_on() -> None:
    # Meta's customer file has a city key (CT); Google's Customer Match takes no city
    assert "CT" in meta_row({"email": "a@b.fr", "city": "Lyon"})
    assert "city" in MetaAudienceConnector.identity_fields
    person = {
        "email": "a@b.fr",
        "first_name": "Ann",
        "last_name": "Lee",
        "country": "FR",
        "postcode": "69001",
    }
    assert user_identifiers({**person, "city": "Lyon"}) == user_identifiers(person)
    assert "city" not in GoogleCustomerMatchConnector.identity_fields
    for name in person:
        assert name in GoogleCustomerMatchConnector.identity_fields
        assert name in MetaAudienceConnector.identity_fields
