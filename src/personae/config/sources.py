"""``sources:`` and ``custom_fields:``: the systems data comes from, and how their columns
map to canonical fields."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from personae.config.base import Strict
from personae.config.dlt import DltSpec
from personae.config.fields import BUILTIN_FIELDS, FULL_NAME, FieldType
from personae.config.urls import PLACEHOLDER as _PLACEHOLDER
from personae.config.urls import plaintext_password

#: the fields a mixed column can route values to, told apart by shape (an '@' or not)
MixedTarget = Literal["email", "phone"]
MIXED_TARGETS: tuple[str, ...] = ("email", "phone")


class FieldSpec(Strict):
    """How one source column becomes a canonical field."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    column: str
    #: strftime format of a date or timestamp column, e.g. ``%d/%m/%Y``
    format: str | None = None
    #: default region of phone numbers written without a country code (ISO 3166 alpha-2)
    region: str | None = None
    #: for full_name: the order the parts are written in
    order: Literal["first_last", "last_first"] = "first_last"
    #: a mixed column (``contact: {column: contact, as: [email, phone]}``): each value goes
    #: to the field its shape says, an e-mail when it holds an '@', else a phone
    as_: tuple[MixedTarget, ...] | None = Field(default=None, alias="as")

    @property
    def mixed(self) -> tuple[str, ...]:
        """The fields a mixed column routes to; empty for a plain column."""
        return tuple(self.as_ or ())


def _check_mixed_spec(name: str, spec: dict[str, Any]) -> None:
    """``as:`` names each of the fields a mixed column routes to once; nothing else."""
    targets = spec["as"]
    example = f"{name}: {{column: {spec.get('column', name)}, as: [{', '.join(MIXED_TARGETS)}]}}"
    if (
        not isinstance(targets, list)
        or len(targets) < 2
        or len(set(map(str, targets))) != len(targets)
        or any(t not in MIXED_TARGETS for t in targets)
    ):
        raise ValueError(
            f"fields.{name}.as must list the fields the column's values are routed to by "
            f"their shape, each once, among {', '.join(MIXED_TARGETS)} (got {targets!r}); "
            f"write {example}"
        )
    extra = sorted(set(spec) - {"column", "as", "region"})
    if extra:
        raise ValueError(
            f"fields.{name}: a mixed e-mail/phone column takes only 'column', 'as' and "
            f"'region' (of its phones), not {', '.join(extra)}; write {example}"
        )


