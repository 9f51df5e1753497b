"""Mailchimp audience sync against a local server enforcing the Marketing API's shapes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from activate.fakes.mailchimp import FakeMailchimp, md5
from activate.fakes.server import serve, sync
from personae.activate.connectors.base import Change, PermanentError, TransientError
from personae.activate.connectors.mailchimp import MailchimpConnector, subscriber_hash
from personae.config.platforms import MailchimpDestination
from personae.errors import ConfigError

KEY = "0123456789abcdef0123456789abcdef-us6"


def connect(url: str, **options: object) -> MailchimpConnector:
    config = MailchimpDestination.model_validate(
        {"segment": "vip", "list_id": "a1b2c3", "base_url": f"{url}/3.0", **options}
    )
    return MailchimpConnector.from_config(
        config, path="destinations.newsletter", env={"MAILCHIMP_API_KEY": KEY}
    )


@pytest.fixture
def mailchimp() -> Iterator[tuple[FakeMailchimp, str]]:
    fake = FakeMailchimp(KEY)
    with serve(fake) as url:
        yield fake, url


def add(person: int, email: str, **fields: object) -> Change:
    return Change("add", person, {"email": email, **fields})


def test_members_are_subscribed_updated_and_archived(
    mailchimp: tuple[FakeMailchimp, str],
) -> None:
    fake, url = mailchimp
    connector = connect(url)
    sync(connector, [add(1, "Ann@Example.com", first_name="Ann"), add(2, "bob@example.com")])
    assert fake.subscribed("a1b2c3") == {
        "ann@example.com": {"FNAME": "Ann"},
        "bob@example.com": {},
    }
    sync(
        connector,
        [
            Change("update", 1, {"email": "ann@example.com", "first_name": "Anne"}),
            Change("remove", 2, {"email": "bob@example.com"}),
        ],
    )
    assert fake.subscribed("a1b2c3") == {"ann@example.com": {"FNAME": "Anne"}}
    assert md5("bob@example.com") not in fake.lists["a1b2c3"]  # archived: gone from the list
    # removing again (a retried batch) finds it gone, which is fine
    assert connector.send([Change("remove", 2, {"email": "bob@example.com"})]).failed == {}


def test_on_remove_unsubscribe_keeps_the_member_unsubscribed(
    mailchimp: tuple[FakeMailchimp, str],
) -> None:
    fake, url = mailchimp
    connector = connect(url, on_remove="unsubscribe")
    sync(connector, [add(1, "ann@example.com")])
    sync(connector, [Change("remove", 1, {"email": "ann@example.com"})])
    assert fake.lists["a1b2c3"][md5("ann@example.com")]["status"] == "unsubscribed"


def test_batches_of_500_and_the_server_refuses_501(mailchimp: tuple[FakeMailchimp, str]) -> None:
    fake, url = mailchimp
    connector = connect(url)
    changes = [add(i, f"p{i}@example.com") for i in range(1200)]
    assert sync(connector, changes) == {}
    assert len(fake.subscribed("a1b2c3")) == 1200
    assert [len(r.json()["members"]) for r in fake.requests] == [500, 500, 200]
    with pytest.raises(PermanentError, match="at most 500"):
        connector.send([add(i, f"q{i}@example.com") for i in range(501)])


def test_members_mailchimp_refuses_are_the_batchs_failures(
    mailchimp: tuple[FakeMailchimp, str],
) -> None:
    fake, url = mailchimp
    fake.compliance.add("gone@example.com")
    fake.required_merge.add("LNAME")
    result = connect(url).send(
        [
            add(1, "ann@example.com", last_name="Lee", favourite_colour="red"),
            add(2, "gone@example.com", last_name="Gone"),
            add(3, "x@y", last_name="Why"),
            add(4, "cat@example.com"),  # no last name, which the audience requires
        ]
    )
    assert set(result.failed) == {2, 3, 4}
    assert "compliance state" in result.failed[2]
    assert "ERROR_CONTACT_EXISTS" in result.failed[2]
    assert result.failed[4] == (
        "Your merge fields were invalid. LNAME: Please enter a value (ERROR_GENERIC)"
    )
    # a merge field the audience does not have is ignored, as Mailchimp does
    assert fake.subscribed("a1b2c3") == {"ann@example.com": {"LNAME": "Lee"}}


def test_429_is_transient_with_retry_after(mailchimp: tuple[FakeMailchimp, str]) -> None:
    fake, url = mailchimp
    connector = connect(url)
    fake.throttle(retry_after=7)
    with pytest.raises(TransientError) as error:
        connector.send([add(1, "ann@example.com")])
    assert error.value.retry_after == 7
    connector.send([add(1, "ann@example.com")])
    assert set(fake.subscribed("a1b2c3")) == {"ann@example.com"}


def test_a_wrong_key_is_permanent_and_names_the_variable(
    mailchimp: tuple[FakeMailchimp, str],
) -> None:
    _, url = mailchimp
    config = MailchimpDestination(segment="vip", list_id="a1b2c3", base_url=f"{url}/3.0")
    connector = MailchimpConnector.from_config(
        config, path="destinations.n", env={"MAILCHIMP_API_KEY": "wrong-us6"}
    )
    with pytest.raises(PermanentError) as error:
        connector.send([add(1, "ann@example.com")])
    assert "API Key Invalid" in str(error.value)
    assert "MAILCHIMP_API_KEY" in str(error.value)


def test_the_data_center_comes_from_the_key_or_the_config() -> None:
    config = MailchimpDestination(segment="vip", list_id="a1b2c3")
    connector = MailchimpConnector.from_config(
        config, path="destinations.n", env={"MAILCHIMP_API_KEY": KEY}
    )
    assert connector.base_url == "https://us6.api.mailchimp.com/3.0"
    with pytest.raises(ConfigError, match=r"destinations\.n\.server.*server: us6"):
        MailchimpConnector.from_config(
            config, path="destinations.n", env={"MAILCHIMP_API_KEY": "nosuffix"}
        )


def test_the_subscriber_hash_is_the_md5_of_the_lower_case_email() -> None:
    expected = hashlib.md5(b"ann@example.com").hexdigest()
    assert subscriber_hash("Ann@Example.COM") == expected
