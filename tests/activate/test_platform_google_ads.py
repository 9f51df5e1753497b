"""Google Customer Match sync against a local server enforcing the Google Ads API's
offline user data jobs: create, addOperations (limits, partial failure), run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest

from activate.fakes.google_ads import FakeGoogleAds
from activate.fakes.server import serve, sync
from personae.activate.connectors.base import Change, PermanentError, TransientError
from personae.activate.connectors.google_ads import (
    MAX_IDENTIFIERS,
    GoogleCustomerMatchConnector,
    user_identifiers,
)
from personae.config.platforms import GoogleCustomerMatchDestination

ACCESS, DEVELOPER = "ya29.test", "dev-token"
ENV = {"GOOGLE_ADS_ACCESS_TOKEN": ACCESS, "GOOGLE_ADS_DEVELOPER_TOKEN": DEVELOPER}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ident(**identifier: object) -> str:
    return json.dumps(identifier, sort_keys=True)


@pytest.fixture
def google() -> Iterator[tuple[FakeGoogleAds, GoogleCustomerMatchConnector]]:
    fake = FakeGoogleAds(ACCESS, DEVELOPER, customer_id="1234567890", user_lists=("555",))
    with serve(fake) as url:
        config = GoogleCustomerMatchDestination(
            segment="vip", customer_id="123-456-7890", user_list_id="555", base_url=url
        )
        yield fake, GoogleCustomerMatchConnector.from_config(config, path="d.g", env=ENV)


def test_identifiers_follow_googles_normalisation() -> None:
    identifiers = user_identifiers(
        {
            "email": " Jane.Doe@GMail.com ",
            "phone": "+33612345678",
            "first_name": " Jane ",
            "last_name": "Doe",
            "country": "fr",
            "postcode": "75011",
        }
    )
    assert identifiers == [
        {"hashedEmail": sha("janedoe@gmail.com")},
        {"hashedPhoneNumber": sha("+33612345678")},
        {
            "addressInfo": {
                "hashedFirstName": sha("jane"),
                "hashedLastName": sha("doe"),
                "countryCode": "FR",
                "postalCode": "75011",
            }
        },
    ]
    # an address without its postcode cannot match: left out
    assert user_identifiers({"first_name": "Jane", "last_name": "Doe", "country": "FR"}) == []
    # every e-mail of the person, never more than 20 identifiers
    many = user_identifiers({"emails": [f"p{i}@example.com" for i in range(30)]})
    assert len(many) == MAX_IDENTIFIERS
    address = {"first_name": "Jane", "last_name": "Doe", "country": "FR", "postcode": "75011"}
    many = user_identifiers({"emails": [f"p{i}@example.com" for i in range(30)], **address})
    assert len(many) == MAX_IDENTIFIERS
    assert "addressInfo" in many[-1]


def test_the_list_changes_when_the_job_runs_at_the_end_of_the_sync(
    google: tuple[FakeGoogleAds, GoogleCustomerMatchConnector],
) -> None:
    fake, connector = google
    changes = [
        Change("add", 1, {"email": "ann@example.com", "phone": "+33612345678"}),
        Change("add", 2, {"email": "bob@example.com"}),
    ]
    connector.send(changes)
    assert fake.user_lists["555"] == []  # added to the job, not yet run
    connector.close()
    assert fake.user_lists["555"] == [
        {ident(hashedEmail=sha("ann@example.com")), ident(hashedPhoneNumber=sha("+33612345678"))},
        {ident(hashedEmail=sha("bob@example.com"))},
    ]
    (job,) = fake.jobs.values()
    assert job["status"] == "SUCCESS"
    assert job["consent"] == {"adUserData": "GRANTED", "adPersonalization": "GRANTED"}

    sync(connector, [Change("remove", 2, {"email": "bob@example.com"})])
    assert fake.user_lists["555"] == [
        {ident(hashedEmail=sha("ann@example.com")), ident(hashedPhoneNumber=sha("+33612345678"))}
    ]
    assert len(fake.jobs) == 2  # one job per sync and direction


def test_batches_fit_the_request_limit_and_the_server_refuses_more(
    google: tuple[FakeGoogleAds, GoogleCustomerMatchConnector],
) -> None:
    fake, connector = google
    assert connector.max_batch * MAX_IDENTIFIERS <= 100_000
    changes = [Change("add", i, {"email": sha(f"p{i}@example.com")}) for i in range(12_000)]
    assert sync(connector, changes) == {}
    assert len(fake.user_lists["555"]) == 12_000
    adds = [r for r in fake.requests if r.path.endswith(":addOperations")]
    assert [len(r.json()["operations"]) for r in adds] == [5000, 5000, 2000]

    emails = [f"x{j}@example.com" for j in range(20)]
    crowded = [Change("add", i, {"emails": [f"{i}{e}" for e in emails]}) for i in range(5001)]
    with pytest.raises(PermanentError, match="TOO_MANY_USER_IDENTIFIERS"):
        connector.send(crowded)


def test_members_google_refuses_fail_alone(
    google: tuple[FakeGoogleAds, GoogleCustomerMatchConnector],
) -> None:
    fake, connector = google
    address = {"first_name": "Ann", "last_name": "Lee", "postcode": "75011"}
    failed = sync(
        connector,
        [
            Change("add", 1, {"email": "ann@example.com"}),
            Change("add", 2, {**address, "country": "France"}),  # not an ISO code
            Change("add", 3, {"loyalty_id": "L-9"}),  # nothing to match on
        ],
    )
    assert set(failed) == {2, 3}
    assert "INVALID_COUNTRY_CODE" in failed[2]
    assert fake.user_lists["555"] == [{ident(hashedEmail=sha("ann@example.com"))}]


def test_429_is_transient_and_the_retry_lands(
    google: tuple[FakeGoogleAds, GoogleCustomerMatchConnector],
) -> None:
    fake, connector = google
    fake.throttle(retry_after=30)
    with pytest.raises(TransientError, match="RESOURCE_EXHAUSTED") as error:
        connector.send([Change("add", 1, {"email": "ann@example.com"})])
    assert error.value.retry_after == 30
    sync(connector, [Change("add", 1, {"email": "ann@example.com"})])
    assert fake.user_lists["555"] == [{ident(hashedEmail=sha("ann@example.com"))}]


def test_refused_credentials_are_permanent_and_named() -> None:
    fake = FakeGoogleAds(ACCESS, DEVELOPER)
    with serve(fake) as url:
        config = GoogleCustomerMatchDestination(
            segment="vip", customer_id="1234567890", user_list_id="555", base_url=url
        )
        env = {**ENV, "GOOGLE_ADS_DEVELOPER_TOKEN": "wrong"}
        connector = GoogleCustomerMatchConnector.from_config(config, path="d.g", env=env)
        with pytest.raises(PermanentError) as error:
            connector.send([Change("add", 1, {"email": "ann@example.com"})])
    assert "DEVELOPER_TOKEN_INVALID" in str(error.value)
    assert "GOOGLE_ADS_DEVELOPER_TOKEN" in str(error.value)


def test_an_unknown_user_list_is_permanent(
    google: tuple[FakeGoogleAds, GoogleCustomerMatchConnector],
) -> None:
    fake, connector = google
    fake.user_lists.clear()
    with pytest.raises(PermanentError, match="INVALID_USER_LIST_ID"):
        connector.send([Change("add", 1, {"email": "ann@example.com"})])


def test_a_refresh_token_is_traded_for_access_tokens_again_when_one_expires() -> None:
    fake = FakeGoogleAds("unknown-yet", DEVELOPER)
    with serve(fake) as url:
        config = GoogleCustomerMatchDestination(
            segment="vip",
            customer_id="1234567890",
            user_list_id="555",
            base_url=url,
            refresh_token_env="GOOGLE_ADS_REFRESH_TOKEN",
            token_url=f"{url}/token",
        )
        env = {
            "GOOGLE_ADS_DEVELOPER_TOKEN": DEVELOPER,
            "GOOGLE_ADS_REFRESH_TOKEN": "1//refresh",
            "GOOGLE_ADS_CLIENT_ID": "client-id",
            "GOOGLE_ADS_CLIENT_SECRET": "client-secret",
        }
        connector = GoogleCustomerMatchConnector.from_config(config, path="d.g", env=env)
        connector.send([Change("add", 1, {"email": "ann@example.com"})])
        assert fake.tokens_issued == 1
        fake.access_token = "expired"  # the hour is over
        connector.send([Change("add", 2, {"email": "bob@example.com"})])
        connector.close()
        assert fake.tokens_issued == 2
        assert len(fake.user_lists["555"]) == 2

        revoked = GoogleCustomerMatchConnector.from_config(
            config, path="d.g", env={**env, "GOOGLE_ADS_REFRESH_TOKEN": "1//revoked"}
        )
        with pytest.raises(PermanentError) as error:
            revoked.send([Change("add", 3, {"email": "cy@example.com"})])
    assert "invalid_grant" in str(error.value)
    assert "GOOGLE_ADS_REFRESH_TOKEN" in str(error.value)


def test_new_identifiers_replace_the_old_ones_removals_first(
    google: tuple[FakeGoogleAds, GoogleCustomerMatchConnector],
) -> None:
    fake, connector = google
    before = {"email": "ann@old.example", "phone": "+33612345678"}
    after = {"email": "ann@new.example", "phone": "+33612345678"}
    sync(connector, [Change("add", 1, before)])
    assert "email" in connector.identity_fields
    sync(connector, [Change("remove", 1, before), Change("add", 1, after)])
    assert fake.user_lists["555"] == [
        {ident(hashedEmail=sha("ann@new.example")), ident(hashedPhoneNumber=sha("+33612345678"))}
    ]


def test_a_concurrent_modification_is_transient_with_googles_retry_delay(
    google: tuple[FakeGoogleAds, GoogleCustomerMatchConnector],
) -> None:
    from activate.fakes.server import Reply

    fake, connector = google
    body = {
        "error": {
            "code": 409,
            "message": "Multiple requests were attempting to modify the same resource.",
            "status": "ABORTED",
            "details": [
                {"errors": [{"errorCode": {"databaseError": "CONCURRENT_MODIFICATION"}}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "45s"},
            ],
        }
    }
    fake.fail_next(Reply(409, body))
    with pytest.raises(TransientError, match="CONCURRENT_MODIFICATION") as error:
        connector.send([Change("add", 1, {"email": "ann@example.com"})])
    assert error.value.retry_after == 45
