"""The ingest stage: source files and collected events into immutable raw tables."""

from __future__ import annotations

from personae.catalog import COLLECTED_FILES, LOADS, QUARANTINE, RAW_COLLECTED, Table
from personae.ingest.load import IngestReport, ingest
from personae.stage import RunContext


class IngestStage:
    name = "ingest"
    reads: tuple[Table, ...] = ()
    #: and one ``raw_<source>`` table per declared source
    writes: tuple[Table, ...] = (LOADS, QUARANTINE, RAW_COLLECTED, COLLECTED_FILES)

    def run(self, context: RunContext) -> IngestReport:
        return ingest(context.project)


INGEST = IngestStage()
