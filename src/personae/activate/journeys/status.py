"""What a journey looks like now: persons per step and status, message decisions per
step (``personae journeys status``), and one person's journeys (``journeys why``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from personae.activate.journeys.run import ensure_tables
from personae.catalog import ACTIVATION_MESSAGES, JOURNEY_STATE
from personae.config.journeys import EXIT, Journey
from personae.engine import Engine
from personae.sql import literal


@dataclass
class StepCount:
    step: str
    kind: str
    #: status -> persons (active, waiting; done and exited at the end)
    persons: dict[str, int] = field(default_factory=dict)
    #: message status -> decisions at this step
    messages: dict[str, int] = field(default_factory=dict)


@dataclass
class JourneyStatus:
    name: str
    steps: list[StepCount]
    entered: int = 0

    def count(self, step: str, status: str | None = None) -> int:
        for one in self.steps:
            if one.step == step:
                if status is None:
                    return sum(one.persons.values())
                return one.persons.get(status, 0)
        return 0


def journey_status(engine: Engine, name: str, journey: Journey) -> JourneyStatus:
    ensure_tables(engine)
    counts = engine.rows(
        f"SELECT step, status, count(*) FROM {JOURNEY_STATE} WHERE journey = {literal(name)} "
        "GROUP BY step, status"
    )
    messages = engine.rows(
        f"SELECT step, status, count(*) FROM {ACTIVATION_MESSAGES} "
        f"WHERE journey = {literal(name)} GROUP BY step, status"
    )
    steps = [
        StepCount(step_name, step.kind)
        for step_name, step in zip(journey.step_names(), journey.steps, strict=True)
    ]
    by_name = {s.step: s for s in steps}
    status = JourneyStatus(name, steps)
    for step_name, state, n in counts:
        if step_name not in by_name:  # the end, or a step removed since
            kind = "end" if step_name == EXIT else "removed"
            by_name[step_name] = StepCount(step_name, kind)
            steps.append(by_name[step_name])
        by_name[step_name].persons[state] = int(n)
        status.entered += int(n)
    for step_name, state, n in messages:
        if step_name in by_name:
            by_name[step_name].messages[state] = int(n)
    return status


def journeys_of(engine: Engine, person_id: int) -> list[dict[str, Any]]:
    """The person's row in every journey."""
    ensure_tables(engine)
    table = engine.query(
        f"SELECT journey, step, status, entered_at, next_at, path FROM {JOURNEY_STATE} "
        "WHERE person_id = ? ORDER BY journey",
        [person_id],
    )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows
