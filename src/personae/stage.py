"""The contract every stage keeps, as in dlt's extract/normalize/load steps.

A stage is named like its package (``ingest``, ``clean``, ``unify``, ``profile``,
``segment``), declares the shared tables it reads and writes (from :mod:`personae.catalog`),
and runs with ``run(context) -> report``. :mod:`personae.pipeline` holds the list, in
order; the CLI, ``status`` and the benchmarks iterate that same list.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Protocol, TypeVar

from personae.catalog import STAGE_COMMANDS, Table
from personae.project import Project


@dataclass(frozen=True)
class RunContext:
    """What one pipeline run gives every stage."""

    project: Project
    #: names this run in ``identity_history``
    run_id: str
    #: naive UTC: stamps new persons, history rows and segment entries
    now: dt.datetime
    #: score every record pair again instead of only those of new and changed records
    full_matching: bool = False

    @classmethod
    def start(cls, project: Project, *, full_matching: bool = False) -> RunContext:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        run_id = f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        return cls(project, run_id, now, full_matching)


class Report(Protocol):
    """What every stage's report offers besides its own figures."""

    @property
    def warnings(self) -> list[str]:
        """Things the user should know that did not stop the stage."""
        ...


R_co = TypeVar("R_co", bound=Report, covariant=True)


class Stage(Protocol[R_co]):
    """One step of the pipeline."""

    #: the stage's name, which is also its package's name
    name: str
    #: the shared tables it needs (written by stages before it)
    reads: tuple[Table, ...]
    #: the shared tables it writes (and owns)
    writes: tuple[Table, ...]

    def run(self, context: RunContext) -> R_co:
        """Run the stage and say what it did."""
        ...


def command_of(stage: Stage[Report]) -> str:
    """The ``personae`` command that runs ``stage`` alone (``unify`` runs as ``resolve``)."""
    return STAGE_COMMANDS[stage.name]
