"""The consent ledger: every consent signal in raw, one row per (record, purpose, channel).

Three kinds of signals (``via`` says which):

* ``column <name>``: a source's consent columns (``sources.<s>.consent``), read from every
  version of each raw record, so a flag that went from yes to no is both a grant and a
  later withdrawal. A version repeating the previous version's flag adds nothing. The
  time is the ``at`` column when it parses, else when the version was loaded.
* ``category <id>``: Segment's consent spec, ``context.consent.categoryPreferences`` on
  any collected message (the ``Segment Consent Preference Updated`` event included):
  each declared category (``consent.categories``) grants (true) or withdraws (false) its
  purposes on all their channels, at the message's timestamp. The proof is the message's
  ``context.consent`` object.
* ``event <name>``: an unsubscribe event (``consent.unsubscribe.events``) from any events
  source or the collector withdraws ``consent.unsubscribe.purpose`` on its channel.

The ledger is derived: rebuilt from raw on every run, so a raw row erased or expired takes
its consent rows with it.
"""

from __future__ import annotations

from personae.catalog import CONSENT_LEDGER, EVENTS, RAW_COLLECTED
from personae.clean.lookups import LookupRequest, lookup_table, refresh_lookup
from personae.clean.plan import raw_sql, timestamp_sql
from personae.config.models import ProjectConfig
from personae.config.sources import ConsentColumn, SourceConfig
from personae.engine import Engine
from personae.errors import ConfigError, did_you_mean
from personae.ingest.tables import raw_table
from personae.sql import literal

BOOLEAN = "boolean"
LEDGER_COLUMNS = "source, record_id, purpose, channel, status, occurred_at, proof, via"
EMPTY_LEDGER = (
    "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS record_id, "
    "CAST(NULL AS VARCHAR) AS purpose, CAST(NULL AS VARCHAR) AS channel, "
    "CAST(NULL AS VARCHAR) AS status, CAST(NULL AS TIMESTAMP) AS occurred_at, "
    "CAST(NULL AS VARCHAR) AS proof, CAST(NULL AS VARCHAR) AS via WHERE false"
)
_PREFERENCES = "$.context.consent.categoryPreferences"


def _channels(config: ProjectConfig, purpose: str, channel: str | None) -> tuple[str, ...]:
    return (channel,) if channel is not None else config.consent.purposes[purpose].channels


def _row(
    source: str, record_id: str, purpose: str, channel: str, status: str, at: str, proof: str
) -> str:
    return (
        f"{source} AS source, {record_id} AS record_id, {literal(purpose)} AS purpose, "
        f"{literal(channel)} AS channel, {status} AS status, "
        f"CAST({at} AS TIMESTAMP) AS occurred_at, "
        f"CAST({proof} AS VARCHAR) AS proof"
    )


# --------------------------------------------------------------------------- columns


def _column_signals(name: str, spec: ConsentColumn) -> str:
    """Every version of every record of source ``name``, ``status`` NULL where the flag
    says nothing."""
    raw = raw_sql(spec.column, "r")
    at = "r._loaded_at"
    when = spec.at_spec
    if when is not None:
        at = f"coalesce({timestamp_sql(raw_sql(when.column, 'r'), when.format)}, r._loaded_at)"
    proof = raw_sql(spec.proof, "r") if spec.proof else "CAST(NULL AS VARCHAR)"
    if spec.meaning == "opt_in":
        status = "CASE lk.value WHEN 'true' THEN 'granted' WHEN 'false' THEN 'withdrawn' END"
    else:
        status = "CASE lk.value WHEN 'true' THEN 'withdrawn' END"
    return (
        f"SELECT r._record_id AS record_id, r._loaded_at AS loaded_at, r._load_id AS load_id, "
        f"{status} AS status, {at} AS occurred_at, {proof} AS proof "
        f"FROM {raw_table(name)} r LEFT JOIN {lookup_table(BOOLEAN)} lk "
        f"ON lk.raw = {raw} AND lk.opt = ''"
    )


def _column_ledger(config: ProjectConfig, name: str, spec: ConsentColumn) -> list[str]:
    """The column's signals where they change from the record's previous version: the
    flag, or its date when the source gives one. Without a date, a version repeating the
    previous version's flag adds nothing; a flag that comes back after a version that said
    nothing is a new signal."""
    dated = " OR prev_at <> occurred_at" if spec.at is not None else ""
    changes = (
        f"SELECT * FROM (SELECT s.*, lag(s.status) OVER w AS prev_status, "
        f"lag(s.occurred_at) OVER w AS prev_at FROM ({_column_signals(name, spec)}) s "
        "WINDOW w AS (PARTITION BY s.record_id ORDER BY s.loaded_at, s.load_id)) "
        f"WHERE status IS NOT NULL AND (prev_status IS NULL OR prev_status <> status{dated})"
    )
    via = literal(f"column {spec.column}")
    source = literal(name)
    return [
        f"SELECT {_row(source, 'record_id', spec.purpose, c, 'status', 'occurred_at', 'proof')}"
        f", {via} AS via FROM ({changes})"
        for c in _channels(config, spec.purpose, spec.channel)
    ]


