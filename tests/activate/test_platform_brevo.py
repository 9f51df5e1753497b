"""Brevo contact-list sync against a local server enforcing Brevo's documented API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from activate.fakes.brevo import FakeBrevo
from activate.fakes.server import Reply, serve, sync
from personae.activate.connectors.base import Change, PermanentError, TransientError
from personae.activate.connectors.brevo import BrevoConnector
from personae.config.platforms import BrevoDestination
from personae.errors import ConfigError

KEY = "xkeysib-0123456789abcdef"


@pytest.fixture
def brevo() -> Iterator[tuple[FakeBrevo, BrevoConnector]]:
    fake = FakeBrevo(KEY, lists=(7,))
    with serve(fake) as url:
        config = BrevoDestination(segment="vip", list_id=7, base_url=f"{url}/v3")
        yield (
            fake,
            BrevoConnector.from_config(
                config, path="destinations.news", env={"BREVO_API_KEY": KEY}
            ),
        )


def add(person: int, email: str, **fields: object) -> Change:
    return Change("add", person, {"email": email, **fields})


def test_additions_updates_and_removals_reach_the_list(
    brevo: tuple[FakeBrevo, BrevoConnector],
) -> None:
    fake, connector = brevo
    sync(
        connector,
        [
            add(1, "Ann@Example.com", first_name="Ann", last_name="Lee"),
            add(2, "bob@example.com", first_name="Bob", phone="+33612345678"),
        ],
    )
    assert fake.lists[7] == {"ann@example.com", "bob@example.com"}
    assert fake.contacts["ann@example.com"] == {"FIRSTNAME": "Ann", "LASTNAME": "Lee"}
    assert fake.contacts["bob@example.com"] == {"FIRSTNAME": "Bob", "SMS": "+33612345678"}

    sync(
        connector,
        [
            Change("update", 1, {"email": "ann@example.com", "first_name": "Anne"}),
            Change("remove", 2, {"email": "bob@example.com"}),
        ],
    )
    assert fake.lists[7] == {"ann@example.com"}
    assert fake.contacts["ann@example.com"]["FIRSTNAME"] == "Anne"
    # the request shapes Brevo documents
    imports = [r for r in fake.requests if r.path == "/v3/contacts/import"]
    assert imports[0].json()["listIds"] == [7]
    assert imports[0].json()["updateExistingContacts"] is True


def test_batches_stay_within_brevos_150_and_the_server_refuses_more(
    brevo: tuple[FakeBrevo, BrevoConnector],
) -> None:
    fake, connector = brevo
    emails = [f"p{i}@example.com" for i in range(400)]
    sync(connector, [add(i, e) for i, e in enumerate(emails)])
    assert len(fake.lists[7]) == 400
    assert sync(connector, [Change("remove", i, {"email": e}) for i, e in enumerate(emails)]) == {}
    assert fake.lists[7] == set()
    removals = [r for r in fake.requests if r.path.endswith("/contacts/remove")]
    assert [len(r.json()["emails"]) for r in removals] == [150, 150, 100]

    with pytest.raises(PermanentError, match="maximum of 150"):
        connector.send([Change("remove", i, {"email": e}) for i, e in enumerate(emails[:151])])


def test_a_429_is_transient_with_brevos_reset_delay_and_the_retry_lands(
    brevo: tuple[FakeBrevo, BrevoConnector],
) -> None:
    fake, connector = brevo
    fake.throttle(retry_after=3)
    with pytest.raises(TransientError) as error:
        connector.send([add(1, "ann@example.com")])
    assert error.value.retry_after == 3
    assert fake.lists[7] == set()
    connector.send([add(1, "ann@example.com")])
    assert fake.lists[7] == {"ann@example.com"}


def test_a_5xx_is_transient(brevo: tuple[FakeBrevo, BrevoConnector]) -> None:
    fake, connector = brevo
    fake.fail_next(Reply(503, {"code": "internal_error", "message": "unavailable"}))
    with pytest.raises(TransientError, match="503"):
        connector.send([add(1, "ann@example.com")])


def test_members_without_a_valid_email_fail_alone(
    brevo: tuple[FakeBrevo, BrevoConnector],
) -> None:
    fake, connector = brevo
    result = connector.send(
        [add(1, "ann@example.com"), add(2, "not-an-email"), Change("add", 3, {"phone": "+33"})]
    )
    assert set(result.failed) == {2, 3}
    assert "not-an-email" in result.failed[2]
    assert fake.lists[7] == {"ann@example.com"}


def test_a_wrong_key_or_list_is_permanent_and_says_what_to_check() -> None:
    fake = FakeBrevo(KEY, lists=(7,))
    with serve(fake) as url:
        wrong_key = BrevoConnector.from_config(
            BrevoDestination(segment="vip", list_id=7, base_url=f"{url}/v3"),
            path="destinations.news",
            env={"BREVO_API_KEY": "xkeysib-wrong"},
        )
        with pytest.raises(PermanentError, match="BREVO_API_KEY") as error:
            wrong_key.send([add(1, "ann@example.com")])
        assert "401" in str(error.value)
        wrong_list = BrevoConnector.from_config(
            BrevoDestination(segment="vip", list_id=8, base_url=f"{url}/v3"),
            path="destinations.news",
            env={"BREVO_API_KEY": KEY},
        )
        with pytest.raises(PermanentError, match="List ID does not exist"):
            wrong_list.send([add(1, "ann@example.com")])


def test_the_api_key_comes_from_the_environment_variable_named_in_the_config() -> None:
    config = BrevoDestination(segment="vip", list_id=7, api_key_env="MY_BREVO")
    with pytest.raises(ConfigError) as error:
        BrevoConnector.from_config(config, path="destinations.news", env={})
    assert "destinations.news.api_key_env" in str(error.value)
    assert "MY_BREVO is not set" in str(error.value)


def test_an_unreachable_server_is_transient() -> None:
    fake = FakeBrevo(KEY)
    with serve(fake) as url:
        pass  # stopped: nothing listens there any more
    connector = BrevoConnector.from_config(
        BrevoDestination(segment="vip", list_id=7, base_url=f"{url}/v3"),
        path="destinations.news",
        env={"BREVO_API_KEY": KEY},
    )
    with pytest.raises(TransientError, match="Brevo"):
        connector.send([add(1, "ann@example.com")])
