"""The pipeline: every stage in order, run and timed.

``STAGES`` is the one list of stages; the CLI, ``status`` and the benchmarks iterate it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from personae.clean.stage import CLEAN
from personae.errors import PersonaeError
from personae.ingest.stage import INGEST
from personae.lock import warehouse_lock
from personae.profile.stage import PROFILE
from personae.project import Project
from personae.segment.stage import SEGMENT
from personae.stage import Report, RunContext, Stage, command_of
from personae.unify.stage import UNIFY

#: every stage, in pipeline order
STAGES: tuple[Stage[Report], ...] = (INGEST, CLEAN, UNIFY, PROFILE, SEGMENT)
STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)


def stage_named(name: str) -> Stage[Report]:
    """The stage called ``name`` (its package's name, or the command that runs it)."""
    for stage in STAGES:
        if name in (stage.name, command_of(stage)):
            return stage
    names = ", ".join(STAGE_NAMES)
    raise PersonaeError(f"no stage {name!r}; the stages are {names}")


@dataclass
class StageResult:
    stage: Stage[Report]
    seconds: float
    report: Report

    @property
    def name(self) -> str:
        return self.stage.name

    @property
    def command(self) -> str:
        return command_of(self.stage)


@dataclass
class RunReport:
    run_id: str
    stages: list[StageResult] = field(default_factory=list)

    def get(self, name: str) -> Report | None:
        """The report of the stage called ``name`` (or run by that command), if it ran."""
        wanted = stage_named(name)
        return next((s.report for s in self.stages if s.stage is wanted), None)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)


#: called with each stage when it starts
StageHook = Callable[[Stage[Report]], None]


def run(
    project: Project,
    stages: Iterable[str] | None = None,
    on_stage: StageHook | None = None,
    *,
    full_matching: bool = False,
) -> RunReport:
    """Run the named stages (default: all) in pipeline order and time each of them.

    ``full_matching`` scores every record pair again instead of only new and changed ones.
    """
    wanted = {stage_named(name).name for name in stages} if stages is not None else None
    context = RunContext.start(project, full_matching=full_matching)
    report = RunReport(run_id=context.run_id)
    for stage in STAGES:
        if wanted is not None and stage.name not in wanted:
            continue
        if on_stage:
            on_stage(stage)
        start = time.perf_counter()
        result = stage.run(context)
        report.stages.append(StageResult(stage, time.perf_counter() - start, result))
    project.engine.checkpoint()
    return report


def run_pipeline_once(project_root: Path) -> None:
    """The whole pipeline under the warehouse lock: what ``personae serve`` schedules."""
    with warehouse_lock(project_root), Project.load(project_root) as project:
        run(project)
