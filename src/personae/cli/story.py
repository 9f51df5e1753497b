"""The demo's closing summary: from messy sources to unified customers, with accuracy."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import pyarrow as pa
from rich.console import Console

from personae.catalog import (
    ACTIVATION_MESSAGES,
    DESTINATION_RUNS,
    IDENTITY_GUARDS,
    IDENTITY_HISTORY,
    IDENTITY_MAP,
    QUARANTINE,
    RECORDS,
    SEGMENT_MEMBERSHIP,
    TRAITS,
)
from personae.cli.render import titled_table
from personae.demo.truth import (
    PERSON_FIELDS,
    PERSONS_TABLE,
    PLACEABLE_TABLE,
    TRUTH_TABLE,
    load_truth,
)
from personae.engine import Engine
from personae.pipeline import RunReport
from personae.project import Project


def tell_story(console: Console, project: Project, report: RunReport) -> None:
    engine = project.engine
    console.rule("[bold]The single customer view")
    _records_per_source(console, engine)
    _persons(console, engine)
    _largest_clusters(console, engine)
    _guards(console, engine)
    if load_truth(engine, project.root):
        _accuracy(console, engine)
        _golden_accuracy(console, engine)
    _traits(console, engine)
    _segments(console, engine)
    console.print(
        f"Whole pipeline: {report.seconds:.1f}s — "
        + ", ".join(f"{s.command} {s.seconds:.1f}s" for s in report.stages)
    )


def next_steps(console: Console, project: Project) -> None:
    """Three commands to try on the demo project, with a real person and segment."""
    engine = project.engine
    folder = project.root
    if folder.is_relative_to(Path.cwd()):
        folder = Path(os.path.relpath(folder))
    base = f"personae --project {shlex.quote(str(folder))}"
    steps: list[tuple[str, str]] = []
    person = engine.rows(
        f"SELECT person_id, count(DISTINCT source) AS sources, count(*) AS n "
        f"FROM {IDENTITY_MAP} GROUP BY 1 ORDER BY sources DESC, n DESC, person_id LIMIT 1"
    )
    if person:
        person_id, sources, records = person[0]
        steps.append(
            (
                f"{base} explain {person_id}",
                f"why person {person_id} holds {records:,} records from {sources} sources",
            )
        )
    if engine.table_exists(SEGMENT_MEMBERSHIP):
        found = engine.rows(
            f"SELECT segment FROM {SEGMENT_MEMBERSHIP} GROUP BY 1 ORDER BY count(*) DESC, 1"
        )
        if found:
            segment = found[0][0]
            steps.append(
                (
                    f"{base} export segment {segment} -o {segment}.csv",
                    f"the members of {segment}, with their e-mail and name",
                )
            )
    if engine.table_exists(ACTIVATION_MESSAGES):
        decided = engine.rows(
            f"SELECT person_id, count(*) FROM {ACTIVATION_MESSAGES} "
            "GROUP BY 1 ORDER BY count(DISTINCT status) DESC, 2 DESC, 1 LIMIT 1"
        )
        if decided:
            steps.append(
                (
                    f"{base} journeys why {decided[0][0]}",
                    "every message decided for that person, and why it was sent or not",
                )
            )
    if engine.table_exists(DESTINATION_RUNS):
        steps.append((f"{base} destinations status", "each destination's last runs and lag"))
    steps.append(
        (
            f"{base} keys create web && {base} serve",
            "the Segment-compatible API that existing SDKs send events to",
        )
    )
    console.print("[bold]Try next[/] on this project:")
    for command, what in steps:
        console.print(f"  {command}", highlight=False, soft_wrap=True)
        console.print(f"      [dim]{what}[/]", highlight=False, soft_wrap=True)


def _records_per_source(console: Console, engine: Engine) -> None:
    table = titled_table("Records per source", "source", "records", "quarantined")
    for source, records, quarantined in engine.rows(
        f"""
        SELECT r.source, r.n, coalesce(q.n, 0) FROM
          (SELECT source, count(*) AS n FROM {RECORDS} GROUP BY 1) r
          LEFT JOIN (SELECT source, count(*) AS n FROM {QUARANTINE} GROUP BY 1) q
          ON q.source = r.source
        ORDER BY r.n DESC
        """
    ):
        table.add_row(source, f"{records:,}", f"{quarantined:,}")
    console.print(table)


def _persons(console: Console, engine: Engine) -> None:
    persons = engine.scalar(f"SELECT count(DISTINCT person_id) FROM {IDENTITY_MAP}")
    records = engine.count(IDENTITY_MAP)
    console.print(f"[bold]{persons:,}[/] persons found from {records:,} source records")
    console.print(
        "Many persons hold a single record: browsers that never signed in and anonymous "
        "till tickets carry no evidence of who they are, so each stays a person of its own.",
        highlight=False,
    )
    table = titled_table("Source records per person", "records", "persons")
    for bucket, n in engine.rows(
        f"""
        SELECT CASE WHEN n = 1 THEN '1' WHEN n <= 3 THEN '2-3' WHEN n <= 10 THEN '4-10'
                    WHEN n <= 30 THEN '11-30' WHEN n <= 100 THEN '31-100' ELSE '>100' END AS b,
               count(*) FROM (SELECT person_id, count(*) AS n FROM {IDENTITY_MAP} GROUP BY 1)
        GROUP BY 1 ORDER BY min(n)
        """
    ):
        table.add_row(bucket, f"{n:,}")
    console.print(table)


def _largest_clusters(console: Console, engine: Engine) -> None:
    table = titled_table("Largest persons", "person_id", "records", "sources", "people records")
    for person, n, sources, people in engine.rows(
        f"""
        SELECT m.person_id, count(*) AS n,
               array_to_string(list_sort(list(DISTINCT m.source)), ', ') AS sources,
               count(*) FILTER (WHERE r.source_kind = 'people') AS people
        FROM {IDENTITY_MAP} m JOIN {RECORDS} r USING (source, record_id)
        GROUP BY 1 ORDER BY n DESC, m.person_id LIMIT 5
        """
    ):
        table.add_row(str(person), f"{n:,}", sources, f"{people:,}")
    console.print(table)


def _guards(console: Console, engine: Engine) -> None:
    table = titled_table("Guards against over-merging", "guard", "values", "records")
    for guard, values, records in engine.rows(
        f"SELECT guard, count(*), sum(records) FROM {IDENTITY_GUARDS} GROUP BY 1 ORDER BY 1"
    ):
        table.add_row(guard, f"{values:,}", f"{records:,}")
    dropped = engine.scalar(f"SELECT count(*) FROM {IDENTITY_HISTORY} WHERE action = 'drop_link'")
    table.add_row("links dropped by limits", f"{dropped:,}", "")
    console.print(table)


def _accuracy(console: Console, engine: Engine) -> None:
    from personae.unify.inspection import evaluate_against_truth, oracle_bound, placeable_truth

    scores = evaluate_against_truth(engine, TRUTH_TABLE)
    ceiling = oracle_bound(engine, TRUTH_TABLE)
    console.print(
        f"Stitching vs ground truth (pairwise over source records): "
        f"precision [bold]{scores.precision:.4f}[/], recall [bold]{scores.recall:.4f}[/], "
        f"F1 [bold]{scores.f1:.4f}[/] ({scores.predicted_pairs - scores.true_positive_pairs:,} "
        f"wrong pairs of {scores.predicted_pairs:,}) — {scores.persons:,} persons found for "
        f"{scores.true_persons:,} real people",
        highlight=False,
    )
    share = scores.recall / ceiling.recall if ceiling.recall else 1.0
    console.print(
        f"Evidence ceiling: an oracle that knows who is who and follows only shared e-mails, "
        f"phones, ids, cards and identical names joins {ceiling.recall:.4f} of the true pairs; "
        f"recall is [bold]{share:.1%}[/] of it",
        highlight=False,
    )
    total = engine.count(TRUTH_TABLE)
    placeable = placeable_truth(engine, TRUTH_TABLE, PLACEABLE_TABLE)
    scores = evaluate_against_truth(engine, PLACEABLE_TABLE)
    console.print(
        f"Over the {placeable / total:.0%} of records that carry evidence of who they are "
        "(the rest are browsers that never signed in and anonymous till tickets, which no "
        f"method can place): precision [bold]{scores.precision:.4f}[/], recall "
        f"[bold]{scores.recall:.4f}[/], F1 [bold]{scores.f1:.4f}[/]",
        highlight=False,
    )


def _golden_accuracy(console: Console, engine: Engine) -> None:
    from personae.profile.evaluate import golden_accuracy

    if not engine.table_exists(PERSONS_TABLE):
        return
    scores = golden_accuracy(engine, TRUTH_TABLE, PERSONS_TABLE, PERSON_FIELDS)
    if not scores:
        return
    table = titled_table(
        "Golden records vs ground truth: profiles showing the person's true value",
        "field",
        "all persons",
        "decidable",
        "where decidable",
    )
    for s in scores:
        table.add_row(
            s.field,
            f"{s.accuracy:.2%}",
            f"{s.decidable / s.persons:.0%}" if s.persons else "-",
            f"{s.decidable_accuracy:.2%}",
        )
    right = sum(s.decidable_right for s in scores)
    decidable = sum(s.decidable for s in scores)
    table.add_row("all fields", "", "", f"{right / decidable:.2%}" if decidable else "-")
    console.print(table)
    console.print(
        "decidable: one of the person's records holds the true value, so survivorship can show it",
        highlight=False,
    )


def _sql_type(arrow: pa.DataType) -> str:
    """A SQL type name for an Arrow type, as the story tells them apart."""
    if pa.types.is_floating(arrow):
        return "DOUBLE"
    if pa.types.is_integer(arrow):
        return "BIGINT"
    if pa.types.is_decimal(arrow):
        return "DECIMAL"
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return "VARCHAR"
    return str(arrow).upper()


def _traits(console: Console, engine: Engine) -> None:
    if not engine.table_exists(TRAITS):
        return
    schema = engine.query(f"SELECT * FROM {TRAITS} LIMIT 0").schema
    types = {field.name: _sql_type(field.type) for field in schema if field.name != "person_id"}
    table = titled_table("Traits", "trait", "filled", "min", "median", "p90", "max")
    for name, sql_type in types.items():
        if not any(t in sql_type for t in ("INT", "DOUBLE", "DECIMAL", "FLOAT")):
            continue
        filled, low, median, p90, high = engine.rows(
            f'SELECT count("{name}"), min("{name}"), median("{name}"), '
            f'quantile_cont("{name}", 0.9), max("{name}") FROM {TRAITS}'
        )[0]
        whole = "INT" in sql_type
        table.add_row(name, f"{filled:,}", *(_fmt(v, whole) for v in (low, median, p90, high)))
    console.print(table)
    for name, sql_type in types.items():
        if name.endswith("_segment") and "VARCHAR" in sql_type:
            rfm = titled_table(f"RFM segments ({name})", "segment", "persons")
            for segment, n in engine.rows(
                f'SELECT "{name}", count(*) FROM {TRAITS} WHERE "{name}" IS NOT NULL '
                "GROUP BY 1 ORDER BY 2 DESC"
            ):
                rfm.add_row(str(segment), f"{n:,}")
            console.print(rfm)


def _fmt(value: Any, whole: bool = False) -> str:
    """A figure for the traits table; counts stay counts (a median of 2.5 orders shows so)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if whole:
            return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _segments(console: Console, engine: Engine) -> None:
    if not engine.table_exists(SEGMENT_MEMBERSHIP):
        return
    table = titled_table("Segments", "segment", "members")
    for segment, n in engine.rows(
        f"SELECT segment, count(*) FROM {SEGMENT_MEMBERSHIP} GROUP BY 1 ORDER BY 1"
    ):
        table.add_row(segment, f"{n:,}")
    console.print(table)
