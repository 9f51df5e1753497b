"""Syncs of audiences to destinations as diffs, exactly accounted: the audience, the diff
against what each destination holds, delivery in batches with retries, runs, dead letters
and status."""

from personae.activate.sync.runner import Options, SyncReport, run_destination
from personae.activate.sync.status import (
    DestinationStatus,
    due,
    retry_destinations,
    run_destinations,
    statuses,
)

__all__ = [
    "DestinationStatus",
    "Options",
    "SyncReport",
    "due",
    "retry_destinations",
    "run_destination",
    "run_destinations",
    "statuses",
]
