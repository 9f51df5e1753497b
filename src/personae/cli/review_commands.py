"""``personae review``: the clerical review queue of borderline matches, and
``personae review decide A B --same/--not-same`` to answer one.

Registered on the main app by ``register(app)``; reads through
:mod:`personae.unify.inspection.review` under the CLI's error handling and warehouse lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from personae.cli.context import console, guard, open_project, project_root
from personae.errors import PersonaeError

if TYPE_CHECKING:  # the CLI starts without the engines
    from personae.unify.inspection.review import ReviewItem

review_app = typer.Typer(
    help="Borderline matches to decide: near misses, weak links, rejected matches.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    """Add ``personae review`` to ``app``."""
    app.add_typer(review_app, name="review")


@review_app.callback()
def review_cmd(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Show at most N pairs.", min=1)] = 20,
    offset: Annotated[int, typer.Option(help="Skip the first N pairs.", min=0)] = 0,
    kind: Annotated[
        str | None, typer.Option(help="Only one kind: under, over or rejected.")
    ] = None,
) -> None:
    """List the pairs to review, most records at stake first."""
    if ctx.invoked_subcommand is not None:
        return
    from personae.unify.inspection.review import review_count, review_kind, review_queue

    def go() -> None:
        only = None if kind is None else review_kind(kind)
        with open_project() as project:
            found = review_queue(
                project.engine, project.config, limit=limit, offset=offset, kind=only
            )
            total = review_count(project.engine, project.config, only)
        render_queue(console, found, total, offset)

    guard(go)


@review_app.command(name="decide")
def decide_cmd(
    a: Annotated[str, typer.Argument(help="A record, as source:record_id.")],
    b: Annotated[str, typer.Argument(help="The other record.")],
    same: Annotated[
        bool | None,
        typer.Option("--same/--not-same", help="They are one person / two persons."),
    ] = None,
) -> None:
    """Answer a pair: --same adds must_link, --not-same adds cannot_link (overrides.yml)."""
    from personae.unify.inspection.review import decide

    def go() -> None:
        if same is None:
            raise PersonaeError("say --same or --not-same")
        override = decide(project_root(), a, b, same)
        console.print(
            f"Recorded {escape(override.describe())} in {override.file}; the next run applies it."
        )

    guard(go)


def render_queue(console: Console, items: list[ReviewItem], total: int, offset: int) -> None:
    if not items:
        console.print(
            "Nothing to review: no borderline match (is identity.matching enabled, and has "
            "'personae run' run since?)."
        )
        return
    table = Table(
        "kind", "record", "other record", "persons", "probability", "weight", "impact",
        "reason", title=f"Review queue ({offset + 1}-{offset + len(items)} of {total})",
    )  # fmt: skip
    for item in items:
        persons = (
            str(item.person_a)
            if item.person_a == item.person_b
            else f"{item.person_a} / {item.person_b}"
        )
        table.add_row(
            item.kind,
            escape(item.a),
            escape(item.b),
            persons,
            f"{item.match_probability:.4f}",
            f"{item.match_weight:.2f}",
            str(item.impact),
            escape(item.reason or ""),
        )
    console.print(table)
    console.print(
        "Answer with: personae review decide SOURCE:ID SOURCE:ID --same | --not-same",
        highlight=False,
    )
