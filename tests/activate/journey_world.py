"""A small warehouse for journey and orchestrator tests: persons with e-mails, consent,
events, and a fake message connector that records what it is asked to send."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from helpers.tables import create
from personae.activate.connectors.base import (
    Message,
    MessageConnector,
    PermanentError,
    SendResult,
    TransientError,
)
from personae.engine import Engine

D = dt.datetime


@dataclass
class FakeConnector:
    """Accepts every message (or fails those of ``fail``), and keeps what it sent."""

    sent: list[Message] = field(default_factory=list)
    #: address -> "transient" or "permanent"
    fail: dict[str, str] = field(default_factory=dict)
    closed: int = 0

    def send(self, message: Message) -> SendResult:
        kind = self.fail.get(message.to)
        if kind == "transient":
            raise TransientError("503 from the provider", retry_after=1)
        if kind == "permanent":
            raise PermanentError("550 mailbox unavailable")
        self.sent.append(message)
        return SendResult(provider_id=f"p-{len(self.sent)}")

    def close(self) -> None:
        self.closed += 1

    def to(self, address: str) -> list[str]:
        """The campaigns sent to ``address``, in order."""
        return [m.campaign for m in self.sent if m.to == address]


def connectors_of(fake: FakeConnector) -> Any:
    def connectors(channel: str) -> MessageConnector:
        return fake

    return connectors


class World:
    """persons, identity_map, profiles, consent_flags and events, built by hand."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.people: dict[int, dict[str, Any]] = {}
        self.events: list[tuple[int, str, dt.datetime, dict[str, Any]]] = []
        self._ids = itertools.count(1)

    def person(
        self,
        pid: int,
        email: str | None,
        *,
        email_ok: bool = True,
        sms_ok: bool = True,
        phone: str | None = None,
        live: bool = True,
    ) -> None:
        self.people[pid] = {
            "email": email,
            "phone": phone,
            "email_ok": email_ok,
            "sms_ok": sms_ok,
            "live": live,
        }

    def event(self, pid: int, name: str, at: dt.datetime, **properties: Any) -> None:
        self.events.append((pid, name, at, properties))

    def build(self) -> None:
        create(
            self.engine,
            "persons",
            {"person_id": "BIGINT", "created_at": "TIMESTAMP", "merged_into": "BIGINT",
             "records": "BIGINT"},
            [(pid, D(2024, 1, 1), None if p["live"] else 999, 1) for pid, p in self.people.items()],
        )  # fmt: skip
        live = [(pid, p) for pid, p in self.people.items() if p["live"]]
        create(
            self.engine,
            "profiles",
            {"person_id": "BIGINT", "email": "VARCHAR", "phone": "VARCHAR"},
            [(pid, p["email"], p["phone"]) for pid, p in live],
        )
        create(
            self.engine,
            "traits",
            {"person_id": "BIGINT", "vip_score": "BIGINT"},
            [(pid, pid * 10) for pid, _ in live],
        )
        create(
            self.engine,
            "consent_flags",
            {"person_id": "BIGINT", "consent_email_marketing": "BOOLEAN",
             "consent_sms_marketing": "BOOLEAN", "consent_advertising": "BOOLEAN",
             "consent_promotions": "BOOLEAN", "consent_promotions_email": "BOOLEAN",
             "consent_promotions_sms": "BOOLEAN"},
            [(pid, p["email_ok"], p["sms_ok"], True, p["email_ok"] or p["sms_ok"], p["email_ok"],
              p["sms_ok"]) for pid, p in live],
        )  # fmt: skip
        rows = [
            ("web", f"e{i}", name, at, json.dumps(props))
            for i, (_, name, at, props) in enumerate(self.events)
        ]
        create(
            self.engine,
            "events",
            {"source": "VARCHAR", "record_id": "VARCHAR", "event": "VARCHAR",
             "timestamp": "TIMESTAMP", "properties": "VARCHAR"},
            rows,
        )  # fmt: skip
        create(
            self.engine,
            "identity_map",
            {"source": "VARCHAR", "record_id": "VARCHAR", "person_id": "BIGINT"},
            [("web", f"e{i}", pid) for i, (pid, *_) in enumerate(self.events)],
        )

    def add_event(self, pid: int, name: str, at: dt.datetime, **properties: Any) -> None:
        """An event arriving after the warehouse was built (the next run's)."""
        self.event(pid, name, at, **properties)
        self.build()
