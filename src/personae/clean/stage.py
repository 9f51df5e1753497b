"""The clean stage: raw tables into canonical ``records``, ``events`` and ``data_quality``."""

from __future__ import annotations

from personae.catalog import RAW_COLLECTED, Table, tables_of
from personae.clean.records import CleanReport, clean
from personae.stage import RunContext


class CleanStage:
    name = "clean"
    #: and every ``raw_<source>`` table
    reads: tuple[Table, ...] = (RAW_COLLECTED,)
    #: the tables it owns, as the catalog lists them
    writes: tuple[Table, ...] = tables_of("clean")

    def run(self, context: RunContext) -> CleanReport:
        return clean(context.project)


CLEAN = CleanStage()
