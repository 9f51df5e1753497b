"""Every table that one stage writes and another reads: its name, columns and owner.

A :class:`Table` is a ``str`` (its name), so it goes straight into SQL and engine calls:
``f"SELECT person_id FROM {IDENTITY_MAP}"``. Nobody types a shared table's name by hand.

Tables whose columns follow ``personae.yml`` (``raw_<source>``, ``records``, ``profiles``,
``traits``) list the columns that are always there and are marked ``dynamic``. A stage's
scratch tables (``_unify_*``, ``_lookup_*``…) are private to its package and not listed.
"""

from __future__ import annotations

from typing import Final

#: the stages in pipeline order (each named like its package, and owning the tables it
#: writes) -> the command that runs it alone
STAGE_COMMANDS: Final = {
    "ingest": "ingest",
    "clean": "clean",
    "unify": "resolve",
    "profile": "profiles",
    "segment": "segments",
}
STAGE_ORDER: Final = tuple(STAGE_COMMANDS)
#: who may own a shared table: the stages, and activate (on demand, not a pipeline stage)
OWNERS: Final = (*STAGE_ORDER, "activate")
#: the owner of activation's tables
ACTIVATE: Final = "activate"


class Table(str):
    """A shared table: its name (the ``str`` itself), the stage that writes it, its columns."""

    owner: str
    columns: tuple[str, ...]
    dynamic: bool
    doc: str

    def __new__(
        cls, name: str, *, owner: str, columns: tuple[str, ...], doc: str, dynamic: bool = False
    ) -> Table:
        if owner not in OWNERS:
            raise ValueError(f"table {name}: unknown owner stage {owner!r}")
        table = super().__new__(cls, name)
        table.owner = owner
        table.columns = columns
        table.dynamic = dynamic
        table.doc = doc
        return table

    @property
    def name(self) -> str:
        return str.__str__(self)


# --------------------------------------------------------------------------- ingest

RAW_PREFIX: Final = "raw_"
RAW_COLUMNS: Final = ("_source", "_record_id", "_row_hash", "_load_id", "_loaded_at", "_file")


def raw_table(source: str) -> Table:
    """``raw_<source>``: every row of a source's files as received, every version kept."""
    return Table(
        RAW_PREFIX + source,
        owner="ingest",
        columns=RAW_COLUMNS,
        dynamic=True,
        doc=f"the rows of source {source!r} as received, with their load metadata",
    )


LOADS: Final = Table(
    "loads",
    owner="ingest",
    columns=(
        "load_id",
        "source",
        "file",
        "file_hash",
        "file_size",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "rows_unchanged",
        "rows_new_versions",
        "loaded_at",
        "rows_folded",
    ),
    doc="one row per file loaded: what was read, loaded, quarantined, unchanged and folded",
)
QUARANTINE: Final = Table(
    "quarantine",
    owner="ingest",
    columns=("source", "load_id", "file", "line", "record_id", "reason", "raw", "quarantined_at"),
    doc="rows that could not be loaded, with the reason and the line",
)
RAW_COLLECTED: Final = Table(
    "raw_collected",
    owner="ingest",
    columns=(
        "message_id",
        "type",
        "event",
        "user_id",
        "anonymous_id",
        "previous_id",
        "group_id",
        "timestamp",
        "received_at",
        "sent_at",
        "original_timestamp",
        "write_key_id",
        "source",
        "payload",
        "violations",
        "collector_id",
    ),
    doc="messages received by personae serve (Segment spec), loaded from its Parquet files",
)
COLLECTED_FILES: Final = Table(
    "collected_files",
    owner="ingest",
    columns=("file", "rows", "rows_loaded", "loaded_at"),
    doc="the collector's Parquet files already loaded into raw_collected",
)

INGEST_REMOVALS: Final = Table(
    "ingest_removals",
    owner="ingest",
    columns=("source", "reason", "rows", "at"),
    doc="rows ingest removed: 'suppressed' (an erased person's, dropped before landing), "
    "'retention' (older than the source's retention) or 'deleted' (deleted at a database "
    "source); no values, only counts",
)
SOURCE_CURSORS: Final = Table(
    "source_cursors",
    owner="ingest",
    columns=("source", "cursor_column", "cursor_value", "load_id", "saved_at"),
    doc="the highest cursor value each database source's committed loads read, appended "
    "once per load after its rows landed; the next extract starts there",
)

# --------------------------------------------------------------------------- clean

RECORDS: Final = Table(
    "records",
    owner="clean",
    columns=("source", "record_id", "source_kind", "observed_at"),
    dynamic=True,
    doc="one row per source record (latest version) with canonical, cleaned fields; "
    "phone_valid says whether the phone's range is allocated, phone_mobile whether it is "
    "a mobile's",
)
EVENTS: Final = Table(
    "events",
    owner="clean",
    columns=("source", "record_id", "event", "timestamp", "properties"),
    doc="every event of every events source and of the collector, properties as JSON",
)
DATA_QUALITY: Final = Table(
    "data_quality",
    owner="clean",
    columns=("source", "field", "rows", "filled", "valid", "invalid", "examples"),
    doc="per source and field: rows, filled, valid and invalid values, with examples",
)

