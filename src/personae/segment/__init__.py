"""Segment: evaluates declarative segments into a membership table."""

from personae.segment.compile import compile_segment, segment_sql
from personae.segment.evaluate import SegmentResult, SegmentsReport, evaluate_segments

__all__ = [
    "SegmentResult",
    "SegmentsReport",
    "compile_segment",
    "evaluate_segments",
    "segment_sql",
]
