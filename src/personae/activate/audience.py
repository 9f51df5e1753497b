"""An audience leaving personae: only persons with a valid consent for the export's
purpose on its channel, personal data pseudonymised when asked, and a report saying how
many members were held back.

Consent is read from ``consent_flags`` (written by the profile stage), so a withdrawal
recorded before a run takes effect on the next export after that run, and no later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from personae.activate.export import file_format
from personae.activate.pseudonymise import pseudonymise_table, pseudonymised_fields
from personae.catalog import CONSENT_FLAGS
from personae.config.destinations import Pseudonymise
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, PersonaeError
from personae.profile.consent import consent_column
from personae.query.tables import require_tables
from personae.sql import ident


@dataclass
class AudienceReport:
    out: Path
    #: persons written
    rows: int
    #: persons of the audience left out for lack of a valid consent
    held_back: int = 0
    purpose: str | None = None
    channel: str | None = None
    #: columns hashed or masked
    pseudonymised: list[str] = field(default_factory=list)
    #: ``sha256 (meta)``, ``masked``… (None when nothing was pseudonymised)
    how: str | None = None


def resolve_channel(
    config: ProjectConfig, purpose: str, channel: str | None, path: str = "--purpose"
) -> str:
    """The channel an export for ``purpose`` reaches people on: the given one, or the
    purpose's only channel."""
    problem = config.consent.problem(purpose, channel)
    if problem:
        raise ConfigError(problem, path=path)
    channels = config.consent.purposes[purpose].channels
    if channel is not None:
        return channel
    if len(channels) > 1:
        raise ConfigError(
            f"purpose {purpose!r} reaches people on several channels ({', '.join(channels)}); "
            f"say which one this export uses (channel: {channels[0]}, or --channel "
            f"{channels[0]})",
            path=path,
        )
    return channels[0]


def consented_sql(
    engine: Engine, config: ProjectConfig, sql: str, column: str, *, ordered: bool = True
) -> str:
    """The rows of ``sql`` (which has ``person_id``) whose person may be reached (in
    person order unless ``ordered`` is false)."""
    require_tables(engine, [CONSENT_FLAGS])
    if column not in engine.columns(CONSENT_FLAGS):
        raise PersonaeError(
            f"{CONSENT_FLAGS} has no column {column}: consent: changed since the last run; "
            "run `personae profiles` (or `personae run`) first"
        )
    return (
        f"SELECT a.* FROM ({sql}) a JOIN {CONSENT_FLAGS} c ON c.person_id = a.person_id "
        f"WHERE c.{ident(column)}" + (" ORDER BY a.person_id" if ordered else "")
    )


def _csv_ready(table: pa.Table) -> pa.Table:
    """List columns as ``[a, b]`` text, as the engines write them to CSV."""
    for i, column in enumerate(table.schema):
        if pa.types.is_list(column.type):
            values = [
                None if v is None else "[" + ", ".join(map(str, v)) + "]"
                for v in table.column(i).to_pylist()
            ]
            table = table.set_column(i, column.name, pa.array(values, type=pa.string()))
    return table


def _write(table: pa.Table, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if file_format(out) == "parquet":
        pq.write_table(table, out)
    else:
        pa_csv.write_csv(_csv_ready(table), out)


def write_audience(
    engine: Engine,
    config: ProjectConfig,
    sql: str,
    out: Path,
    *,
    purpose: str | None = None,
    channel: str | None = None,
    pseudonymise: Pseudonymise | None = None,
    path: str = "--purpose",
) -> AudienceReport:
    """Write the persons ``sql`` selects (with ``person_id``) to ``out``: only those with
    a valid consent for ``purpose`` when one is given, PII pseudonymised when asked."""
    file_format(out)
    report = AudienceReport(out=out, rows=0)
    if purpose is not None:
        report.purpose = purpose
        report.channel = resolve_channel(config, purpose, channel, path)
        total = int(engine.scalar(f"SELECT count(*) FROM ({sql})") or 0)
        sql = consented_sql(engine, config, sql, consent_column(config, purpose, report.channel))
    if pseudonymise is None:
        out.parent.mkdir(parents=True, exist_ok=True)
        report.rows = int(engine.export(sql, out, file_format(out)))
    else:
        table = engine.query(sql)
        fields = pseudonymised_fields(pseudonymise, table.column_names, f"{path}.pseudonymise")
        table = pseudonymise_table(table, pseudonymise, fields)
        _write(table, out)
        report.rows = table.num_rows
        report.pseudonymised = fields
        report.how = (
            "masked"
            if pseudonymise.mode == "mask"
            else f"SHA-256 after {pseudonymise.platform}'s normalisation"
        )
    if purpose is not None:
        report.held_back = total - report.rows
    return report
