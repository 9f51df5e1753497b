"""Journeys: multi-step flows declared in ``personae.yml`` (entry, send, wait, wait until
an event, branch, ad audience, exit), each person's state stored so ticks resume where
they left off; every message goes through the orchestrator."""

from personae.activate.journeys.run import (
    JourneyReport,
    TickReport,
    run_journeys,
    validate_journeys,
)
from personae.activate.journeys.status import (
    JourneyStatus,
    StepCount,
    journey_status,
    journeys_of,
)

__all__ = [
    "JourneyReport",
    "JourneyStatus",
    "StepCount",
    "TickReport",
    "journey_status",
    "journeys_of",
    "run_journeys",
    "validate_journeys",
]
