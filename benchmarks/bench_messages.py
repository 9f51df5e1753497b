"""What sending costs: templates composed and e-mails sent through a local SMTP server
(aiosmtpd, the dev extra), and channel-rule checks.

    python benchmarks/bench_messages.py [--emails 2000] [--checks 200000]

It prints e-mails composed per second (template, escaping, signed links), e-mails sent
per second over one SMTP connection to a local aiosmtpd, and channel_allows /
next_allowed calls per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import time
from typing import Any

from personae.activate.channel_rules import channel_allows, next_allowed
from personae.activate.connectors.smtp import SmtpConnector
from personae.activate.links import MessageLinks
from personae.activate.templates import compose
from personae.config.messages import MessagesConfig

HTML = (
    "<html><body><p>Hello ${first_name} ${last_name},</p>"
    '<p><a href="https://shop.example/sale">Sale</a> '
    '<a href="https://shop.example/new">New</a></p>'
    '<p><a href="${unsubscribe_url}">Unsubscribe</a></p></body></html>'
)


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--checks", type=int, default=200_000)
    args = parser.parse_args()
    from aiosmtpd.controller import Controller

    sink = _Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    config = MessagesConfig.model_validate(
        {
            "email": {
                "from": "Shop <news@shop.example>",
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
            },
            "templates": {
                "sale": {"subject": "${first_name}, our sale", "text": "Hi", "html": HTML}
            },
        }
    )
    assert config.email is not None
    started = time.perf_counter()
    messages = []
    for i in range(args.emails):
        to = f"person{i}@shop-client.fr"
        links = MessageLinks(b"k" * 32, "https://c.shop.fr", "messages", "sale", f"m{i}", to)
        profile = {"first_name": f"Ana<{i}>", "last_name": "Martin & Co"}
        messages.append(compose(config, "sale", profile, links, person_id=i, to=to))
    composed = time.perf_counter() - started
    connector = SmtpConnector(config.email)
    started = time.perf_counter()
    for message in messages:
        connector.send(message)
    connector.close()
    sent = time.perf_counter() - started
    controller.stop()
    assert sink.count == args.emails, (sink.count, args.emails)
    print(f"composed {args.emails} e-mails in {composed:.2f} s: {args.emails / composed:,.0f}/s")
    rate = args.emails / sent
    print(f"sent     {args.emails} e-mails in {sent:.2f} s: {rate:,.0f}/s (one connection)")

    at = dt.datetime(2026, 12, 5, 12)
    step = dt.timedelta(minutes=7)
    started = time.perf_counter()
    allowed = sum(channel_allows("sms", at + i * step)[0] for i in range(args.checks))
    checks = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(args.checks // 10):
        next_allowed("sms", at + i * step)
    deferrals = time.perf_counter() - started
    print(
        f"channel_allows: {args.checks / checks:,.0f} calls/s ({allowed} of {args.checks} "
        "instants over 3 years allowed)"
    )
    print(f"next_allowed:   {args.checks // 10 / deferrals:,.0f} calls/s")


if __name__ == "__main__":
    main()
