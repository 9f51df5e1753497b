"""A project whose warehouse holds hand-made ``profiles``, ``segment_membership`` and
``consent_flags``, so activation is tested without running the pipeline; and an
in-memory audience connector that records what it was sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from personae.activate.connectors.base import BatchResult, Change, PermanentError, TransientError
from personae.catalog import CONSENT_FLAGS, PROFILES, SEGMENT_MEMBERSHIP
from personae.engine import Engine

CONFIG = """
sources: {}
segments:
  vip:
    all:
      - {trait: record_count, ">=": 1}
destinations:
"""


@dataclass
class Person:
    person_id: int
    email: str | None
    first_name: str = "Ann"
    vip: bool = True
    consent: bool = True


def write_project(root: Path, destinations: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "personae.yml").write_text(CONFIG + destinations, encoding="utf-8")
    return root


def set_people(engine: Engine, people: Sequence[Person], segment: str = "vip") -> None:
    """Replace the profiles, the segment's members and everyone's email_marketing and
    advertising consents."""
    ids = [p.person_id for p in people]
    engine.write_arrow(
        PROFILES,
        pa.table(
            {
                "person_id": pa.array(ids, pa.int64()),
                "email": pa.array([p.email for p in people], pa.string()),
                "first_name": pa.array([p.first_name for p in people], pa.string()),
                "last_name": pa.array(["Lee"] * len(people), pa.string()),
                "phone": pa.array(["+33612345678"] * len(people), pa.string()),
                "record_count": pa.array([1] * len(people), pa.int64()),
            }
        ),
        mode="replace",
    )
    members = [p.person_id for p in people if p.vip]
    engine.write_arrow(
        SEGMENT_MEMBERSHIP,
        pa.table(
            {
                "person_id": pa.array(members, pa.int64()),
                "segment": pa.array([segment] * len(members), pa.string()),
                "since": pa.array([None] * len(members), pa.date32()),
            }
        ),
        mode="replace",
    )
    engine.write_arrow(
        CONSENT_FLAGS,
        pa.table(
            {
                "person_id": pa.array(ids, pa.int64()),
                "consent_email_marketing": pa.array([p.consent for p in people], pa.bool_()),
                "consent_advertising": pa.array([p.consent for p in people], pa.bool_()),
            }
        ),
        mode="replace",
    )


@dataclass
class Recorder:
    """An audience connector keeping every change it accepted, in order."""

    max_batch: int = 2
    #: person_id -> why it is refused for good
    refuse: dict[int, str] = field(default_factory=dict)
    #: raise this on the n-th call (1-based) -> exception
    fail_on: dict[int, BaseException] = field(default_factory=dict)
    calls: int = 0
    received: list[Change] = field(default_factory=list)
    closed: int = 0

    def send(self, changes: Sequence[Change]) -> BatchResult:
        self.calls += 1
        if self.calls in self.fail_on:
            raise self.fail_on.pop(self.calls)
        failed = {
            c.person_id: self.refuse[c.person_id] for c in changes if c.person_id in self.refuse
        }
        self.received.extend(c for c in changes if c.person_id not in failed)
        return BatchResult(failed=failed)

    def close(self) -> None:
        self.closed += 1

    def kinds(self) -> list[tuple[str, int]]:
        return [(c.kind, c.person_id) for c in self.received]


__all__ = ["PermanentError", "TransientError"]


def runs(engine: Engine) -> list[tuple[Any, ...]]:
    return engine.rows(
        "SELECT destination, status, added, updated, removed, failed FROM destination_runs "
        "ORDER BY rowid"
    )
