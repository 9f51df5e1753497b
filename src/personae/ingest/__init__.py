"""Collect and centralise: source files into immutable raw tables."""

from personae.ingest.landing import SourceLoad
from personae.ingest.load import IngestReport, ingest

__all__ = ["IngestReport", "SourceLoad", "ingest"]
