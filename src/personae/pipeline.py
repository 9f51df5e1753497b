"""The pipeline: every stage in order, run and timed.

``STAGES`` is the one list of stages; the CLI, ``status`` and the benchmarks iterate it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personae.activate.postgres_export import PostgresExportReport
from personae.activate.postgres_targets import publish_declared
from personae.clean.stage import CLEAN
from personae.config.models import ProjectConfig
from personae.config.segments import (
    AllOf,
    AnyOf,
    Condition,
    EventCondition,
    NotCondition,
    OccurrenceCondition,
    SequenceCondition,
    SequenceStep,
    TraitCondition,
)
from personae.config.traits import ExpressionTrait
from personae.engine import Engine
from personae.errors import ConfigError, PersonaeError
from personae.ingest.stage import INGEST
from personae.lock import warehouse_lock
from personae.privacy.erasure import compact_warehouse, compaction_pending
from personae.profile.stage import PROFILE
from personae.project import STATE_DIR, Project
from personae.protect.files import FILE_MODE, private_dir
from personae.segment.stage import SEGMENT
from personae.serving.publish import PublishReport, publish, publish_wanted
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


@dataclass(frozen=True)
class StageFailure:
    """The stage a run stopped in: its name, how long it ran, and the error."""

    name: str
    seconds: float
    error: str


@dataclass
class RunReport:
    run_id: str
    stages: list[StageResult] = field(default_factory=list)
    #: seconds the closing compaction took (erasures were waiting for it), else None
    compact_seconds: float | None = None
    #: the serving store published at the end of a run that built segments, else None
    published: PublishReport | None = None
    #: the ``exports:`` of personae.yml published at the end of a whole run
    exports: dict[str, PostgresExportReport] = field(default_factory=dict)

    def get(self, name: str) -> Report | None:
        """The report of the stage called ``name`` (or run by that command), if it ran."""
        wanted = stage_named(name)
        return next((s.report for s in self.stages if s.stage is wanted), None)

    #: the stage that raised, when the run failed in a stage
    failed_stage: StageFailure | None = None

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
    A run that builds segments then publishes the serving store the Profile API reads
    (:mod:`personae.serving`) when ``serving.publish`` says so (``auto``: once a read key
    exists or a store was published).
    A whole run ends by compacting the warehouse when erasures wait for it (their rows are
    gone; the compaction rewrites the file's freed blocks: :mod:`personae.privacy.erasure`).
    """
    wanted = {stage_named(name).name for name in stages} if stages is not None else None
    context = RunContext.start(project, full_matching=full_matching)
    report = RunReport(run_id=context.run_id)
    started = _utcnow()
    failed: tuple[str, BaseException] | None = None
    try:
        for stage in STAGES:
            if wanted is not None and stage.name not in wanted:
                continue
            if on_stage:
                on_stage(stage)
            start = time.perf_counter()
            try:
                result = stage.run(context)
            except BaseException as exc:
                failed = (stage.name, exc)
                report.failed_stage = StageFailure(
                    stage.name, time.perf_counter() - start, _error_text(exc)
                )
                raise
            report.stages.append(StageResult(stage, time.perf_counter() - start, result))
        project.engine.checkpoint()
        if (wanted is None or SEGMENT.name in wanted) and publish_wanted(project):
            report.published = publish(project, context.now)
        if wanted is None and compaction_pending(project.state_dir):
            report.compact_seconds = compact_warehouse(project)
        if wanted is None and project.config.exports:
            report.exports = publish_declared(project)
    except BaseException as exc:
        if failed is None:
            failed = ("", exc)
        raise
    finally:
        # the history is a record of runs, never a reason for one to fail
        with contextlib.suppress(OSError):
            record_run(project.state_dir, report, started, None if failed is None else failed[1])
    return report


@dataclass(frozen=True)
class StageTables:
    """A stage and the tables it owns that exist: ``built`` maps each to its rows, in
    the order the catalog lists them; ``declared`` counts the tables it owns."""

    name: str
    command: str
    built: dict[str, int]
    declared: int


def stage_tables(engine: Engine) -> list[StageTables]:
    """Each stage of the pipeline, in order, with the tables it has built so far."""
    return [
        StageTables(
            stage.name,
            command_of(stage),
            {t.name: engine.count(t) for t in stage.writes if engine.table_exists(t)},
            len(stage.writes),
        )
        for stage in STAGES
    ]


def run_pipeline_once(project_root: Path) -> None:
    """The whole pipeline under the warehouse lock: what ``personae serve`` schedules."""
    with warehouse_lock(project_root), Project.load(project_root) as project:
        validate(project.config, project.root)
        run(project)


# --------------------------------------------------------------------------- run history

#: the run history, one JSON object a line, under the project's ``.personae/``
RUNS_FILE = "runs.jsonl"
#: the longest error text kept in the history
_ERROR_CHARS = 2000


