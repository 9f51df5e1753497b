"""``personae privacy``: the data subject's rights (access export, erasure).

Registered on the main app by ``register(app)``; the commands share the CLI's error
handling and warehouse lock (:mod:`personae.cli.context`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from personae.cli.context import console, guard, open_project

if TYPE_CHECKING:
    from personae.privacy.erasure import ErasureReport

privacy_app = typer.Typer(help="The data subject's rights: access export and erasure.")

Email = Annotated[str | None, typer.Option("--email", help="The person's e-mail address.")]
Phone = Annotated[str | None, typer.Option("--phone", help="The person's phone (+CC…).")]
UserId = Annotated[str | None, typer.Option("--user-id", help="The person's user id.")]
PersonId = Annotated[int | None, typer.Option("--person", help="A person id.")]


def register(app: typer.Typer) -> None:
    """Add ``personae privacy export|erase`` to ``app``."""
    app.add_typer(privacy_app, name="privacy")


@privacy_app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="The JSON file to write.")],
    email: Email = None,
    phone: Phone = None,
    user_id: UserId = None,
    person: PersonId = None,
) -> None:
    """Write everything held about one person to a JSON file (GDPR art. 15 and 20)."""
    from personae.privacy.access import access_export, write_access_export
    from personae.privacy.person import Selector, find_person

    def go() -> None:
        selector = Selector(email, phone, user_id, person)
        with open_project() as project:
            found = access_export(project, find_person(project, selector), selector)
        write_access_export(found, out)
        console.print(found.summary(), highlight=False)
        console.print(f"Written to {out} (request {found.request_id})", highlight=False)

    guard(go)


@privacy_app.command("erase")
def erase_cmd(
    email: Email = None,
    phone: Phone = None,
    user_id: UserId = None,
    person: PersonId = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            help="Erase every person this file names, one KIND:VALUE a line "
            "(email:ann@example.org, phone:+336…, user_id:C1042, person:1234), "
            "with one compaction for all.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be removed; change nothing.")
    ] = False,
    compact: Annotated[
        bool,
        typer.Option(
            "--compact",
            help="Rewrite the warehouse file now, so the deleted rows leave no bytes behind "
            "(by default the next 'personae run' does it, or 'personae privacy compact').",
        ),
    ] = False,
) -> None:
    """Erase one person (or every person of --from-file) from every table and file, and
    suppress their identifiers."""
    from personae.privacy.erasure import erase, erase_many, pending_requests, read_requests
    from personae.privacy.person import PrivacyRequestError, Selector, find_person

    def go() -> None:
        selector = Selector(email, phone, user_id, person)
        if from_file is not None:
            if selector.given():
                raise PrivacyRequestError(
                    "give either --from-file or one of --email, --phone, --user-id, --person"
                )
            requests = read_requests(from_file)
            with open_project() as project:
                batch = erase_many(project, requests, dry_run, compact=compact)
                waiting = pending_requests(project.state_dir)
            for report in batch.erasures:
                _print_erasure(report)
            for line, why in batch.not_found:
                console.print(f"[yellow]{from_file}, line {line}:[/] {why}", highlight=False)
            verb = "Would erase" if dry_run else "Erased"
            console.print(
                f"{verb} {len(batch.erasures)} of {len(requests)} requests"
                + (f"; warehouse compacted in {batch.compact_seconds:.1f} s" if compact else ""),
                highlight=False,
            )
            _print_waiting(waiting)
            return
        with open_project() as project:
            person_ = find_person(project, selector)
            report = erase(project, person_, selector, dry_run, compact=compact)
            waiting = pending_requests(project.state_dir)
        _print_erasure(report)
        _print_waiting(waiting)

    guard(go)


@privacy_app.command("compact")
def compact_cmd() -> None:
    """Rewrite the warehouse file so the rows of past erasures leave no bytes behind (the
    next 'personae run' does it too)."""
    from personae.privacy.erasure import compact_warehouse, pending_requests

    def go() -> None:
        with open_project() as project:
            waiting = pending_requests(project.state_dir)
            seconds = compact_warehouse(project)
        console.print(
            f"Compacted the warehouse in {seconds:.1f} s; "
            f"{len(waiting)} erasure(s) were waiting for it",
            highlight=False,
        )

    guard(go)


def _print_waiting(waiting: list[str]) -> None:
    if waiting:
        console.print(
            f"{len(waiting)} erasure(s) wait for the warehouse to be compacted (their rows "
            "are gone, the file's freed blocks are rewritten by the next 'personae run', or "
            "now by 'personae privacy compact')",
            highlight=False,
        )


def _print_erasure(report: ErasureReport) -> None:
    dry_run = report.dry_run
    verb = "Would remove" if dry_run else "Removed"
    ids = ", ".join(map(str, report.person_ids))
    console.print(
        f"{verb} person {ids}: {report.rows:,} rows in {len(report.tables)} tables, "
        f"messages in {len(report.files)} collected files (request {report.request_id})",
        highlight=False,
    )
    for table, rows in sorted(report.tables.items()):
        console.print(f"  {table}: {rows:,}", highlight=False)
    for path, rows in sorted(report.files.items()):
        console.print(f"  {path}: {rows:,} messages", highlight=False)
    for path, values in sorted(report.models.items()):
        console.print(f"  {path}: {values:,} values", highlight=False)
    for name, members in sorted(report.destinations.items()):
        verb = "would be told" if dry_run else "told"
        console.print(
            f"  destination {name}: {verb} to remove {members:,} member(s)", highlight=False
        )
    for label, rows in sorted(report.exports.items()):
        console.print(f"  PostgreSQL export {label}: {rows:,} rows", highlight=False)
    console.print(
        f"{'Would suppress' if dry_run else 'Suppressed'} {report.suppressed} identifier "
        f"hashes; {report.shared} identifiers shared with other persons kept",
        highlight=False,
    )
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/] {warning}", highlight=False)
