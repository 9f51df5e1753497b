"""Rich rendering of reports for the CLI. No pipeline logic lives here."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from personae.catalog import LOADS
from personae.engine import Engine
from personae.project import Project

if TYPE_CHECKING:  # the stages are imported when a command runs them, not by --help
    from personae.ingest import IngestReport
    from personae.pipeline import RunReport
    from personae.unify import ResolveReport


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 record``, ``2 records`` (``many`` for irregular plurals)."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def titled_table(title: str, *columns: str) -> Table:
    """A table with a left-aligned bold title; the first column left, the rest right."""
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


def run_report(console: Console, project: Project, report: RunReport) -> None:
    for stage in report.stages:
        if stage.name == "ingest":
            ingest_report(console, cast("IngestReport", stage.report))
        elif stage.name == "clean":
            data_quality(console, project.engine)
        elif stage.name == "unify":
            resolve_report(console, cast("ResolveReport", stage.report))
        for warning in stage.report.warnings:
            console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        console.print(f"[green]✓[/] {stage.command} in {stage.seconds:.1f}s", highlight=False)
    console.print(
        f"Pipeline finished in {report.seconds:.1f}s (run {report.run_id}) on "
        f"{project.engine.describe()}",
        highlight=False,
    )
    for name, export in report.exports.items():
        written = ", ".join(f"{table} ({rows:,})" for table, rows in export.rows.items())
        console.print(
            f"[green]✓[/] exports.{name}: {written} to {export.target} schema "
            f"{export.schema} in {export.seconds:.1f}s",
            highlight=False,
            soft_wrap=True,
        )


def resolve_report(console: Console, report: ResolveReport) -> None:
    console.print(
        f"Identity: {plural(report.records, 'record')} in {plural(report.persons, 'person')} "
        f"({report.new_persons:,} new, {plural(report.merges, 'merge')}, "
        f"{plural(report.splits, 'split')}, "
        f"{plural(report.dropped_links, 'link')} dropped by guards)",
        highlight=False,
    )
    if report.match_records:
        how = "trained" if report.model_trained else "reused"
        console.print(
            f"Matching: {report.match_scored:,} of {report.match_records:,} named records "
            f"scored (model {how}); {report.match_edges:,} pairs above the threshold, "
            f"{report.match_linked:,} joined two persons, {report.match_rejected:,} rejected "
            f"for conflicting evidence; {report.match_near_misses:,} near misses under it "
            "(personae review)",
            highlight=False,
        )
    if report.blocking_pairs:
        table = titled_table("Blocking rules (candidate pairs each adds)", "rule", "pairs")
        for rule, pairs in report.blocking_pairs.items():
            table.add_row(rule, f"{pairs:,}")
        console.print(table)


def ingest_report(console: Console, report: IngestReport) -> None:
    """One row per source: files loaded of those seen, or what a database extract read
    (its table or query and cursor range); rows deleted at a database source and rows
    folded into their record (``rows_per_record``) when any."""
    deleted = any(s.rows_deleted for s in report.sources)
    folds = any(s.rows_folded for s in report.sources)
    headers = ["source", "read from", "read", "loaded", "unchanged", "quarantined"]
    extra = [*(["deleted"] if deleted else []), *(["folded"] if folds else [])]
    table = titled_table("Ingest", *headers, *extra)
    table.columns[1].justify = "left"
    for s in report.sources:
        origin = s.extract if s.extract is not None else _files(s.files_loaded, s.files_seen)
        table.add_row(
            s.source,
            escape(origin),
            f"{s.rows_read:,}",
            f"{s.rows_loaded:,}",
            f"{s.rows_unchanged:,}",
            f"{s.rows_quarantined:,}",
            *([f"{s.rows_deleted:,}"] if deleted else []),
            *([f"{s.rows_folded:,}"] if folds else []),
        )
    console.print(table)


def _files(loaded: int, seen: int) -> str:
    """``2 of 3 files`` (the others were loaded before)."""
    return f"{loaded} of {plural(seen, 'file')}" if loaded != seen else plural(seen, "file")


def data_quality(console: Console, engine: Engine, only_invalid: bool = False) -> None:
    """Per source and field: filled, valid, invalid; ``only_invalid`` keeps the fields with
    invalid values, and says so in one line when there are none."""
    from personae.clean.quality import EXAMPLES_SEPARATOR
    from personae.clean.quality import data_quality as measured

    quality = measured(engine, only_invalid=only_invalid)
    if not quality.checked:
        return
    if not quality.fields:
        console.print(
            f"Data quality: no invalid values in the {plural(quality.checked, 'field')} checked",
            highlight=False,
        )
        return
    table = titled_table("Data quality", "source.field", "filled", "valid", "invalid", "examples")
    for field in quality.fields:
        share = f"{field.fill_rate:.0%}" if field.fill_rate is not None else "-"
        table.add_row(
            f"{field.source}.{field.field}",
            f"{field.filled:,} ({share})",
            f"{field.valid:,}",
            f"[red]{field.invalid:,}[/]" if field.invalid else "0",
            escape(EXAMPLES_SEPARATOR.join(field.examples)),
        )
    console.print(table)


def status(console: Console, project: Project) -> None:
    engine = project.engine
    console.print(f"Engine: {engine.describe()}")
    if not engine.table_exists(LOADS):
        console.print("Nothing loaded yet: run 'personae ingest' or 'personae run'.")
        return
    from personae.ingest.quarantine_view import quarantine_reasons, source_loads

    table = titled_table("Sources", "source", "files", "rows in raw", "quarantined", "last load")
    for loads in source_loads(engine, project.config.sources):
        last = loads.last_load.replace("T", " ")[:19] if loads.last_load else "never"
        table.add_row(
            loads.source, str(loads.files), f"{loads.raw_rows:,}", f"{loads.quarantined:,}", last
        )
    console.print(table)
    reasons = quarantine_reasons(engine, limit=10)
    if reasons:
        quarantine = titled_table("Quarantine (top reasons)", "source", "rows", "reason")
        quarantine.columns[-1].justify = "left"
        for reason in reasons:
            quarantine.add_row(reason.source, f"{reason.rows:,}", escape(reason.reason))
        console.print(quarantine)
    data_quality(console, engine, only_invalid=True)
    _privacy_removals(console, engine)
    _waiting_erasures(console, project)
    _collected(console, engine)
    stages(console, engine)
    from personae.segment.sizes import segment_sizes
    from personae.unify.inspection.health import live_persons

    persons = live_persons(engine)
    if persons is not None:
        console.print(f"Persons: {persons:,}", highlight=False)
    for segment, members in segment_sizes(engine).items():
        console.print(f"Segment {segment}: {plural(members, 'member')}")
    from personae.serving.store import describe

    console.print(describe(project.state_dir), highlight=False, soft_wrap=True)


def _privacy_removals(console: Console, engine: Engine) -> None:
    """Rows ingest dropped for erased persons and removed past retention."""
    from personae.ingest.privacy import removal_counts

    for source, reason, rows in removal_counts(engine):
        what = "of erased persons dropped" if reason == "suppressed" else "past retention removed"
        console.print(f"Privacy: {source}: {plural(rows, 'row')} {what}", highlight=False)


def _waiting_erasures(console: Console, project: Project) -> None:
    from personae.privacy.erasure import pending_requests

    waiting = pending_requests(project.state_dir)
    if waiting:
        console.print(
            f"Privacy: {plural(len(waiting), 'erasure')} waiting for the warehouse to be "
            "compacted (the next 'personae run' does it, or 'personae privacy compact')",
            highlight=False,
        )


def stages(console: Console, engine: Engine) -> None:
    """Each stage of the pipeline, the tables it has built so far and their rows."""
    from personae.pipeline import stage_tables

    table = titled_table("Stages", "stage", "command", "tables built", "rows")
    for stage in stage_tables(engine):
        rows = ", ".join(f"{name} {n:,}" for name, n in list(stage.built.items())[:2])
        table.add_row(
            stage.name,
            f"personae {stage.command}",
            f"{len(stage.built)}/{stage.declared}",
            rows or "[yellow]not run yet[/]",
        )
    console.print(table)


def _collected(console: Console, engine: Engine) -> None:
    from personae.catalog import RAW_COLLECTED
    from personae.collect.status import tracking_plan_counts

    if not engine.table_exists(RAW_COLLECTED):
        return
    console.print(f"Collected events (personae serve): {engine.count(RAW_COLLECTED):,}")
    violations = tracking_plan_counts(engine)
    if violations:
        table = titled_table("Tracking plan violations", "rule", "events")
        for rule, n in sorted(violations.items()):
            table.add_row(rule, f"{n:,}")
        console.print(table)
