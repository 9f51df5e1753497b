"""The ingest stage: source files and collected events into immutable raw tables."""

from __future__ import annotations

from personae.catalog import Table, tables_of
from personae.ingest.load import IngestReport, ingest
from personae.stage import RunContext


class IngestStage:
    name = "ingest"
    reads: tuple[Table, ...] = ()
    #: and one ``raw_<source>`` table per declared source
    #: the tables it owns, as the catalog lists them
    writes: tuple[Table, ...] = tables_of("ingest")

    def run(self, context: RunContext) -> IngestReport:
        return ingest(context.project)


INGEST = IngestStage()
