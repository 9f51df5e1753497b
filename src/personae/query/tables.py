"""Checks that the tables a step reads exist, with the command that writes them."""

from __future__ import annotations

from collections.abc import Iterable

from personae.catalog import STAGE_COMMANDS, Table
from personae.engine import Engine
from personae.errors import MissingTableError


def require_tables(engine: Engine, tables: Iterable[Table]) -> None:
    """Raise, naming the command to run, when one of ``tables`` has not been built yet."""
    missing = [t for t in tables if not engine.table_exists(t)]
    if missing:
        stages = sorted({t.owner for t in missing}, key=list(STAGE_COMMANDS).index)
        commands = " then ".join(f"`personae {STAGE_COMMANDS[s]}`" for s in stages)
        names = ", ".join(t.name for t in missing)
        raise MissingTableError(f"no table {names} yet: run {commands} (or `personae run`) first")
