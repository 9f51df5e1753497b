"""The unify stage (``personae resolve``): source records into persons with stable ids."""

from __future__ import annotations

from personae.catalog import (
    IDENTIFIERS,
    IDENTITY_ATTACHMENTS,
    IDENTITY_EDGES,
    IDENTITY_GUARDS,
    IDENTITY_HISTORY,
    IDENTITY_MAP,
    IDENTITY_MATCH_SCORED,
    IDENTITY_MATCHES,
    IDENTITY_OVERRIDE_RECORDS,
    PERSONS,
    RECORDS,
    Table,
)
from personae.stage import RunContext
from personae.unify.resolve import ResolveReport, resolve_identities


class UnifyStage:
    name = "unify"
    reads: tuple[Table, ...] = (RECORDS,)
    writes: tuple[Table, ...] = (
        IDENTIFIERS,
        IDENTITY_MAP,
        PERSONS,
        IDENTITY_HISTORY,
        IDENTITY_GUARDS,
        IDENTITY_MATCHES,
        IDENTITY_ATTACHMENTS,
        IDENTITY_EDGES,
        IDENTITY_MATCH_SCORED,
        IDENTITY_OVERRIDE_RECORDS,
    )

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
