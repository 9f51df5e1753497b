"""The ``exports:`` section: PostgreSQL schemas every whole ``personae run`` publishes the
single customer view to (:mod:`personae.activate.postgres_export`), and the checks of a
URL and a schema name the ``personae export postgres`` command shares."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from personae.config.base import Strict
from personae.config.urls import PLACEHOLDER as _PLACEHOLDER
from personae.config.urls import plaintext_password

#: the tables an export writes, in the order it writes them
EXPORT_TABLES = ("profiles", "identities", "segment_members", "segments")
ExportTable = Literal["profiles", "identities", "segment_members", "segments"]
STAGING_SUFFIX = "__personae_staging"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_SCHEMES = ("postgresql", "postgres")


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an export's URL (not PostgreSQL, a password in plain text),
    or None. The password is never echoed."""
    if _PLACEHOLDER.match(url.strip()):
        return None
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in _SCHEMES:
        return (
            f"the URL must start with postgresql:// (got {scheme if sep else 'no scheme'}"
            "://…); e.g. postgresql://bi:${BI_PASSWORD}@warehouse.internal:5432/analytics"
        )
    found = plaintext_password(url)
    if found is not None:
        user = found[1] or "user"
        return (
            "the URL holds a password written in plain text, which would stay in the shell's "
            "history, personae.yml and the project's record of the export; write it as a "
            f"placeholder resolved when the export runs: {scheme}://{user}:${{BI_PASSWORD}}@"
            "host/db (an environment variable) or ${file:/run/secrets/bi_password} (a "
            "secrets file), or leave it out and let PostgreSQL read PGPASSWORD or ~/.pgpass"
        )
    return None


def schema_problem(schema: str) -> str | None:
    """Why ``schema`` is not a schema name personae writes, or None."""
    if not _SCHEMA_NAME.match(schema) or len(schema) + len(STAGING_SUFFIX) > 63:
        return (
            f"{schema!r} is not a schema name personae writes; use lower-case letters, digits "
            f"and _ (at most {63 - len(STAGING_SUFFIX)} characters), a name BI tools and dbt "
            "can write without quotes, e.g. personae"
        )
    return None


class PostgresExport(Strict):
    """A schema of a PostgreSQL database the single customer view is written to after
    every whole run, replaced in one transaction (docs/activation.md)."""

    type: Literal["postgres"] = "postgres"
    #: ``postgresql://bi:${BI_PASSWORD}@host:5432/db``: the password as a placeholder
    url: str
    #: ``schema:`` in personae.yml (a name BaseModel keeps for itself)
    schema_name: str = Field("personae", alias="schema")
    #: the tables written (all by default)
    tables: list[ExportTable] | None = None
    #: only persons with a valid consent for this purpose (and channel)
    purpose: str | None = None
    channel: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("schema_name")
    @classmethod
    def _schema(cls, value: str) -> str:
        problem = schema_problem(value)
        if problem:
            raise ValueError(problem)
        return value