class EventSpec(Strict):
    """What makes each row of an event stream an event."""

    #: a fixed event name for every row, e.g. ``Order Completed``
    name: str | None = None
    #: or the column holding the event name
    name_column: str | None = None
    #: rename values of ``name_column``, e.g. ``{open: Email Opened}``
    name_map: dict[str, str] = Field(default_factory=dict)
    timestamp: FieldSpec
    #: event property name -> column (or a FieldSpec for typed properties)
    properties: dict[str, str | PropertySpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_name(self) -> EventSpec:
        if (self.name is None) == (self.name_column is None):
            raise ValueError("give exactly one of 'name' (a fixed event name) or 'name_column'")
        return self


#: the types a key of a list property's objects is read as
ItemType = Literal["string", "number", "boolean"]


class PropertySpec(Strict):
    column: str
    type: FieldType = "string"
    format: str | None = None
    #: the column holds a JSON list of objects (a ``rows_per_record.collect`` column): the
    #: property is that list, each object keeping these keys read as these types, e.g.
    #: ``{sku: string, quantity: number}``
    items: dict[str, ItemType] | None = None

    @model_validator(mode="after")
    def _items_alone(self) -> PropertySpec:
        if self.items is not None and (not self.items or self.type != "string" or self.format):
            raise ValueError(
                f"a list property (items) takes no type or format of its own and names at "
                f"least one key: write {{column: {self.column}, items: {{sku: string, "
                "quantity: number}}"
            )
        return self


SourceFormat = Literal["csv", "tsv", "json", "jsonl", "parquet"]


# --- consent columns (see personae.config.consent and docs/privacy.md)


class ConsentColumn(Strict):
    """A source column holding a consent flag for one purpose (``true``/``false``, ``1``/
    ``0``, ``yes``/``no``, ``oui``/``non``…), with when and how it was given."""

    column: str
    purpose: str
    #: the channel it holds for; every channel of the purpose when omitted
    channel: str | None = None
    #: ``opt_in``: true grants, false withdraws. ``opt_out`` (an unsubscribe or
    #: do-not-contact flag): true withdraws, false says nothing
    meaning: Literal["opt_in", "opt_out"] = "opt_in"
    #: the column holding when it was given or withdrawn (else: when the row was loaded)
    at: str | FieldSpec | None = None
    #: the column holding its proof (a form id, a double opt-in token, an IP…)
    proof: str | None = None

    @property
    def at_spec(self) -> FieldSpec | None:
        return FieldSpec(column=self.at) if isinstance(self.at, str) else self.at


# --- database sources (see personae.ingest.database and docs/sources.md)

#: the URL schemes a database source reads (personae.ingest.drivers); a SQLAlchemy-style
#: ``+driver`` suffix (``mysql+pymysql://``) is accepted and ignored
DATABASE_SCHEMES: tuple[str, ...] = ("postgresql", "postgres", "mysql", "mariadb", "sqlite")


def _sqlalchemy_dialect(url: str) -> bool:
    """Whether SQLAlchemy is installed and has a dialect for the URL's scheme (its
    driver is imported only when the source is read)."""
    try:
        from sqlalchemy.engine import make_url

        make_url(url).get_dialect()
    except Exception:  # not installed, no such dialect, or not a URL
        return False
    return True


def _check_database_url(url: str) -> str:
    """A supported scheme, and no password written in the file: a password in the URL must
    be a ``${VARIABLE}`` (or ``${file:path}``) placeholder. The password is never echoed."""
    if _PLACEHOLDER.match(url.strip()):
        return url  # the whole URL comes from the environment or a secrets file
    scheme, sep, _ = url.partition("://")
    base = scheme.lower().partition("+")[0]
    native = base in DATABASE_SCHEMES and not (base == "sqlite" and scheme != base)
    if not sep or not (native or _sqlalchemy_dialect(url)):
        raise ValueError(
            "url must start with postgresql://, mysql:// (or mariadb://) or sqlite:/// "
            f"(got {scheme!r}:// ...); e.g. postgresql://crm@db.example.com:5432/crm, "
            "mysql://crm:${PERSONAE_CRM_PASSWORD}@db.example.com:3306/crm or "
            "sqlite:///data/shop.db; another database is read through SQLAlchemy: pip "
            "install 'personae[sqlalchemy]' and the database's SQLAlchemy dialect, then "
            "write its SQLAlchemy URL (e.g. oracle+oracledb://...)"
        )
    found = plaintext_password(url)
    if found is not None and found[0] == "userinfo":
        raise ValueError(
            "url holds a password written in plain text; personae.yml must not hold "
            "secrets: write it as a placeholder resolved when the source is read, e.g. "
            f"{scheme}://{found[1]}:${{PERSONAE_CRM_PASSWORD}}@host/db (an environment "
            "variable) or ${file:/run/secrets/crm_password} (a secrets file), or (on "
            "PostgreSQL) leave it out and let libpq read PGPASSWORD or ~/.pgpass"
        )
    if found is not None:
        raise ValueError(
            "url holds a password= parameter; personae.yml must not hold secrets: put the "
            "password in the URL as a placeholder such as ${PERSONAE_CRM_PASSWORD}"
        )
    return url


class DatabaseSpec(Strict):
    """A table or query of a database, read incrementally on a cursor column."""

    #: ``postgresql://user:${PASSWORD_VAR}@host:5432/db``, ``mysql://…:3306/db`` (or
    #: ``mariadb://``) or ``sqlite:///path/to.db``
    #: (relative to the project folder; ``sqlite:////abs/path`` for an absolute path)
    url: str
    #: a table (``customers`` or ``crm.customers``) …
    table: str | None = None
    #: … or a SELECT query
    query: str | None = None
    #: the column that grows when a row changes (``updated_at``, a sequence): each run
    #: reads the rows whose cursor is at least the highest one loaded before
    cursor: str | None = None
    #: a column set (a deletion time, ``true``) on rows deleted at the source: their
    #: record leaves raw and is counted as a removal
    soft_delete: str | None = None
    #: compare the source's record ids with raw's on every run: records gone from the
    #: source leave raw, counted as removals (reads every id: for tables without soft deletes)
    full_compare: bool = False
    #: rows per batch written to the warehouse (memory stays bounded by this)
    batch_rows: int = Field(default=50_000, ge=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_database_url(value)

    @model_validator(mode="after")
    def _one_relation(self) -> DatabaseSpec:
        if (self.table is None) == (self.query is None):
            raise ValueError(
                "give exactly one of 'table' (e.g. table: crm.customers) or 'query' "
                "(e.g. query: SELECT * FROM customers WHERE active)"
            )
        return self

    @property
    def scheme(self) -> str:
        return self.url.partition("://")[0].lower()


# --- several rows per record (see personae.ingest.fold and docs/sources.md)


class RowsPerRecord(Strict):
    """Rows sharing a record id in one file or extract are one record (an order's line
    items, a contact's addresses): they are folded into one row when they land."""

    #: ``first``: the record's columns are its first row's, as received;
    #: ``first_non_empty``: each column holds its first non-empty value, in file order
    keep: Literal["first", "first_non_empty"] = "first"
    #: a new column of raw -> the columns of every row it collects, as a JSON list with one
    #: object per row in file order: a list of columns (the objects' keys are the column
    #: names) or a mapping key -> column (``{sku: Lineitem sku, name: Lineitem name}``)
    collect: dict[str, list[str] | dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _collect_shape(self) -> RowsPerRecord:
        for name, columns in self.collect.items():
            example = f"collect: {{{name}: {{sku: Lineitem sku, name: Lineitem name}}}}"
            if not name.strip() or name.startswith("_"):
                raise ValueError(
                    f"collect: {name!r} cannot name a column of raw (empty, or starting with "
                    f"'_' like ingest's own columns); name it after what it holds, e.g. {example}"
                )
            if not columns:
                raise ValueError(f"collect.{name} lists no column; write e.g. {example}")
            if isinstance(columns, list) and len(set(columns)) != len(columns):
                raise ValueError(f"collect.{name} lists a column twice: {columns!r}")
        return self

    def collected(self) -> dict[str, dict[str, str]]:
        """Each collected column's objects: key -> source column."""
        return {
            name: dict(columns) if isinstance(columns, dict) else {c: c for c in columns}
            for name, columns in self.collect.items()
        }


# --- sources


class SourceConfig(Strict):
    """One system the data comes from: a CRM export, an order file, an event log…"""

    #: ``people`` rows describe persons; ``events`` rows are things persons did
    kind: Literal["people", "events"]
    #: a file path or glob, relative to the project folder …
    path: str | None = None
    #: … or a database table or query …
    database: DatabaseSpec | None = None
    #: … or a table a dlt pipeline loaded (exactly one of ``path``, ``database``, ``dlt``)
    dlt: DltSpec | None = None
    #: inferred from the file extension when omitted
    format: SourceFormat | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    header: bool = True
    #: the column that identifies a row within this source. When omitted, a hash
    #: of the row's values is used, so an exact duplicate row is quarantined.
    record_id: str | None = None
    #: when the row was last updated (people) — used by the ``most_recent`` survivorship rule
    updated_at: FieldSpec | None = None
    #: canonical field -> column name or FieldSpec
    fields: dict[str, str | FieldSpec] = Field(default_factory=dict)
    #: only for event streams
    event: EventSpec | None = None
    description: str | None = None
    #: consent flags this source holds, one entry per column
    consent: list[ConsentColumn] = Field(default_factory=list)
    #: the rows sharing a record id in one file or extract are one record: fold them
    #: (otherwise the second and later are quarantined as duplicate record ids)
    rows_per_record: RowsPerRecord | None = None

    # --- privacy: retention
    #: how long raw rows are kept: ``90d``, ``18m`` or ``3y``. Rows older than that (by
    #: the event timestamp, else ``updated_at``, else the load time) are deleted by each
    #: ingest, with the collected events of the same source.
    retention: str | None = None
    # --- end privacy

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_is_what_a_row_is(cls, value: Any) -> Any:
        if value == "dlt":
            raise ValueError(
                "kind says what a row is, people or events; a dlt pipeline is where rows come "
                "from: write kind: people (or events) and a dlt block, e.g. dlt: {destination: "
                "shop.duckdb, dataset: shop_data, table: customers}"
            )
        return value

    @field_validator("retention")
    @classmethod
    def _retention_shape(cls, value: str | None) -> str | None:
        if value is not None:
            retention_days(value)
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _no_null_fields(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name, spec in value.items():
                if isinstance(spec, dict) and "as" in spec:
                    _check_mixed_spec(name, spec)
        return {} if value is None else value

    @model_validator(mode="after")
    def _event_matches_kind(self) -> SourceConfig:
        if [self.path, self.database, self.dlt].count(None) != 2:
            raise ValueError(
                "give exactly one of 'path' (a file or glob), 'database' (a table or query: "
                "database: {url: postgresql://crm@host/db, table: customers, cursor: updated_at})"
                " or 'dlt' (a table a dlt pipeline loaded: dlt: {destination: shop.duckdb, "
                "dataset: shop_data, table: customers})"
            )
        if self.database is not None:
            self._check_database(self.database)
        for key in ("format", "delimiter"):
            if self.dlt is not None and getattr(self, key) is not None:
                raise ValueError(f"'{key}' is for files; a dlt source has no {key}")
        if self.kind == "events" and self.event is None:
            raise ValueError("an events source needs an 'event' section (name and timestamp)")
        if self.kind == "people" and self.event is not None:
            raise ValueError("'event' is only allowed on sources of kind 'events'")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}")
        self._check_mixed_columns()
        if self.rows_per_record is not None:
            self._check_rows_per_record(self.rows_per_record)
        return self

    def _check_rows_per_record(self, rows: RowsPerRecord) -> None:
        if not self.record_id:
            raise ValueError(
                "rows_per_record folds the rows sharing a record id: set record_id (the "
                "column the rows of one record share, e.g. record_id: Name)"
            )
        if self.database is not None and self.database.cursor:
            raise ValueError(
                "rows_per_record needs every row of a record in the same extract, and "
                "database.cursor reads only the rows that changed: remove cursor (each run "
                "reads the whole table or query), or fold in the query itself (GROUP BY the "
                "record id, with json_agg or group_concat)"
            )
        for name, columns in rows.collected().items():
            if name == self.record_id or name in columns.values():
                raise ValueError(
                    f"rows_per_record.collect.{name} would replace the column {name!r} the "
                    "file already has: give the collected list a name of its own"
                )

    def _check_database(self, database: DatabaseSpec) -> None:
        for key in ("format", "delimiter"):
            if getattr(self, key) is not None:
                raise ValueError(f"'{key}' is for files; a database source has no {key}")
        if (database.soft_delete or database.full_compare) and not self.record_id:
            raise ValueError(
                "database.soft_delete and database.full_compare remove records by their id: "
                "set record_id (the table's primary key column)"
            )

    def _check_mixed_columns(self) -> None:
        """A mixed column has a name of its own and is the only mapping of its fields."""
        routed: dict[str, str] = {}
        for name, spec in self.field_specs().items():
            if not spec.mixed:
                continue
            if name in BUILTIN_FIELDS or name == FULL_NAME:
                raise ValueError(
                    f"fields.{name} routes values to {' and '.join(spec.mixed)}: give the "
                    f"mixed column a name of its own, e.g. contact: {{column: {spec.column}, "
                    f"as: [{', '.join(spec.mixed)}]}}"
                )
            for target in spec.mixed:
                if target in self.fields or target in routed:
                    other = (
                        f"fields.{target}" if target in self.fields else f"fields.{routed[target]}"
                    )
                    raise ValueError(
                        f"{target} is mapped twice, by fields.{name} (as: "
                        f"[{', '.join(spec.mixed)}]) and by {other}; map each field once: "
                        f"remove {other}, or map the mixed column to one field only "
                        f"({' or '.join(f'{t}: {{column: {spec.column}}}' for t in spec.mixed)})"
                    )
                routed[target] = name

    @property
    def file_format(self) -> SourceFormat:
        if self.format is not None:
            return self.format
        suffix = PurePath(self.path or "").suffix.lower().lstrip(".")
        if suffix in ("csv", "tsv", "json", "jsonl", "parquet"):
            return suffix  # type: ignore[return-value]
        if suffix == "ndjson":
            return "jsonl"
        return "csv"

    def field_specs(self) -> dict[str, FieldSpec]:
        """Every mapped field as a FieldSpec (plain column names expanded)."""
        return {
            name: spec if isinstance(spec, FieldSpec) else FieldSpec(column=spec)
            for name, spec in self.fields.items()
        }


_RETENTION_UNITS = {"d": 1, "m": 30, "y": 365}


def retention_days(text: str) -> int:
    """``90d`` -> 90, ``18m`` -> 540, ``3y`` -> 1095 (a month is 30 days, a year 365)."""
    value = text.strip().lower()
    if len(value) < 2 or not value[:-1].isdigit() or value[-1] not in _RETENTION_UNITS:
        raise ValueError(
            f"retention must be a number of days, months or years such as 90d, 18m or 3y, "
            f"got {text!r}"
        )
    days = int(value[:-1]) * _RETENTION_UNITS[value[-1]]
    if days <= 0:
        raise ValueError(f"retention must be at least one day, got {text!r}")
    return days


class CustomField(Strict):
    type: FieldType = "string"
    #: identity fields link records; attributes only describe them
    identity: bool = False
    description: str | None = None


EventSpec.model_rebuild()
