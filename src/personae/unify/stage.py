"""The unify stage (``personae resolve``): source records into persons with stable ids."""

from __future__ import annotations

from personae.catalog import (
    RECORDS,
    Table,
    tables_of,
)
from personae.stage import RunContext
from personae.unify.resolve import ResolveReport, resolve_identities


class UnifyStage:
    name = "unify"
    reads: tuple[Table, ...] = (RECORDS,)
    #: the tables it owns, as the catalog lists them
    writes: tuple[Table, ...] = tables_of("unify")

    def run(self, context: RunContext) -> ResolveReport:
        project = context.project
        return resolve_identities(
            project.engine,
            project.config,
            context.run_id,
            context.now,
            project_dir=project.root,
            full=context.full_matching,
        )


UNIFY = UnifyStage()
