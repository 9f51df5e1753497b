"""The demo's ``personae.yml``: the template shipped in ``data/personae.yml``, dated and
given its engine."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources

from personae.engine.registry import engine_names

#: the package data file holding the template (``{as_of}`` is replaced by the anchor date)
CONFIG_TEMPLATE_FILE = "personae.yml"


@cache
def config_template() -> str:
    """The demo's ``personae.yml`` before its ``{as_of}`` date is filled in."""
    return _data(CONFIG_TEMPLATE_FILE) or ""


def _data(name: str) -> str | None:
    data = resources.files("personae.demo").joinpath("data", name)
    return data.read_text(encoding="utf-8") if data.is_file() else None


def engine_section(engine: str) -> str:
    """The ``engine:`` section naming ``engine``: the commented one shipped as
    ``data/engine_<name>.yml`` when there is one, else just its type."""
    if engine not in engine_names():
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(engine_names())}")
    return _data(f"engine_{engine}.yml") or f"engine:\n  type: {engine}\n"


def config_text(anchor: dt.date, engine: str | None = None) -> str:
    """The demo's ``personae.yml``, with comments explaining each source; ``engine`` is
    the engine it names (the default engine needs no section)."""
    text = config_template().replace("{as_of}", anchor.isoformat())
    if engine is not None and engine != engine_names()[0]:
        text = text.replace("\nname: demo\n", "\nname: demo\n" + engine_section(engine), 1)
    return text
