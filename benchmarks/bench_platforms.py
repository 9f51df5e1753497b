"""What the platform connectors sustain against their local fake servers (the servers of
tests/activate/fakes, enforcing the documented APIs): members per second for each audience
platform (normalising, hashing, encoding, HTTP, and the fake's own checks), and SMS per
second for Twilio. The real platforms add network latency and their own rate limits.
Then the connectors alone (normalising, hashing and encoding, with a transport that
answers at once): what personae itself costs per member.

    python benchmarks/bench_platforms.py [--members 100000] [--messages 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from activate.fakes.brevo import FakeBrevo
from activate.fakes.google_ads import FakeGoogleAds
from activate.fakes.mailchimp import FakeMailchimp
from activate.fakes.meta import FakeMeta
from activate.fakes.server import serve, sync
from activate.fakes.twilio import FakeTwilio
from personae.activate.connectors import platform_http
from personae.activate.connectors.base import Change, Message
from personae.activate.connectors.platforms import (
    MESSAGE_CONNECTORS,
    PLATFORM_CONNECTORS,
)
from personae.config.platforms import (
    BrevoDestination,
    GoogleCustomerMatchDestination,
    MailchimpDestination,
    MetaAudienceDestination,
    TwilioSms,
)


def members(n: int, *, address: bool) -> list[Change]:
    """E-mail tools get names and a phone; ad platforms a postal address too."""
    extra = {"postcode": "75011", "country": "FR"} if address else {}
    return [
        Change(
            "add",
            i,
            {
                "email": f"Person.{i}@Example.com",
                "phone": f"+3361{i:07d}",
                "first_name": "Jean-Pierre",
                "last_name": "Dupont",
                **extra,
            },
        )
        for i in range(n)
    ]


def timed(name: str, fake: Any, make: Any, changes: list[Change]) -> None:
    with serve(fake) as url:
        connector = make(url)
        start = time.perf_counter()
        failed = sync(connector, changes)
        seconds = time.perf_counter() - start
    rate = len(changes) / seconds
    print(
        f"{name:<28} {len(changes):>8,} members  {seconds:7.2f} s  {rate:>9,.0f} members/s  "
        f"{len(fake.requests):>5} requests  {len(failed)} failed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2_000)
    args = parser.parse_args()
    contacts = members(args.members, address=False)
    changes = members(args.members, address=True)
    env = {
        "BREVO_API_KEY": "k",
        "MAILCHIMP_API_KEY": "k-us6",
        "META_ACCESS_TOKEN": "t",
        "GOOGLE_ADS_ACCESS_TOKEN": "a",
        "GOOGLE_ADS_DEVELOPER_TOKEN": "d",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "t",
    }

    def factory(kind: str, config: Any) -> Any:
        return PLATFORM_CONNECTORS[kind](config, path=f"destinations.{kind}", env=env)

    timed(
        "brevo",
        FakeBrevo("k", lists=(7,)),
        lambda url: factory(
            "brevo", BrevoDestination(segment="s", list_id=7, base_url=url + "/v3")
        ),
        changes,
    )
    timed(
        "mailchimp",
        FakeMailchimp("k-us6"),
        lambda url: factory(
            "mailchimp",
            MailchimpDestination(segment="s", list_id="a1b2c3", base_url=url + "/3.0"),
        ),
        contacts,
    )
    timed(
        "meta_audience",
        FakeMeta("t", audiences=("1",)),
        lambda url: factory(
            "meta_audience", MetaAudienceDestination(segment="s", audience_id="1", base_url=url)
        ),
        changes,
    )
    timed(
        "google_customer_match",
        FakeGoogleAds("a", "d", customer_id="1234567890", user_lists=("5",)),
        lambda url: factory(
            "google_customer_match",
            GoogleCustomerMatchDestination(
                segment="s", customer_id="1234567890", user_list_id="5", base_url=url
            ),
        ),
        changes,
    )
    fake = FakeTwilio("AC" + "0" * 32, "t")
    with serve(fake) as url:
        config = TwilioSms.model_validate({"from": "+33700000000", "base_url": url})
        connector = MESSAGE_CONNECTORS["twilio"](config, path="channels.sms", env=env)
        start = time.perf_counter()
        for i in range(args.messages):
            connector.send(Message(f"m{i}", "c", i, "sms", f"+3361{i:07d}", None, "Bonjour"))
        seconds = time.perf_counter() - start
    print(
        f"{'twilio':<28} {args.messages:>8,} messages {seconds:7.2f} s  "
        f"{args.messages / seconds:>9,.0f} messages/s"
    )
    connectors_alone(changes, factory)


def connectors_alone(changes: list[Change], factory: Any) -> None:
    """Each ad connector with a transport that answers at once."""
    answer = b'{"resourceName": "customers/1234567890/offlineUserDataJobs/1"}'

    def instant(*args: Any, **kwargs: Any) -> platform_http.Response:
        return platform_http.Response(200, {}, answer)

    real = platform_http.request
    platform_http.request = instant  # type: ignore[assignment]
    try:
        for kind, config in (
            ("meta_audience", MetaAudienceDestination(segment="s", audience_id="1")),
            (
                "google_customer_match",
                GoogleCustomerMatchDestination(
                    segment="s", customer_id="1234567890", user_list_id="5"
                ),
            ),
        ):
            connector = factory(kind, config)
            start = time.perf_counter()
            for first in range(0, len(changes), connector.max_batch):
                connector.send(changes[first : first + connector.max_batch])
            seconds = time.perf_counter() - start
            print(
                f"{kind + ' alone':<28} {len(changes):>8,} members  {seconds:7.2f} s  "
                f"{len(changes) / seconds:>9,.0f} members/s"
            )
    finally:
        platform_http.request = real


if __name__ == "__main__":
    main()
