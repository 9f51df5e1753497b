"""Export identities, profiles and segment members to CSV or Parquet files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from personae.catalog import IDENTITY_MAP, PROFILES, SEGMENT_MEMBERSHIP, TRAITS
from personae.engine import Engine
from personae.errors import NotFoundError, PersonaeError, did_you_mean
from personae.query.tables import require_tables
from personae.sql import ident, literal

FileFormat = Literal["csv", "parquet"]


def file_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise PersonaeError(f"--out {path}: unknown file type {suffix!r}; use a .csv or .parquet name")


def export_identities(engine: Engine, out: Path) -> int:
    """``source,record_id,person_id`` for every source record."""
    require_tables(engine, [IDENTITY_MAP])
    sql = f"SELECT source, record_id, person_id FROM {IDENTITY_MAP} ORDER BY source, record_id"
    return engine.export(sql, out, file_format(out))


def profile_view(engine: Engine) -> str:
    require_tables(engine, [PROFILES])
    if engine.table_exists(TRAITS):
        trait_columns = [c for c in engine.columns(TRAITS) if c != "person_id"]
        traits = ", ".join(f"t.{ident(c)}" for c in trait_columns)
        return (
            f"SELECT p.*{', ' + traits if traits else ''} FROM {PROFILES} p "
            f"LEFT JOIN {TRAITS} t ON t.person_id = p.person_id"
        )
    return f"SELECT * FROM {PROFILES}"


def is_lineage(column: str) -> bool:
    """``email__source``, ``email__record_id``: where a golden value comes from."""
    return "__" in column


def checked_fields(engine: Engine, view: str, fields: list[str]) -> list[str]:
    """The requested fields (person_id aside), each checked to exist in the view."""
    available = engine.query(f"SELECT * FROM ({view}) LIMIT 0").column_names
    for name in fields:
        if name not in available:
            listed = [c for c in available if not is_lineage(c) and c != "person_id"]
            hint = did_you_mean(name, listed)
            raise NotFoundError(
                f"--fields: no field {name!r}{hint}; the fields are: {', '.join(listed)}"
            )
    return [f for f in fields if f != "person_id"]


def export_profiles(
    engine: Engine,
    out: Path,
    fields: list[str] | None = None,
    *,
    golden: list[str] | None = None,
) -> int:
    """Golden profiles with their traits, one row per live person.

    ``fields`` chooses the columns; otherwise ``golden`` (the golden fields and traits)
    keeps those of them the profiles have; with neither, every column, lineage included.
    """
    return engine.export(profiles_sql(engine, fields, golden=golden), out, file_format(out))


def profiles_sql(
    engine: Engine, fields: list[str] | None = None, *, golden: list[str] | None = None
) -> str:
    """The SELECT :func:`export_profiles` writes, ordered by person."""
    view = profile_view(engine)
    columns = "*"
    if fields:
        columns = ", ".join(ident(f) for f in ["person_id", *checked_fields(engine, view, fields)])
    elif golden is not None:
        available = set(engine.query(f"SELECT * FROM ({view}) LIMIT 0").column_names)
        columns = ", ".join(ident(c) for c in golden if c in available)
    return f"SELECT {columns} FROM ({view}) ORDER BY person_id"


def segment_members_sql(
    engine: Engine,
    segment: str,
    *,
    declared: list[str],
    fields: list[str] | None = None,
) -> str:
    """SELECT of a declared segment's members: ``person_id``, ``since`` and the chosen
    profile fields (e-mail and names by default), ordered by person."""
    if segment not in declared:
        hint = did_you_mean(segment, declared, prefix="") or f"declared: {', '.join(declared)}"
        raise NotFoundError(f"no segment {segment!r} in personae.yml; {hint}")
    require_tables(engine, [SEGMENT_MEMBERSHIP])
    view = profile_view(engine)
    chosen = checked_fields(engine, view, fields or ["email", "first_name", "last_name"])
    member_columns = "".join(f", p.{ident(c)}" for c in chosen)
    return f"""
        SELECT m.person_id, m.since{member_columns}
        FROM {SEGMENT_MEMBERSHIP} m JOIN ({view}) p ON p.person_id = m.person_id
        WHERE m.segment = {literal(segment)}
        ORDER BY m.person_id
    """


def export_segment(
    engine: Engine,
    segment: str,
    out: Path,
    *,
    declared: list[str],
    fields: list[str] | None = None,
) -> int:
    """Members of a declared segment with ``since`` and the chosen profile fields."""
    sql = segment_members_sql(engine, segment, declared=declared, fields=fields)
    return engine.export(sql, out, file_format(out))
