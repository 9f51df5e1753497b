"""Collect and centralise: source files into immutable raw tables."""

from personae.ingest.load import IngestReport, SourceLoad, ingest

__all__ = ["IngestReport", "SourceLoad", "ingest"]
