"""The segment stage: declared segments into ``segment_membership`` and its history."""

from __future__ import annotations

from personae.catalog import (
    EVENTS,
    IDENTITY_MAP,
    PERSONS,
    PROFILES,
    SEGMENT_HISTORY,
    SEGMENT_MEMBERSHIP,
    TRAITS,
    Table,
)
from personae.segment.evaluate import SegmentsReport, evaluate_segments
from personae.stage import RunContext


class SegmentStage:
    name = "segment"
    reads: tuple[Table, ...] = (PROFILES, TRAITS, EVENTS, IDENTITY_MAP, PERSONS)
    writes: tuple[Table, ...] = (SEGMENT_MEMBERSHIP, SEGMENT_HISTORY)

    def run(self, context: RunContext) -> SegmentsReport:
        project = context.project
        return evaluate_segments(project.engine, project.config, context.now)


SEGMENT = SegmentStage()
