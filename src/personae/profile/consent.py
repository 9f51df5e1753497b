"""Each person's current consent, from the consent ledger through identity.

* ``profile_consent``: per live person with a consent record, per (purpose, channel), the
  latest signal of any of their records (at the same time, a withdrawal wins), with its
  source, record and proof.
* ``consent_flags``: one row per live person, one boolean column per purpose,
  ``consent_<purpose>``, true when the person may be reached for it on every one of its
  channels; a purpose on several channels also has ``consent_<purpose>_<channel>``. A
  person without a record for a (purpose, channel) has the purpose's default: false under
  ``basis: consent`` (opt-in), true under ``basis: legitimate_interest`` (until they
  object). Segments read these columns like traits.
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.catalog import CONSENT_FLAGS, CONSENT_LEDGER, PROFILE_CONSENT
from personae.clean.consent import EMPTY_LEDGER
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError
from personae.query.people import LIVE_PERSONS_SQL, live_map_sql
from personae.sql import ident, literal

PREFIX = "consent_"


@dataclass
class ConsentReport:
    #: persons with at least one consent record
    persons: int = 0
    #: per consent column: how many live persons may be reached
    granted: dict[str, int] | None = None


def pair_column(purpose: str, channel: str) -> str:
    return f"{PREFIX}{purpose}_{channel}"


def purpose_column(purpose: str) -> str:
    return f"{PREFIX}{purpose}"


def consent_column(config: ProjectConfig, purpose: str, channel: str | None) -> str:
    """The ``consent_flags`` column saying whether a person may be reached for ``purpose``
    on ``channel`` (the whole purpose when ``channel`` is None)."""
    channels = config.consent.purposes[purpose].channels
    if channel is None or len(channels) == 1:
        return purpose_column(purpose)
    return pair_column(purpose, channel)


def consent_columns(config: ProjectConfig) -> list[str]:
    """Every column of ``consent_flags`` but person_id."""
    columns: list[str] = []
    for purpose, spec in config.consent.purposes.items():
        columns.append(purpose_column(purpose))
        if len(spec.channels) > 1:
            columns += [pair_column(purpose, c) for c in spec.channels]
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise ConfigError(
                f"two consent columns are named {column}: rename a purpose or a channel "
                "so that consent_<purpose> and consent_<purpose>_<channel> differ",
                path="consent.purposes",
            )
        seen.add(column)
    return columns


def _current_sql(ledger: str) -> str:
    return f"""
        SELECT person_id, purpose, channel, status, occurred_at, source, record_id, proof FROM (
            SELECT m.person_id, c.purpose, c.channel, c.status, c.occurred_at, c.source,
                   c.record_id, c.proof,
                   row_number() OVER (
                       PARTITION BY m.person_id, c.purpose, c.channel
                       ORDER BY c.occurred_at DESC,
                                CASE c.status WHEN 'withdrawn' THEN 0 ELSE 1 END,
                                c.source, c.record_id) AS _rank
            FROM {ledger} c JOIN ({live_map_sql()}) m
              ON m.source = c.source AND m.record_id = c.record_id
            WHERE c.occurred_at IS NOT NULL)
        WHERE _rank = 1
    """


def _flags_sql(config: ProjectConfig) -> str:
    pairs: list[str] = []
    purposes: list[str] = []
    for purpose, spec in config.consent.purposes.items():
        default = "TRUE" if spec.basis == "legitimate_interest" else "FALSE"
        per_channel = []
        for channel in spec.channels:
            state = (
                f"max(CASE WHEN c.purpose = {literal(purpose)} AND c.channel = "
                f"{literal(channel)} THEN c.status = 'granted' END)"
            )
            per_channel.append(f"coalesce({state}, {default})")
        purposes.append(f"{' AND '.join(per_channel)} AS {ident(purpose_column(purpose))}")
        if len(spec.channels) > 1:
            pairs += [
                f"{expr} AS {ident(pair_column(purpose, channel))}"
                for expr, channel in zip(per_channel, spec.channels, strict=True)
            ]
    columns = ", ".join(["l.person_id", *purposes, *pairs])
    return (
        f"SELECT {columns} FROM ({LIVE_PERSONS_SQL}) l "
        f"LEFT JOIN {PROFILE_CONSENT} c ON c.person_id = l.person_id GROUP BY l.person_id"
    )


def build_consent(engine: Engine, config: ProjectConfig) -> ConsentReport:
    """Write ``profile_consent`` and ``consent_flags``."""
    ledger = CONSENT_LEDGER if engine.table_exists(CONSENT_LEDGER) else f"({EMPTY_LEDGER})"
    engine.create_table_as(PROFILE_CONSENT, _current_sql(ledger))
    engine.create_table_as(CONSENT_FLAGS, f"{_flags_sql(config)} ORDER BY l.person_id")
    columns = consent_columns(config)
    counts = ", ".join(f"count(CASE WHEN {ident(c)} THEN 1 END)" for c in columns)
    row = engine.rows(f"SELECT {counts} FROM {CONSENT_FLAGS}")[0]
    persons = engine.scalar(f"SELECT count(DISTINCT person_id) FROM {PROFILE_CONSENT}")
    return ConsentReport(int(persons or 0), dict(zip(columns, map(int, row), strict=True)))
