"""The demo's ``personae.yml``: the template shipped in ``data/personae.yml``, dated and
given its engine."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources

#: the package data file holding the template (``{as_of}`` is replaced by the anchor date)
CONFIG_TEMPLATE_FILE = "personae.yml"

SPARK_SECTION = """\
# the same pipeline on Apache Spark (pip install 'personae[spark]'; see docs/spark.md)
engine:
  type: spark
  master: local[2]      # or spark://host:7077, yarn, k8s://...
"""


@cache
def config_template() -> str:
    """The demo's ``personae.yml`` before its ``{as_of}`` date is filled in."""
    data = resources.files("personae.demo").joinpath("data", CONFIG_TEMPLATE_FILE)
    return data.read_text(encoding="utf-8")


def config_text(anchor: dt.date, engine: str = "duckdb") -> str:
    """The demo's ``personae.yml``, with comments explaining each source; ``engine`` is
    the engine it names (``duckdb``, the default, needs no section)."""
    text = config_template().replace("{as_of}", anchor.isoformat())
    if engine == "spark":
        text = text.replace("\nname: demo\n", "\nname: demo\n" + SPARK_SECTION, 1)
    elif engine != "duckdb":
        raise ValueError(f"unknown engine {engine!r}: duckdb or spark")
    return text