@dataclass(frozen=True)
class StageRecord:
    """One stage of a recorded run: ``status`` is ``ok`` or ``failed``; ``counts`` are
    the report's headline figures (``records``, ``persons``, ``merges``, …)."""

    name: str
    seconds: float
    status: str
    counts: dict[str, int]
    warnings: int = 0


@dataclass(frozen=True)
class RunRecord:
    """One ``pipeline.run``, as ``.personae/runs.jsonl`` keeps it: ``status`` is ``ok``
    or ``failed`` (then ``error`` says why, and the failed stage is the last of
    ``stages``). Times are naive UTC, ISO 8601 text."""

    run_id: str
    started_at: str
    finished_at: str
    status: str
    error: str | None
    stages: tuple[StageRecord, ...]

    @property
    def seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _error_text(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, PersonaeError) else f"{type(exc).__name__}: {exc}"
    return text[:_ERROR_CHARS]


def headline_counts(report: object) -> dict[str, int]:
    """A stage report's headline figures: its integer fields and properties, those of the
    reports it nests (``profiles.profiles``), and the length of its lists."""
    counts: dict[str, int] = {}
    if not dataclasses.is_dataclass(report):
        return counts
    for item in dataclasses.fields(report):
        value = getattr(report, item.name)
        if item.name in ("warnings", "seconds"):
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            counts[item.name] = value
        elif isinstance(value, list):
            counts[item.name] = len(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for key, n in headline_counts(value).items():
                counts[f"{item.name}.{key}"] = n
    for name, member in vars(type(report)).items():
        if isinstance(member, property) and name not in ("warnings", "seconds"):
            value = getattr(report, name)
            if isinstance(value, int) and not isinstance(value, bool):
                counts[name] = value
    return counts


def record_run(
    state_dir: Path, report: RunReport, started: dt.datetime, error: BaseException | None
) -> RunRecord:
    """Append the run to ``.personae/runs.jsonl`` (created ``0600``) and return it."""
    stages = [
        StageRecord(
            s.name,
            round(s.seconds, 3),
            "ok",
            headline_counts(s.report),
            len(s.report.warnings),
        )
        for s in report.stages
    ]
    if report.failed_stage is not None:
        failure = report.failed_stage
        stages.append(StageRecord(failure.name, round(failure.seconds, 3), "failed", {}))
    record = RunRecord(
        run_id=report.run_id,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=_utcnow().isoformat(timespec="seconds"),
        status="ok" if error is None else "failed",
        error=None if error is None else _error_text(error),
        stages=tuple(stages),
    )
    private_dir(state_dir)
    line = json.dumps(record.to_json(), sort_keys=True) + "\n"
    fd = os.open(state_dir / RUNS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    return record


def run_history(project_root: Path, limit: int = 50) -> list[RunRecord]:
    """The project's last ``limit`` pipeline runs, newest first (``[]`` before the
    first run). A line that cannot be read (cut short by a crash) is skipped."""
    path = Path(project_root) / STATE_DIR / RUNS_FILE
    if not path.exists() or limit <= 0:
        return []
    found: list[RunRecord] = []
    for line in reversed(path.read_text(encoding="utf-8").splitlines()):
        try:
            data = json.loads(line)
            stages = tuple(StageRecord(**stage) for stage in data.pop("stages"))
            found.append(RunRecord(**data, stages=stages))
        except (ValueError, TypeError, KeyError):
            continue
        if len(found) == limit:
            break
    return found


# --------------------------------------------------------------------------- validate


def _user_columns(config: ProjectConfig) -> list[str]:
    """The profile and trait columns a user may name: no lineage (``*__source``)."""
    from personae.profile.golden import profile_columns
    from personae.profile.traits import trait_columns

    profiles = [c for c in profile_columns(config) if "__" not in c and c != "person_id"]
    return [*profiles, *trait_columns(config)]


def _conditions(
    conditions: Iterable[Condition], path: str
) -> Iterator[tuple[TraitCondition | EventCondition | OccurrenceCondition | SequenceStep, str]]:
    for i, condition in enumerate(conditions):
        where = f"{path}[{i}]"
        if isinstance(condition, TraitCondition | EventCondition | OccurrenceCondition):
            yield condition, where
        elif isinstance(condition, SequenceCondition):
            for j, step in enumerate(condition.steps):
                absent = condition.abandoned and j == len(condition.steps) - 1
                yield step, f"{where}.sequence[{j}]" + (".not" if absent else "")
        elif isinstance(condition, AllOf):
            yield from _conditions(condition.all, f"{where}.all")
        elif isinstance(condition, AnyOf):
            yield from _conditions(condition.any, f"{where}.any")
        elif isinstance(condition, NotCondition):
            yield from _conditions([condition.not_], f"{where}.not")


def known_events(config: ProjectConfig, root: Path | None = None) -> list[str] | None:
    """Every event name the project can produce, or None when that is open-ended: a source
    naming its events from a column (``event.name_column``) or events collected by
    ``personae serve`` (write keys or webhooks) can bring any name."""
    from personae.collect.paths import CollectPaths

    if config.collect.webhooks:
        return None
    if root is not None:
        paths = CollectPaths.of(root, config.collect.events_dir)
        if paths.keys.exists() or paths.events.exists():
            return None
    names: list[str] = []
    for source in config.sources.values():
        if source.event is None:
            continue
        if source.event.name_column is not None:
            return None
        if source.event.name is not None:
            names.append(source.event.name)
    return sorted(set(names))


def validate(config: ProjectConfig, root: Path | None = None, *, secrets: bool = False) -> None:
    """Check every reference in ``personae.yml`` before any stage runs: traits and profile
    fields used by segments and expression traits, events named by traits and segments
    (when the project's event names are known), sources in survivorship rules, fields of
    destinations, placeholders of message templates; then compile every trait and segment,
    and check the journeys and the orchestration. With ``secrets`` (``personae
    validate``), every placeholder of a database URL must resolve too (an environment
    variable set, a secrets file present), all missing ones reported at once.
    Raises ConfigError."""
    from personae.activate.journeys.run import validate_journeys
    from personae.activate.templates import check_templates
    from personae.profile.consent import consent_columns
    from personae.profile.golden import validate_profiles_config
    from personae.profile.predict.lifetime import require_prediction_libraries
    from personae.profile.traits import PREDICTIONS, compile_expressions, trait_columns
    from personae.query.events import event_names
    from personae.query.expressions import AS_OF, referenced_names, unknown_name_error
    from personae.segment.compile import compile_segment

    validate_profiles_config(config)
    columns = _user_columns(config)
    consent = consent_columns(config)
    made_by = trait_columns(config)
    base = {
        column: "DOUBLE"
        for column, trait in made_by.items()
        if trait != PREDICTIONS and not isinstance(config.traits[trait], ExpressionTrait)
    }
    events = known_events(config, root)
    for name, trait in config.traits.items():
        if isinstance(trait, ExpressionTrait):
            path = f"traits.{name}.expression"
            for ref in sorted(referenced_names(trait.expression, path)):
                if ref not in columns and ref != AS_OF:
                    raise unknown_name_error(ref, "trait or profile field", columns, path)
                if made_by.get(ref) == PREDICTIONS:
                    raise ConfigError(
                        f"expression trait {name!r} reads the predicted column {ref!r}, "
                        "which is fitted after the traits; use it in a segment condition "
                        "instead",
                        path=path,
                    )
        else:
            named = event_names(trait.event)
            _check_events(named, events, f"traits.{name}.event")
    if config.predictions is not None:
        predictions = config.predictions
        if predictions.enabled:
            require_prediction_libraries()
        for i, order in enumerate(predictions.orders):
            _check_events([order.event], events, f"predictions.orders.{i}.event")
        for i, event in enumerate(predictions.churn.engagement):
            _check_events([event], events, f"predictions.churn.engagement.{i}")
        for i, event in enumerate(
            predictions.affinity.browse_events if predictions.affinity else []
        ):
            _check_events([event], events, f"predictions.affinity.browse_events.{i}")
    for name, segment in config.segments.items():
        path = f"segments.{name}"
        found = [
            *_conditions(segment.all or [], f"{path}.all"),
            *_conditions(segment.any or [], f"{path}.any"),
        ]
        for condition, where in found:
            if isinstance(condition, TraitCondition):
                if condition.trait not in columns and condition.trait not in consent:
                    raise unknown_name_error(
                        condition.trait, "trait or profile field", columns, f"{where}.trait"
                    )
            else:
                key_name = condition.key if isinstance(condition, OccurrenceCondition) else "event"
                _check_events(event_names(condition.event), events, f"{where}.{key_name}")
    for name, destination in config.destinations.items():
        for i, (output, field_name) in enumerate((destination.field_map or {}).items()):
            if field_name not in columns:
                key = i if isinstance(destination.fields, list) else output
                raise unknown_name_error(
                    field_name, "profile field", columns, f"destinations.{name}.fields.{key}"
                )
    check_templates(config, columns)
    compile_expressions(config, base)
    for name in config.segments:
        compile_segment(config, name)
    validate_journeys(config)
    for name, export in config.exports.items():
        if export.purpose is not None:
            problem = config.consent.problem(export.purpose, export.channel)
            if problem:
                raise ConfigError(problem, path=f"exports.{name}.purpose")
    if secrets:
        from personae.ingest.database import check_secrets

        check_secrets(config.sources, root or Path.cwd())


def _check_events(named: Iterable[str], known: list[str] | None, path: str) -> None:
    from personae.errors import ConfigError, did_you_mean

    if known is None:
        return
    for event in named:
        if event not in known:
            raise ConfigError(
                f"no source produces event {event!r}"
                + (did_you_mean(event, known) or "")
                + f"; the events sources declare: {', '.join(known) or 'none'}",
                path=path,
            )
