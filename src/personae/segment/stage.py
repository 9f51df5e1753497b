"""The segment stage: declared segments into ``segment_membership`` and its history."""

from __future__ import annotations

from personae.catalog import (
    CONSENT_FLAGS,
    EVENTS,
    IDENTITY_MAP,
    PERSONS,
    PROFILES,
    TRAITS,
    Table,
    tables_of,
)
from personae.segment.evaluate import SegmentsReport, evaluate_segments
from personae.stage import RunContext


class SegmentStage:
    name = "segment"
    reads: tuple[Table, ...] = (PROFILES, TRAITS, CONSENT_FLAGS, EVENTS, IDENTITY_MAP, PERSONS)
    #: the tables it owns, as the catalog lists them
    writes: tuple[Table, ...] = tables_of("segment")

    def run(self, context: RunContext) -> SegmentsReport:
        project = context.project
        return evaluate_segments(project.engine, project.config, context.now)


SEGMENT = SegmentStage()
