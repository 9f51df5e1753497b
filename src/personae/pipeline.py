"""Run the stages in order: ingest, clean, resolve, profiles, segments."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from personae.clean.stage import clean
from personae.ingest import ingest
from personae.profile.golden import build_profiles
from personae.profile.traits import compute_traits
from personae.project import Project
from personae.segment.evaluate import evaluate_segments
from personae.unify.resolve import resolve_identities

STAGES = ("ingest", "clean", "resolve", "profiles", "segments")


@dataclass
class StageResult:
    name: str
    seconds: float
    report: Any


@dataclass
class RunReport:
    run_id: str
    stages: list[StageResult] = field(default_factory=list)

    def get(self, name: str) -> Any:
        return next((s.report for s in self.stages if s.name == name), None)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)


#: called with the stage name when it starts
StageHook = Callable[[str], None]


def run(
    project: Project,
    stages: tuple[str, ...] = STAGES,
    on_stage: StageHook | None = None,
    *,
    full_matching: bool = False,
) -> RunReport:
    """Run the given stages in pipeline order and time each of them.

    ``full_matching`` scores every record pair again instead of only new and changed ones.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    report = RunReport(run_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
    steps: dict[str, Callable[[], Any]] = {
        "ingest": lambda: ingest(project),
        "clean": lambda: clean(project),
        "resolve": lambda: resolve_identities(
            project.engine,
            project.config,
            report.run_id,
            now,
            project_dir=project.root,
            full=full_matching,
        ),
        "profiles": lambda: (
            build_profiles(project.engine, project.config),
            compute_traits(project.engine, project.config),
        ),
        "segments": lambda: evaluate_segments(project.engine, project.config, now),
    }
    for name in STAGES:
        if name not in stages:
            continue
        if on_stage:
            on_stage(name)
        start = time.perf_counter()
        result = steps[name]()
        report.stages.append(StageResult(name, time.perf_counter() - start, result))
    project.engine.checkpoint()
    return report
