"""Meta Custom Audience sync against a local server enforcing the Marketing API's users
edge: payload shape, hashing, the 10,000 limit, OAuth errors and rate limits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from activate.fakes.meta import FakeMeta
from activate.fakes.server import serve, sync
from personae.activate.connectors.base import Change, PermanentError, TransientError
from personae.activate.connectors.meta import MetaAudienceConnector, meta_row
from personae.config.platforms import MetaAudienceDestination

TOKEN = "EAAB-test-token"
AUDIENCE = "2385000000001"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def meta() -> Iterator[tuple[FakeMeta, MetaAudienceConnector]]:
    fake = FakeMeta(TOKEN, audiences=(AUDIENCE,))
    with serve(fake) as url:
        config = MetaAudienceDestination(segment="vip", audience_id=AUDIENCE, base_url=url)
        connector = MetaAudienceConnector.from_config(
            config, path="destinations.fb", env={"META_ACCESS_TOKEN": TOKEN}
        )
        yield fake, connector


def test_identifiers_are_normalised_the_meta_way_then_sha256() -> None:
    row = meta_row(
        {
            "email": "  John.Doe@Example.COM ",
            "phone": "+33 6 12 34 56 78",
            "first_name": "Jean-Pierre",
            "last_name": "Éloïse",
            "postcode": "75 011",
            "country": "FR",
            "birth_date": "1980-04-02",
            "gender": "F",
        }
    )
    assert row == {
        "EMAIL": sha("john.doe@example.com"),
        "PHONE": sha("33612345678"),
        "FN": sha("jeanpierre"),
        "LN": sha("éloïse"),
        "ZIP": sha("75011"),
        "COUNTRY": sha("fr"),
        "DOBY": sha("1980"),
        "DOBM": sha("04"),
        "DOBD": sha("02"),
        "GEN": sha("f"),
    }
    # cities: a-z only; US zip codes: five digits
    assert meta_row({"city": "Saint-Étienne", "postcode": "94025-1234", "country": "US"}) == {
        "CT": sha("saintetienne"),
        "ZIP": sha("94025"),
        "COUNTRY": sha("us"),
    }
    # values hashed upstream (a destination's pseudonymise) are sent as they are
    assert meta_row({"email": sha("a@b.c")}) == {"EMAIL": sha("a@b.c")}


def test_members_are_added_and_removed_by_their_hashes(
    meta: tuple[FakeMeta, MetaAudienceConnector],
) -> None:
    fake, connector = meta
    sync(
        connector,
        [
            Change("add", 1, {"email": "ann@example.com", "phone": "+33612345678"}),
            Change("add", 2, {"email": "bob@example.com"}),
            Change("add", 3, {"phone": "+447700900123"}),
        ],
    )
    members = fake.audiences[AUDIENCE]
    assert {"EMAIL": sha("ann@example.com"), "PHONE": sha("33612345678")} in members
    assert {"EMAIL": sha("bob@example.com")} in members
    assert {"PHONE": sha("447700900123")} in members
    first = fake.requests[0]
    assert first.method == "POST"
    assert first.path == f"/v21.0/{AUDIENCE}/users"
    payload = first.form()["payload"][0]
    assert '"schema": ["EMAIL", "PHONE"]' in payload
    assert "ann@example.com" not in payload  # nothing leaves in clear

    sync(connector, [Change("remove", 2, {"email": "bob@example.com"})])
    assert {"EMAIL": sha("bob@example.com")} not in fake.audiences[AUDIENCE]
    assert len(fake.audiences[AUDIENCE]) == 2
    assert fake.requests[-1].method == "DELETE"


def test_batches_of_10000_and_the_server_refuses_more(
    meta: tuple[FakeMeta, MetaAudienceConnector],
) -> None:
    fake, connector = meta
    changes = [Change("add", i, {"email": sha(f"p{i}@example.com")}) for i in range(25_000)]
    assert sync(connector, changes) == {}
    assert len(fake.audiences[AUDIENCE]) == 25_000
    assert len(fake.requests) == 3
    with pytest.raises(PermanentError, match="at most 10000"):
        connector.send(changes[:10_001])


def test_rate_limit_error_80003_and_http_429_are_transient(
    meta: tuple[FakeMeta, MetaAudienceConnector],
) -> None:
    fake, connector = meta
    change = Change("add", 1, {"email": "ann@example.com"})
    fake.throttle()  # Meta's way: HTTP 400 with error code 80003
    with pytest.raises(TransientError, match="80003"):
        connector.send([change])
    from activate.fakes.server import Reply

    fake.fail_next(Reply(429, None, {"Retry-After": "12"}))
    with pytest.raises(TransientError) as error:
        connector.send([change])
    assert error.value.retry_after == 12
    connector.send([change])
    assert fake.audiences[AUDIENCE] == [{"EMAIL": sha("ann@example.com")}]


def test_an_invalid_token_is_permanent_and_names_the_variable() -> None:
    fake = FakeMeta(TOKEN, audiences=(AUDIENCE,))
    with serve(fake) as url:
        config = MetaAudienceDestination(segment="vip", audience_id=AUDIENCE, base_url=url)
        connector = MetaAudienceConnector.from_config(
            config, path="destinations.fb", env={"META_ACCESS_TOKEN": "expired"}
        )
        with pytest.raises(PermanentError) as error:
            connector.send([Change("add", 1, {"email": "ann@example.com"})])
    assert "code 190" in str(error.value)
    assert "META_ACCESS_TOKEN" in str(error.value)


def test_an_unknown_audience_is_permanent(meta: tuple[FakeMeta, MetaAudienceConnector]) -> None:
    fake, connector = meta
    fake.audiences.clear()
    with pytest.raises(PermanentError, match="does not exist"):
        connector.send([Change("add", 1, {"email": "ann@example.com"})])


def test_a_member_with_nothing_to_match_on_fails_alone(
    meta: tuple[FakeMeta, MetaAudienceConnector],
) -> None:
    fake, connector = meta
    result = connector.send(
        [
            Change("add", 1, {"email": "ann@example.com"}),
            Change("add", 2, {"loyalty_id": "L1"}),
            Change("add", 3, {"postcode": "75011", "country": "FR", "first_name": "Ann"}),
        ]
    )
    assert list(result.failed) == [2, 3]
    assert len(fake.audiences[AUDIENCE]) == 1


def test_new_identifiers_replace_the_old_ones_in_one_batch(
    meta: tuple[FakeMeta, MetaAudienceConnector],
) -> None:
    """A member whose e-mail changed (an identity field) is removed with the fields sent
    last and added with the new ones; removals go first, so the phone they share stays."""
    fake, connector = meta
    before = {"email": "ann@old.example", "phone": "+33612345678"}
    after = {"email": "ann@new.example", "phone": "+33612345678"}
    sync(connector, [Change("add", 1, before)])
    assert "email" in connector.identity_fields
    sync(connector, [Change("remove", 1, before), Change("add", 1, after)])
    assert fake.audiences[AUDIENCE] == [
        {"EMAIL": sha("ann@new.example"), "PHONE": sha("33612345678")}
    ]


def test_transient_graph_errors_and_5xx_are_retried_others_are_not(
    meta: tuple[FakeMeta, MetaAudienceConnector],
) -> None:
    from activate.fakes.server import Reply

    fake, connector = meta
    change = Change("add", 1, {"email": "ann@example.com"})
    unknown = {"error": {"message": "An unknown error occurred", "code": 1, "is_transient": True}}
    fake.fail_next(Reply(500, unknown))
    with pytest.raises(TransientError, match="code 1"):
        connector.send([change])
    fake.fail_next(Reply(502, None))
    with pytest.raises(TransientError, match="502"):
        connector.send([change])
    invalid = {"error": {"message": "Invalid parameter", "code": 100, "error_subcode": 1870034}}
    fake.fail_next(Reply(400, invalid))
    with pytest.raises(PermanentError, match="Invalid parameter"):
        connector.send([change])
