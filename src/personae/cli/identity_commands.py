"""``personae explain``: why a person holds its records, why two records are (not) one;
``personae search``: find a person by id, e-mail, phone or name in the serving store.

Registered on the main app by ``register(app)``; the commands share the CLI's error
handling and warehouse lock (:mod:`personae.cli.context`).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from personae.cli import render
from personae.cli.context import console, guard, open_project, project_root
from personae.errors import PersonaeError
from personae.project import Project
from personae.serving.search import PersonSearch, SearchHit
from personae.unify.inspection import (
    PersonExplanation,
    RecordsExplanation,
    explain_person,
    explain_records,
)
from personae.unify.matching import model_path


class ExplainUsageError(PersonaeError):
    """``personae explain`` was called without a person id or with both forms."""


def register(app: typer.Typer) -> None:
    """Add the identity commands (``explain``, ``search``) to ``app``."""
    app.command(name="explain")(explain_cmd)
    app.command(name="search")(search_cmd)


#: the profile fields a search hit shows
HIT_FIELDS = ("first_name", "last_name", "email", "phone", "city", "record_count")


def search_cmd(
    query: Annotated[
        str,
        typer.Argument(
            help="A person id (123, #123), e-mail, phone, external id (user_id, loyalty "
            "card …, or type:value) or name (typos and missing accents are fine)."
        ),
    ],
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many hits.")] = 20,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="Country of a phone without +code (default: defaults.phone_region)."
        ),
    ] = None,
) -> None:
    """Find persons in the published serving store (no warehouse needed)."""

    def go() -> None:
        search = PersonSearch.for_project(Project.load(project_root()))
        try:
            hits = search.search(query, limit=limit, default_region=region)
        finally:
            search.close()
        render_hits(console, query, hits)

    guard(go)


def render_hits(console: Console, query: str, hits: list[SearchHit]) -> None:
    if not hits:
        console.print(f"No person matches {escape(query)!r}.", highlight=False)
        return
    table = Table("person", *HIT_FIELDS, "matched on", "score", title=f"Search: {escape(query)}")
    for hit in hits:
        shown = ("" if hit.profile.get(f) is None else str(hit.profile[f]) for f in HIT_FIELDS)
        table.add_row(
            str(hit.person_id),
            *(escape(v) for v in shown),
            escape(f"{hit.matched_on}: {hit.matched_value}"),
            f"{hit.score:.2f}",
        )
    console.print(table)


def explain_cmd(
    person_id: Annotated[
        int | None, typer.Argument(help="Person id (a retired id resolves to its survivor).")
    ] = None,
    records: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--records",
            help="Two records as source:record_id: say why they are or are not one person.",
        ),
    ] = None,
) -> None:
    """Explain a person (records, linking identifiers, history), or two records."""

    def go() -> None:
        pair = records if records and all(records) else None
        if (person_id is None) == (pair is None):
            raise ExplainUsageError("give a PERSON_ID, or --records SOURCE:ID SOURCE:ID (not both)")
        with open_project() as project:
            if pair is not None:
                model = model_path(project.root)
                found = explain_records(project.engine, project.config, pair[0], pair[1], model)
                render_records(console, found)
            else:
                assert person_id is not None
                render_person(console, explain_person(project.engine, person_id, project.config))

    guard(go)


def render_person(console: Console, found: PersonExplanation) -> None:
    title = f"Person {found.person_id}"
    if found.requested_id != found.person_id:
        title += f" (id {found.requested_id} was merged into it)"
    console.print(f"[bold]{title}[/]: {render.plural(len(found.records), 'record')}")
    if found.retired_ids:
        console.print("Retired ids: " + ", ".join(map(str, found.retired_ids)))
    table = Table("source", "record_id", "observed_at", "identifiers", title="Records")
    for record in found.records:
        table.add_row(
            record.source,
            record.record_id,
            "" if record.observed_at is None else str(record.observed_at),
            ", ".join(f"{t}={v}" for t, v in record.identifiers),
        )
    console.print(table)
    links = Table("type", "value", "links records", title="Links")
    for link in found.links:
        links.add_row(link.id_type, link.id_value, ", ".join(link.records))
    console.print(links if found.links else "No identifier links.")
    if found.matches:
        matches = Table("record", "record", "weight", "probability", "status", title="Matches")
        for match in found.matches:
            matches.add_row(
                match.a,
                match.b,
                f"{match.match_weight:.2f}",
                f"{match.match_probability:.4f}",
                match.status + (f": {match.reason}" if match.reason else ""),
            )
        console.print(matches)
    for override in found.overrides:
        console.print(f"Override: {escape(str(override))}")
    for attachment in found.attachments:
        console.print(f"Without a name: {escape(str(attachment))}", highlight=False)
    _history(console, found)


def _history(console: Console, found: PersonExplanation) -> None:
    if not found.history:
        console.print("No history.")
        return
    table = Table("at", "action", "person", "other", "identifier", "reason", title="History")
    for row in found.history:
        table.add_row(
            "" if row.at is None else str(row.at),
            row.action,
            "" if row.person_id is None else str(row.person_id),
            "" if row.other_person_id is None else str(row.other_person_id),
            f"{row.id_type}={row.id_value}" if row.id_type else "",
            row.reason or "",
        )
    console.print(table)


def render_records(console: Console, found: RecordsExplanation) -> None:
    console.print(f"[bold]{escape(found.summary)}[/]", highlight=False)
    if found.same_person:
        table = Table("record", "shares", "with record", title="Chain")
        for step in found.chain:
            table.add_row(step.from_record, f"{step.id_type}={step.id_value}", step.to_record)
        console.print(table)
    elif found.shared:
        table = Table("type", "value", "why it does not link them", title="Shared identifiers")
        for value in found.shared:
            table.add_row(value.id_type, value.id_value, value.why or "")
        console.print(table)
    else:
        console.print("They share no identifier.")
    if found.match is not None:
        console.print(f"Match: {escape(str(found.match))}", highlight=False)
    if found.waterfall is not None:
        table = Table("comparison", "level", found.a, found.b, "weight", title="Match weight")
        table.add_row("prior", "", "", "", f"{found.waterfall.prior:+.2f}")
        for part in found.waterfall.steps:
            table.add_row(
                part.comparison,
                part.level,
                part.value_a or "",
                part.value_b or "",
                f"{part.weight:+.2f}",
            )
        table.add_row(
            "total",
            f"probability {found.waterfall.match_probability:.4f}",
            "",
            "",
            f"{found.waterfall.match_weight:+.2f}",
        )
        console.print(table)
    for override in found.overrides:
        console.print(f"Override: {escape(str(override))}")
    for attachment in found.attachments:
        console.print(f"Without a name: {escape(str(attachment))}", highlight=False)
