"""``personae activate`` (an alias of ``personae destinations run``), and the consent and
pseudonymisation options the ``export`` commands share.

Registered on the main app by ``register(app)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from personae.cli import render

if TYPE_CHECKING:
    from personae.activate import AudienceReport
    from personae.config.destinations import Pseudonymise

PurposeOption = Annotated[
    str | None,
    typer.Option(
        "--purpose",
        help="Send only persons with a valid consent for this purpose (consent.purposes).",
    ),
]
ChannelOption = Annotated[
    str | None,
    typer.Option("--channel", help="The channel the purpose is used on (if it has several)."),
]
HashOption = Annotated[
    str | None,
    typer.Option(
        "--hash",
        help="SHA-256 the personal data after a platform's normalisation: meta, google or generic.",
    ),
]
MaskOption = Annotated[
    bool, typer.Option("--mask", help="Mask the personal data (j***@example.com).")
]


def pseudonymise_option(hash_: str | None, mask: bool) -> Pseudonymise | None:
    """The pseudonymisation ``--hash PLATFORM`` or ``--mask`` ask for."""
    from personae.config.destinations import Pseudonymise

    platforms = ("meta", "google", "generic")
    if hash_ is not None and mask:
        raise typer.BadParameter("give --hash or --mask, not both")
    if hash_ is not None and hash_ not in platforms:
        raise typer.BadParameter(f"--hash {hash_}: use one of {', '.join(platforms)}")
    if hash_ is not None:
        return Pseudonymise(mode="hash", platform=hash_)  # type: ignore[arg-type]
    return Pseudonymise(mode="mask") if mask else None


def describe(report: AudienceReport, what: str, of: str = "") -> str:
    """``Wrote 12 members of vip to out.csv; 3 persons held back for lack of consent…``."""
    line = f"Wrote {render.plural(report.rows, what)}{of} to {report.out}"
    if report.purpose is not None:
        line += (
            f"; {render.plural(report.held_back, 'person')} held back for lack of consent "
            f"to {report.purpose} on {report.channel}"
        )
    if report.pseudonymised:
        line += f"; {', '.join(report.pseudonymised)}: {report.how}"
    return line


def register(app: typer.Typer) -> None:
    app.command(name="activate")(activate_cmd)


def activate_cmd(
    names: Annotated[
        list[str] | None, typer.Argument(help="Destinations to sync (default: all of them).")
    ] = None,
) -> None:
    """Alias of `personae destinations run`: send each destination what changed."""
    from personae.cli.destinations_commands import run_cmd

    run_cmd(names)