# --------------------------------------------------------------------------- consent

CONSENT_LEDGER: Final = Table(
    "consent_ledger",
    owner="clean",
    columns=("source", "record_id", "purpose", "channel", "status", "occurred_at", "proof", "via"),
    doc="every consent signal read from raw (source flags, collected categoryPreferences, "
    "unsubscribes): granted or withdrawn, for one purpose on one channel, when, with its "
    "proof; rebuilt from raw on every run",
)
PROFILE_CONSENT: Final = Table(
    "profile_consent",
    owner="profile",
    columns=(
        "person_id",
        "purpose",
        "channel",
        "status",
        "occurred_at",
        "source",
        "record_id",
        "proof",
    ),
    doc="the current consent of each person with a consent record, per purpose and channel "
    "(the latest signal wins; at the same time a withdrawal wins)",
)
CONSENT_FLAGS: Final = Table(
    "consent_flags",
    owner="profile",
    columns=("person_id",),
    dynamic=True,
    doc="one row per live person, one boolean consent_<purpose> column per purpose (and "
    "consent_<purpose>_<channel> for purposes on several channels), defaults applied",
)

# --------------------------------------------------------------------------- unify

IDENTIFIERS: Final = Table(
    "identifiers",
    owner="unify",
    columns=("source", "record_id", "id_type", "id_value"),
    doc="every identifier value a record carries, after blocking",
)
IDENTITY_MAP: Final = Table(
    "identity_map",
    owner="unify",
    columns=("source", "record_id", "person_id"),
    doc="the person each source record belongs to",
)
PERSONS: Final = Table(
    "persons",
    owner="unify",
    columns=("person_id", "created_at", "merged_into", "records"),
    doc="every person id ever given; merged ones point at their survivor",
)
IDENTITY_HISTORY: Final = Table(
    "identity_history",
    owner="unify",
    columns=(
        "at",
        "run_id",
        "action",
        "person_id",
        "other_person_id",
        "id_type",
        "id_value",
        "reason",
    ),
    doc="append-only log of person creations, merges and splits with their evidence",
)
IDENTITY_GUARDS: Final = Table(
    "identity_guards",
    owner="unify",
    columns=("id_type", "id_value", "guard", "records", "reason"),
    doc="identifier values that stopped linking (blocked, generic, household, limits)",
)
#: a scored pair of records: the smaller record on the left
EDGE_COLUMNS: Final = (
    "source_l",
    "record_id_l",
    "source_r",
    "record_id_r",
    "match_probability",
    "match_weight",
)
IDENTITY_MATCHES: Final = Table(
    "identity_matches",
    owner="unify",
    columns=(*EDGE_COLUMNS, "status", "reason"),
    doc="probabilistic matches above the threshold: linked, within one person, or rejected",
)
IDENTITY_ATTACHMENTS: Final = Table(
    "identity_attachments",
    owner="unify",
    columns=("source", "record_id", "person_id", "id_type", "id_value", "status", "reason"),
    doc="records without a name holding a household-split or limit-dropped value: attached "
    "to its one person, or left apart because several persons hold it",
)
IDENTITY_EDGES: Final = Table(
    "identity_edges_probabilistic",
    owner="unify",
    columns=EDGE_COLUMNS,
    doc="scored record pairs above the threshold, kept between incremental runs",
)
IDENTITY_NEAR_MISSES: Final = Table(
    "identity_near_misses",
    owner="unify",
    columns=EDGE_COLUMNS,
    doc="scored record pairs within identity.matching.review_band under the threshold: "
    "never linked, kept for clerical review",
)
IDENTITY_MATCH_SCORED: Final = Table(
    "identity_match_scored",
    owner="unify",
    columns=("source", "record_id", "fingerprint", "state"),
    doc="fingerprint of each scored record's compared values (incremental matching)",
)
IDENTITY_OVERRIDE_RECORDS: Final = Table(
    "identity_override_records",
    owner="unify",
    columns=("override", "source", "record_id", "side"),
    doc="the records a person override (merge or split) stood for when first applied",
)

# --------------------------------------------------------------------------- profile

PROFILE_VALUES: Final = Table(
    "profile_values",
    owner="profile",
    columns=(
        "person_id",
        "field",
        "value",
        "records",
        "source",
        "record_id",
        "observed_at",
        "chosen",
    ),
    doc="every value seen for each person and field, the chosen one flagged (lineage)",
)
PROFILES: Final = Table(
    "profiles",
    owner="profile",
    columns=("person_id", "record_count", "sources", "first_seen_at", "last_seen_at"),
    dynamic=True,
    doc="one golden record per live person, each value with its source and record; "
    "phone_valid says whether the chosen phone's range is allocated",
)
TRAITS: Final = Table(
    "traits",
    owner="profile",
    columns=("person_id",),
    dynamic=True,
    doc="one row per live person, one column per declared trait, then the predicted "
    "columns when predictions are declared",
)
PREDICTIONS: Final = Table(
    "predictions",
    owner="profile",
    columns=(
        "person_id",
        "frequency",
        "recency",
        "t",
        "monetary",
        "orders",
        "revenue",
        "p_alive",
        "expected_order_value",
        "churn_risk",
        "bg_nbd_p_no_order",
        "expected_next_order_date",
    ),
    dynamic=True,
    doc="one row per customer (a purchase in the calibration period) or browser with an "
    "affinity: the purchase summary and engagement features the models read (days), then "
    "every predicted column",
)

