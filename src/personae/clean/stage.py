"""The clean stage: raw tables into canonical ``records``, ``events`` and ``data_quality``."""

from __future__ import annotations

from personae.catalog import DATA_QUALITY, EVENTS, RAW_COLLECTED, RECORDS, Table
from personae.clean.records import CleanReport, clean
from personae.stage import RunContext


class CleanStage:
    name = "clean"
    #: and every ``raw_<source>`` table
    reads: tuple[Table, ...] = (RAW_COLLECTED,)
    writes: tuple[Table, ...] = (RECORDS, EVENTS, DATA_QUALITY)

    def run(self, context: RunContext) -> CleanReport:
        return clean(context.project)


CLEAN = CleanStage()
