"""What an explanation holds: a person's records, links and history, or why two records
are (or are not) one person. Computed by :mod:`personae.unify.inspection.explain`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from personae.unify.matching.waterfall import Waterfall


@dataclass(frozen=True)
class ExplainedRecord:
    source: str
    record_id: str
    observed_at: dt.datetime | None
    #: the linking identifiers it holds (after guards and dropped links): (type, value)
    identifiers: list[tuple[str, str]]

    @property
    def name(self) -> str:
        return f"{self.source}:{self.record_id}"


@dataclass(frozen=True)
class Link:
    """``value`` of type ``id_type`` links ``records`` (``source:record_id``)."""

    id_type: str
    id_value: str
    records: list[str]

    def __str__(self) -> str:
        return f"value {self.id_value} of type {self.id_type} links {', '.join(self.records)}"


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime | None
    run_id: str
    action: str
    person_id: int | None
    other_person_id: int | None
    id_type: str | None
    id_value: str | None
    reason: str | None


@dataclass(frozen=True)
class MatchLink:
    """A probabilistic edge between two records (``identity_matches``)."""

    a: str
    b: str
    match_weight: float
    match_probability: float
    #: ``linked`` (it joined two clusters), ``within`` (already one person), ``rejected``
    status: str
    reason: str | None

    def __str__(self) -> str:
        text = (
            f"{self.a} ~ {self.b}: match weight {self.match_weight:.2f}, probability "
            f"{self.match_probability:.4f}, {self.status}"
        )
        return text + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class Attachment:
    """A record without a name holding a household value: attached to the one person
    holding it, or left apart because several persons do (``identity_attachments``)."""

    record: str
    id_type: str
    id_value: str
    #: ``attached`` or ``apart``
    status: str
    reason: str

    def __str__(self) -> str:
        return f"{self.record} {self.reason}"


@dataclass
class PersonExplanation:
    #: the id asked about
    requested_id: int
    #: the live id it resolves to (following ``persons.merged_into``)
    person_id: int
    #: ids retired into this person
    retired_ids: list[int]
    records: list[ExplainedRecord]
    links: list[Link]
    #: the overrides naming one of its records, as text
    overrides: list[str] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    #: probabilistic edges among its records, and rejected ones reaching out of it
    matches: list[MatchLink] = field(default_factory=list)
    #: why its records without a name are attached to it (or left alone in it)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class ChainStep:
    """``from_record`` and ``to_record`` share ``id_value`` (or a must_link override)."""

    from_record: str
    id_type: str
    id_value: str
    to_record: str


@dataclass(frozen=True)
class SharedValue:
    """A value two records both hold, and why it does not link them (None: it does)."""

    id_type: str
    id_value: str
    why: str | None


@dataclass
class RecordsExplanation:
    a: str
    b: str
    person_a: int
    person_b: int
    same_person: bool
    #: when the same person: the shortest chain of shared identifiers from a to b
    chain: list[ChainStep] = field(default_factory=list)
    #: identifiers both records hold, with why each does not link them
    shared: list[SharedValue] = field(default_factory=list)
    #: the overrides naming both records, as text
    overrides: list[str] = field(default_factory=list)
    #: the probabilistic edge between them, if they were scored above the threshold
    match: MatchLink | None = None
    #: what each comparison adds to their match weight (when a model exists)
    waterfall: Waterfall | None = None
    #: why either record, having no name, is attached to its person or left alone
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.same_person:
            return f"{self.a} and {self.b} are the same person ({self.person_a})"
        return f"{self.a} and {self.b} are different persons ({self.person_a} and {self.person_b})"
