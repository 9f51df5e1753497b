"""The ``dlt:`` block of a source: a table a dlt pipeline loaded, read from its destination.

A source says what its rows are with ``kind`` (people or events) and where they come from
with exactly one origin block: ``path`` (files), ``database`` or ``dlt``. See
:mod:`personae.ingest.dlt_source` and docs/sources.md.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from personae.config.base import Strict

#: what a dlt dataset or table name may be (dlt normalises names to snake_case)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DltSpec(Strict):
    """A table of a dlt pipeline's DuckDB or filesystem (Parquet) destination."""

    #: the DuckDB file the pipeline loads into (``dlt.destinations.duckdb("shop.duckdb")``)
    #: or the folder of its filesystem destination (its ``bucket_url``); relative to the
    #: project folder
    destination: str
    #: the pipeline's ``dataset_name``
    dataset: str
    #: a top-level table of the dataset (a resource's name), e.g. ``customers``
    table: str
    #: rows per batch written to the warehouse (memory stays bounded by this)
    batch_rows: int = Field(default=50_000, ge=1)

    @field_validator("dataset", "table")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"{value!r} is not a dlt dataset or table name: dlt names them in snake_case "
                "(letters, digits, underscores), e.g. dataset: shop_data, table: customers"
            )
        if value.startswith("_dlt"):
            raise ValueError(
                f"{value!r} is one of dlt's own tables; name a table of your data, e.g. customers"
            )
        return value