def _check_columns(engine: Engine, name: str, source: SourceConfig) -> None:
    """Every column a consent entry names is in the source's raw table."""
    available = [c for c in engine.columns(raw_table(name)) if not c.startswith("_")]
    for i, spec in enumerate(source.consent):
        at = spec.at_spec
        named = {"column": spec.column, "at": at.column if at else None, "proof": spec.proof}
        for key, column in named.items():
            if column is not None and column.partition(".")[0] not in available:
                raise ConfigError(
                    f"no column {column!r} in the files of source {name!r}"
                    f"{did_you_mean(column, available)}; its columns are: "
                    f"{', '.join(available)}",
                    path=f"sources.{name}.consent.{i}.{key}",
                )


def _flag_requests(sources: dict[str, SourceConfig]) -> list[LookupRequest]:
    return [
        LookupRequest(
            BOOLEAN,
            f"SELECT DISTINCT '' AS opt, {raw_sql(spec.column)} AS raw FROM {raw_table(n)} l",
        )
        for n, source in sources.items()
        for spec in source.consent
    ]


# --------------------------------------------------------------------------- collected


def _json_key(key: str) -> str:
    return key if key.isidentifier() else '"' + key.replace('"', '\\"') + '"'


def _collected_ledger(config: ProjectConfig) -> list[str]:
    """categoryPreferences of every collected message, for each declared category."""
    categories = list(config.consent.categories.items())
    if not categories:
        return []
    values = ", ".join(
        f"json_extract_string(payload, {literal(_PREFERENCES + '.' + _json_key(c))}) AS c{i}"
        for i, (c, _) in enumerate(categories)
    )
    prefs = (
        f"SELECT source, message_id, timestamp, "
        f"CAST(json_extract(payload, '$.context.consent') AS VARCHAR) AS proof, {values} "
        f"FROM {RAW_COLLECTED} WHERE json_extract(payload, {literal(_PREFERENCES)}) IS NOT NULL"
    )
    selects = []
    for i, (category, purposes) in enumerate(categories):
        status = f"CASE lower(c{i}) WHEN 'true' THEN 'granted' ELSE 'withdrawn' END"
        for purpose in purposes:
            for channel in _channels(config, purpose, None):
                row = _row("source", "message_id", purpose, channel, status, "timestamp", "proof")
                selects.append(
                    f"SELECT {row}, {literal(f'category {category}')} AS via FROM ({prefs}) "
                    f"WHERE lower(c{i}) IN ('true', 'false')"
                )
    return selects


def _unsubscribe_ledger(config: ProjectConfig) -> list[str]:
    unsubscribe = config.consent.unsubscribe
    if not unsubscribe.events:
        return []
    names = ", ".join(literal(e) for e in unsubscribe.events)
    row = _row(
        "source",
        "record_id",
        unsubscribe.purpose,
        unsubscribe.channel,
        "'withdrawn'",
        "timestamp",
        "properties",
    )
    return [
        f"SELECT {row}, 'event ' || event AS via FROM {EVENTS} "
        f"WHERE event IN ({names}) AND timestamp IS NOT NULL"
    ]


# --------------------------------------------------------------------------- ledger


def build_ledger(engine: Engine, config: ProjectConfig, sources: dict[str, SourceConfig]) -> int:
    """Rebuild ``consent_ledger`` from raw (and ``events``); the number of its rows."""
    consenting = {n: s for n, s in sources.items() if s.consent}
    for name, source in consenting.items():
        _check_columns(engine, name, source)
    refresh_lookup(engine, BOOLEAN, _flag_requests(consenting))
    selects = [
        select
        for name, source in consenting.items()
        for spec in source.consent
        for select in _column_ledger(config, name, spec)
    ]
    if engine.table_exists(RAW_COLLECTED):
        selects += _collected_ledger(config)
    if engine.table_exists(EVENTS):
        selects += _unsubscribe_ledger(config)
    body = " UNION ALL ".join(f"SELECT {LEDGER_COLUMNS} FROM ({s})" for s in selects)
    engine.create_table_as(
        CONSENT_LEDGER,
        f"SELECT {LEDGER_COLUMNS} FROM ({body or EMPTY_LEDGER}) "
        "ORDER BY occurred_at, source, record_id, purpose, channel",
    )
    return engine.count(CONSENT_LEDGER)