# --------------------------------------------------------------------------- segment

SEGMENT_MEMBERSHIP: Final = Table(
    "segment_membership",
    owner="segment",
    columns=("person_id", "segment", "since"),
    doc="current members of each segment and the day they joined",
)
SEGMENT_HISTORY: Final = Table(
    "segment_history",
    owner="segment",
    columns=("person_id", "segment", "action", "at"),
    doc="append-only log of entries into and exits from segments",
)

# --------------------------------------------------------------------------- activate: sync

DESTINATION_STATE: Final = Table(
    "destination_state",
    owner="activate",
    columns=("destination", "person_id", "fingerprint", "payload", "synced_at", "run_id"),
    doc="what each audience destination holds and acknowledged: one row per member, its "
    "payload (JSON text of the fields sent) and the fingerprint of the field values",
)
DESTINATION_RUNS: Final = Table(
    "destination_runs",
    owner="activate",
    columns=(
        "run_id",
        "destination",
        "started_at",
        "finished_at",
        "status",
        "added",
        "updated",
        "removed",
        "failed",
        "error",
    ),
    doc="one row per sync of a destination: status (running, ok, partial, failed, "
    "interrupted), changes acknowledged and members failed, and why",
)
DESTINATION_DEAD_LETTERS: Final = Table(
    "destination_dead_letters",
    owner="activate",
    columns=(
        "destination",
        "run_id",
        "person_id",
        "change",
        "payload",
        "reason",
        "attempts",
        "failed_at",
    ),
    doc="changes a destination refused or that exhausted their retries, until "
    "`personae destinations retry` delivers them",
)


# --------------------------------------------------------------------------- activate: journeys

JOURNEY_STATE: Final = Table(
    "journey_state",
    owner="activate",
    columns=(
        "journey",
        "person_id",
        "step",
        "status",
        "entered_at",
        "next_at",
        "path",
        "updated_at",
    ),
    doc="where each person is in each journey: step, status (active, waiting, done, exited), "
    "when their wait ends, and the path of steps taken",
)
ACTIVATION_MESSAGES: Final = Table(
    "activation_messages",
    owner="activate",
    columns=(
        "message_id",
        "campaign",
        "journey",
        "step",
        "person_id",
        "channel",
        "destination",
        "priority",
        "decided_at",
        "status",
        "reason",
        "provider_id",
    ),
    doc="every message decision of the orchestrator, sent or not: status (sent, failed, "
    "suppressed, capped, deduped, outranked, conflict, quiet_hours, control) and why",
)
JOURNEY_AUDIENCE_MEMBERS: Final = Table(
    "journey_audience_members",
    owner="activate",
    columns=("destination", "person_id", "journey", "added_at", "removed_at"),
    doc="persons journeys added to (removed_at NULL) or removed from an ad audience "
    "destination, for its sync to read",
)

#: every fixed-name shared table, in pipeline order
TABLES: Final[tuple[Table, ...]] = (
    LOADS,
    QUARANTINE,
    RAW_COLLECTED,
    COLLECTED_FILES,
    INGEST_REMOVALS,
    SOURCE_CURSORS,
    RECORDS,
    EVENTS,
    DATA_QUALITY,
    CONSENT_LEDGER,
    IDENTIFIERS,
    IDENTITY_MAP,
    PERSONS,
    IDENTITY_HISTORY,
    IDENTITY_GUARDS,
    IDENTITY_MATCHES,
    IDENTITY_ATTACHMENTS,
    IDENTITY_EDGES,
    IDENTITY_NEAR_MISSES,
    IDENTITY_MATCH_SCORED,
    IDENTITY_OVERRIDE_RECORDS,
    PROFILE_VALUES,
    PROFILES,
    TRAITS,
    PREDICTIONS,
    PROFILE_CONSENT,
    CONSENT_FLAGS,
    SEGMENT_MEMBERSHIP,
    SEGMENT_HISTORY,
    DESTINATION_STATE,
    DESTINATION_RUNS,
    DESTINATION_DEAD_LETTERS,
    JOURNEY_STATE,
    ACTIVATION_MESSAGES,
    JOURNEY_AUDIENCE_MEMBERS,
)


def tables_of(stage: str) -> tuple[Table, ...]:
    """The fixed-name tables a stage owns."""
    return tuple(t for t in TABLES if t.owner == stage)
