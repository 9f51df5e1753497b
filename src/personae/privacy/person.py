"""Who a privacy request is about: a selector resolved through identity.

``--email``, ``--phone`` and ``--user-id`` are normalised the way ``clean`` does (lower
case e-mail, E.164 phone in the project's default region) and looked up in ``records``;
the records found lead to their persons through ``identity_map``, and a person to every
record it holds, so asking by e-mail finds the orders, tickets and events of the person
that carry no e-mail. A person id that was merged resolves to its survivor, and a
survivor brings the ids merged into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from personae.catalog import IDENTITY_MAP, PERSONS, RECORDS
from personae.clean.normalize.emails import email as normal_email
from personae.clean.normalize.phone_numbers import phone as normal_phone
from personae.engine import Engine
from personae.errors import NotFoundError, PersonaeError
from personae.project import Project
from personae.query.tables import require_tables
from personae.sql import ident

#: scratch table of the person's record keys: ``source``, ``record_id`` (and ``key``,
#: ``source || chr(31) || record_id``)
KEYS_TABLE = "_privacy_keys"
SEP = "chr(31)"


def mine(source: str, record_id: str, table: str | None = None) -> str:
    """SQL: the row's (``source``, ``record_id``) columns are one of the person's record
    keys (:data:`KEYS_TABLE`); a semi-join, without building a key per row. ``table``
    qualifies the columns (the table's name or alias) when given."""
    prefix = f"{table}." if table else ""
    return (
        f"EXISTS (SELECT 1 FROM {KEYS_TABLE} AS privacy_k WHERE privacy_k.source = "
        f"{prefix}{source} AND privacy_k.record_id = {prefix}{record_id})"
    )


class PrivacyRequestError(PersonaeError):
    """A privacy request names no one, or several selectors at once."""


@dataclass(frozen=True)
class Selector:
    email: str | None = None
    phone: str | None = None
    user_id: str | None = None
    person: int | None = None

    def given(self) -> list[str]:
        return [k for k in ("email", "phone", "user_id", "person") if getattr(self, k) is not None]

    def describe(self) -> str:
        """What was asked, without the value (the erasure log holds no PII)."""
        kinds = self.given()
        return f"person {self.person}" if kinds == ["person"] else f"by {', '.join(kinds)}"


@dataclass
class Person:
    """A data subject: person ids (the live one and those merged into it), records and
    identifier values as ``records`` holds them."""

    person_ids: list[int]
    #: (source, record_id) of every record
    records: list[tuple[str, str]]
    #: (kind, value) of the identity fields of its records
    identifiers: set[tuple[str, str]] = field(default_factory=set)
    #: the subset also held by records of other persons (a shared household phone)
    shared: set[tuple[str, str]] = field(default_factory=set)

    @property
    def own_identifiers(self) -> set[tuple[str, str]]:
        return self.identifiers - self.shared

    def write_keys(self, engine: Engine) -> None:
        """Write the person's record keys to :data:`KEYS_TABLE` for SQL to join."""
        keys = [f"{s}\x1f{r}" for s, r in self.records]
        table = pa.table(
            {
                "source": pa.array([s for s, _ in self.records], pa.string()),
                "record_id": pa.array([r for _, r in self.records], pa.string()),
                "key": pa.array(keys, pa.string()),
            }
        )
        engine.write_arrow(KEYS_TABLE, table, mode="replace")


def find_person(project: Project, selector: Selector) -> Person:
    """The person ``selector`` names, with every record and identifier it holds."""
    given = selector.given()
    if len(given) != 1:
        raise PrivacyRequestError(
            "name the person with exactly one of --email, --phone, --user-id or --person"
            + (f" (got {', '.join('--' + g.replace('_', '-') for g in given)})" if given else "")
        )
    engine = project.engine
    require_tables(engine, (RECORDS, IDENTITY_MAP, PERSONS))
    ids = _person_ids(project, selector)
    if not ids:
        raise NotFoundError(
            f"no person found {selector.describe()}: check the value, or run 'personae run' "
            "if its records were loaded since the last run"
        )
    ids = _with_merged(engine, ids)
    placeholders = ", ".join("?" for _ in ids)
    records = [
        (str(s), str(r))
        for s, r in engine.rows(
            f"SELECT source, record_id FROM {IDENTITY_MAP} WHERE person_id IN ({placeholders}) "
            "ORDER BY source, record_id",
            ids,
        )
    ]
    person = Person(sorted(ids), records)
    _identifiers(project, person)
    return person


def _person_ids(project: Project, selector: Selector) -> list[int]:
    engine = project.engine
    if selector.person is not None:
        person_id = selector.person
        for _ in range(100):  # follow merges to the survivor
            found = engine.rows(
                f"SELECT merged_into FROM {PERSONS} WHERE person_id = ?", [person_id]
            )
            if not found:
                return []
            if found[0][0] is None:
                return [person_id]
            person_id = int(found[0][0])
        return [person_id]
    if selector.email is not None:
        column, value = "email", normal_email(selector.email)
        if value is None:
            raise PrivacyRequestError(f"--email {selector.email!r} is not an e-mail address")
    elif selector.phone is not None:
        column = "phone"
        value = normal_phone(selector.phone, project.config.defaults.phone_region)
        if value is None:
            raise PrivacyRequestError(
                f"--phone {selector.phone!r} is not a phone number; write it with its "
                "country code, e.g. +33612345678"
            )
    else:
        column, value = "user_id", (selector.user_id or "").strip()
    if column not in engine.columns(RECORDS):
        return []
    rows = engine.rows(
        f"SELECT DISTINCT m.person_id FROM {RECORDS} r JOIN {IDENTITY_MAP} m "
        f"ON m.source = r.source AND m.record_id = r.record_id WHERE r.{ident(column)} = ?",
        [value],
    )
    return [int(r[0]) for r in rows]


def _with_merged(engine: Engine, ids: list[int]) -> list[int]:
    """``ids`` and every id merged into them, transitively."""
    found = set(ids)
    frontier = set(ids)
    while frontier:
        placeholders = ", ".join("?" for _ in frontier)
        new = {
            int(r[0])
            for r in engine.rows(
                f"SELECT person_id FROM {PERSONS} WHERE merged_into IN ({placeholders})",
                sorted(frontier),
            )
        }
        frontier = new - found
        found |= new
    return sorted(found)


def _identifiers(project: Project, person: Person) -> None:
    engine = project.engine
    person.write_keys(engine)
    present = set(engine.columns(RECORDS))
    kinds = [k for k in project.config.identity_fields if k in present]
    placeholders = ", ".join("?" for _ in person.person_ids)
    for kind in kinds:
        column = ident(kind)
        theirs = mine("r.source", "r.record_id")
        values = {
            str(v[0])
            for v in engine.rows(
                f"SELECT DISTINCT CAST(r.{column} AS VARCHAR) FROM {RECORDS} r "
                f"WHERE {theirs} AND r.{column} IS NOT NULL"
            )
        }
        person.identifiers |= {(kind, v) for v in values}
        if not values:
            continue
        shared = engine.rows(
            f"SELECT DISTINCT CAST(r.{column} AS VARCHAR) FROM {RECORDS} r "
            f"JOIN {IDENTITY_MAP} m ON m.source = r.source AND m.record_id = r.record_id "
            f"WHERE m.person_id NOT IN ({placeholders}) AND CAST(r.{column} AS VARCHAR) IN "
            f"({', '.join('?' for _ in values)})",
            [*person.person_ids, *sorted(values)],
        )
        person.shared |= {(kind, str(v[0])) for v in shared}
