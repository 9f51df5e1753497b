"""Export identities, profiles and segment members to CSV or Parquet files."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from personae.engine import Engine
from personae.errors import NotFoundError, PersonaeError, ProjectError
from personae.sql import ident, literal

FileFormat = Literal["csv", "parquet"]


def file_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise PersonaeError(f"--out {path}: unknown file type {suffix!r}; use a .csv or .parquet name")


def _require(engine: Engine, table: str, step: str) -> None:
    if not engine.table_exists(table):
        raise ProjectError(f"no {table} yet: run 'personae {step}' (or 'personae run') first")


def export_identities(engine: Engine, out: Path) -> int:
    """``source,record_id,person_id`` for every source record."""
    _require(engine, "identity_map", "resolve")
    sql = "SELECT source, record_id, person_id FROM identity_map ORDER BY source, record_id"
    return engine.export(sql, out, file_format(out))


def _profile_view(engine: Engine) -> str:
    _require(engine, "profiles", "profiles")
    if engine.table_exists("traits"):
        trait_columns = [c for c in engine.columns("traits") if c != "person_id"]
        traits = ", ".join(f"t.{ident(c)}" for c in trait_columns)
        return (
            f"SELECT p.*{', ' + traits if traits else ''} FROM profiles p "
            "LEFT JOIN traits t ON t.person_id = p.person_id"
        )
    return "SELECT * FROM profiles"


def _checked_fields(engine: Engine, view: str, fields: list[str]) -> list[str]:
    """The requested fields (person_id aside), each checked to exist in the view."""
    available = engine.query(f"SELECT * FROM ({view}) LIMIT 0").column_names
    for name in fields:
        if name not in available:
            close = difflib.get_close_matches(name, available, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise NotFoundError(f"--fields: no field {name!r}{hint}")
    return [f for f in fields if f != "person_id"]


def export_profiles(engine: Engine, out: Path, fields: list[str] | None = None) -> int:
    """Golden profiles with their traits, one row per live person."""
    view = _profile_view(engine)
    columns = "*"
    if fields:
        columns = ", ".join(ident(f) for f in ["person_id", *_checked_fields(engine, view, fields)])
    return engine.export(
        f"SELECT {columns} FROM ({view}) ORDER BY person_id", out, file_format(out)
    )


def export_segment(
    engine: Engine,
    segment: str,
    out: Path,
    *,
    declared: list[str],
    fields: list[str] | None = None,
) -> int:
    """Members of a declared segment with ``since`` and the chosen profile fields."""
    if segment not in declared:
        close = difflib.get_close_matches(segment, declared, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"declared: {', '.join(declared)}"
        raise NotFoundError(f"no segment {segment!r} in personae.yml; {hint}")
    _require(engine, "segment_membership", "segments")
    view = _profile_view(engine)
    chosen = _checked_fields(engine, view, fields or ["email", "first_name", "last_name"])
    member_columns = "".join(f", p.{ident(c)}" for c in chosen)
    sql = f"""
        SELECT m.person_id, m.since{member_columns}
        FROM segment_membership m JOIN ({view}) p ON p.person_id = m.person_id
        WHERE m.segment = {literal(segment)}
        ORDER BY m.person_id
    """
    return engine.export(sql, out, file_format(out))
