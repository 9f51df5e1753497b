"""The ``personae`` command: a thin layer over :class:`personae.project.Project`.

Every command runs under one error handler (:func:`personae.cli.context.guard`): a
:class:`PersonaeError` prints one ``Error: …`` line and exits 1; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from personae.cli import (
    activate_commands,
    audit_commands,
    collect_commands,
    destinations_commands,
    duplicates_command,
    identity_commands,
    journeys_commands,
    messages_commands,
    overrides_commands,
    postgres_export_command,
    predictions_commands,
    privacy_commands,
    protect_commands,
    render,
    report_commands,
    review_commands,
    serving_commands,
    stream_command,
    tail_command,
    ui_commands,
)
from personae.cli.activate_commands import (
    ChannelOption,
    HashOption,
    MaskOption,
    PurposeOption,
    describe,
    pseudonymise_option,
)
from personae.cli.context import (
    PersonaeGroup,
    console,
    err_console,
    guard,
    open_project,
    spinner,
    state,
)
from personae.protect.files import private_umask

if TYPE_CHECKING:
    from personae.pipeline import RunReport

app = typer.Typer(
    name="personae",
    cls=PersonaeGroup,
    help="personae: the customer data platform that runs on a laptop and scales on Spark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
export_app = typer.Typer(
    help="Export identities, profiles or segment members to files, or all to PostgreSQL."
)
app.add_typer(export_app, name="export")


def _known_engine(name: str | None) -> str | None:
    from personae.engine.registry import engine_names

    if name is not None and name not in engine_names():
        raise typer.BadParameter(f"no engine {name!r}; use one of {', '.join(engine_names())}")
    return name


def _engine_option(help_text: str) -> Any:
    """``--engine NAME``, NAME one of the registered engines."""
    return typer.Option("--engine", help=help_text, callback=_known_engine)


ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project",
        "-p",
        help="The project folder (default: current folder); before or after the command.",
    ),
]


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("personae")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            found = "unknown (not installed)"
        console.print(f"personae {found}", highlight=False)
        raise typer.Exit()


@app.callback()
def _global(
    project: ProjectOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    engine: Annotated[
        str | None,
        _engine_option("Run on this engine instead of the one personae.yml names."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_show_version, is_eager=True
        ),
    ] = False,
) -> None:
    private_umask()  # every file and folder personae creates is private from the start
    state.project_dir = project or Path(".")
    state.debug = debug
    state.engine = engine


def _run_stages(
    stages: tuple[str, ...] | None = None,
    directory: Path | None = None,
    *,
    full_matching: bool = False,
) -> RunReport:
    """Run the named stages (default: all) with a progress line each, and show reports."""
    from personae.pipeline import run
    from personae.stage import command_of

    with open_project(directory) as project:
        with spinner() as start:
            report = run(
                project,
                stages,
                on_stage=lambda stage: start(command_of(stage)),
                full_matching=full_matching,
            )
        render.run_report(console, project, report)
        return report


# --------------------------------------------------------------------------- commands


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create.")] = Path("."),
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            "-t",
            help="Write a personae.yml mapping a system's documented exports: shopify, "
            "prestashop, hubspot, brevo or zendesk (see --list-templates).",
        ),
    ] = None,
    list_templates: Annotated[
        bool, typer.Option("--list-templates", help="List the templates and exit.")
    ] = False,
) -> None:
    """Write a commented starter project (personae.yml and two small data files), or with
    --template NAME a personae.yml for that system's exports."""
    from personae.config.starter import write_starter_project
    from personae.config.templates import TEMPLATES, write_template_project

    if list_templates:
        for name, described in TEMPLATES.items():
            console.print(f"{name:<11} {described.summary}", highlight=False, soft_wrap=True)
        return
    if template is None:
        config = guard(lambda: write_starter_project(directory))
    else:
        config = guard(lambda: write_template_project(directory, template))
    console.print(
        f"Created {config}. Next: [bold]personae --project {directory} validate[/], then "
        f"[bold]personae --project {directory} run[/] (docs/tutorial.md walks through it)",
        highlight=False,
    )
    if template is not None:
        folders = ", ".join(f"{directory / f}/" for f in TEMPLATES[template].folders)
        where = f" and what to put in {folders}" if folders else ""
        console.print(
            f"Its header says which exports or tables it reads{where}, and what to adapt.",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def demo(
    people: Annotated[int, typer.Option(help="How many people to generate.")] = 20_000,
    directory: Annotated[Path, typer.Option("--dir", help="Folder of the demo project.")] = Path(
        "demo-project"
    ),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    generate_only: Annotated[
        bool, typer.Option("--generate-only", help="Write the data but do not run.")
    ] = False,
    activation: Annotated[
        bool,
        typer.Option(
            "--activation/--no-activation",
            help="After the pipeline, sync the destinations and run the journeys against "
            "local receivers (SMTP on 127.0.0.1:2525, a webhook on 127.0.0.1:8787).",
        ),
    ] = True,
    engine: Annotated[
        str | None,
        _engine_option("The engine the demo's personae.yml names (and runs on)."),
    ] = None,
    ui: Annotated[
        bool,
        typer.Option(
            "--ui",
            help="At the end, serve the web UI on http://127.0.0.1:8700/ui/ (Ctrl-C stops it).",
        ),
    ] = False,
) -> None:
    """Generate a messy multi-source dataset with ground truth, then run the whole pipeline;
    seed an admin account of the web UI (its password printed once)."""
    from personae.cli.story import next_steps, tell_story
    from personae.cli.story_activation import tell_activation
    from personae.cli.story_predictions import backtest_demo, tell_predictions
    from personae.cli.ui_commands import serve_ui, tell_ui
    from personae.demo.activation import activate_demo
    from personae.demo.generator import generate_demo
    from personae.demo.ui_seed import seed_ui
    from personae.engine.registry import engine_names
    from personae.profile.predict.lifetime import predictions_available

    if engine is not None:
        state.engine = engine
    chosen = state.engine or engine_names()[0]

    def go() -> None:
        with spinner() as start:
            start(f"generating {people:,} people into {directory} ({chosen})")
            generate_demo(people, directory, seed=seed, engine=chosen)
        if generate_only:
            return
        report = _run_stages(directory=directory)
        with open_project(directory) as project:
            tell_story(console, project, report)
            if project.config.predictions is not None:
                with spinner() as start:
                    start("backtesting the predictions")
                    backtested = backtest_demo(project)
                tell_predictions(console, backtested)
            elif not predictions_available():
                console.print(
                    "Predictions left out of this demo: they need pymc-marketing and "
                    "scikit-learn, pip install 'personae[predict]' (docs/predictions.md).",
                    markup=False,
                    highlight=False,
                )
            if activation:
                with spinner() as start:
                    start("syncing the destinations and running the journeys")
                    activated = activate_demo(project)
                tell_activation(console, activated)
            next_steps(console, project)
            seeded = seed_ui(project)
        tell_ui(console, directory, seeded, serving=ui)
        if ui:
            serve_ui(directory)

    guard(go)


@app.command(name="ingest")
def ingest_cmd() -> None:
    """Load new and changed source files into raw tables; quarantine bad rows."""
    guard(lambda: _run_stages(("ingest",)))


@app.command(name="clean")
def clean_cmd() -> None:
    """Derive canonical values from raw tables and measure data quality."""
    guard(lambda: _run_stages(("clean",)))


@app.command()
def resolve(
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Score every record pair again, not only new and changed records."
        ),
    ] = False,
) -> None:
    """Stitch source records into persons with stable ids."""
    guard(lambda: _run_stages(("resolve",), full_matching=full))


@app.command()
def profiles() -> None:
    """Build golden profiles and compute traits."""
    guard(lambda: _run_stages(("profiles",)))


@app.command()
def segments() -> None:
    """Evaluate segments into the membership table."""
    guard(lambda: _run_stages(("segments",)))


@app.command(name="run")
def run_cmd() -> None:
    """Run the whole pipeline: ingest, clean, resolve, profiles, segments."""
    guard(_run_stages)


@app.command()
def validate() -> None:
    """Check personae.yml and every name it refers to, without running anything."""
    from personae.config.loader import load_config
    from personae.pipeline import validate as validate_config

    def go() -> None:
        root = state.project_dir
        config = load_config(root)
        validate_config(config, root.resolve(), secrets=True)
        counts = ", ".join(
            render.plural(len(section), name)
            for section, name in (
                (config.sources, "source"),
                (config.traits, "trait"),
                (config.segments, "segment"),
                (config.destinations, "destination"),
            )
        )
        console.print(f"personae.yml is valid: {counts}", highlight=False)

    guard(go)


@app.command()
def status() -> None:
    """Show what is loaded, quarantined and invalid, and how many persons and members."""

    def go() -> None:
        with open_project() as project:
            render.status(console, project)

    guard(go)


# --------------------------------------------------------------------------- export

OutOption = Annotated[Path, typer.Option("--out", "-o", help="File to write (.csv or .parquet).")]
FieldsOption = Annotated[
    str | None, typer.Option("--fields", help="Comma-separated profile fields to include.")
]


def _golden_columns(config: Any) -> list[str]:
    """person_id, the golden fields and the trait columns: what a CRM wants to import."""
    from personae.profile.golden import profile_fields
    from personae.profile.traits import trait_columns

    return ["person_id", *profile_fields(config), *trait_columns(config)]


def _fields(value: str | None) -> list[str] | None:
    return [f.strip() for f in value.split(",") if f.strip()] if value else None


@export_app.command("identities")
def export_identities_cmd(out: OutOption) -> None:
    """Write source,record_id,person_id for every source record."""
    from personae.activate import export_identities

    def go() -> None:
        with open_project() as project:
            rows = export_identities(project.engine, out)
        console.print(f"Wrote {render.plural(rows, 'identity', 'identities')} to {out}")

    guard(go)


@export_app.command("profiles")
def export_profiles_cmd(
    out: OutOption,
    fields: FieldsOption = None,
    lineage: Annotated[
        bool,
        typer.Option(
            "--lineage",
            help="Also write where each golden value comes from (<field>__source, "
            "<field>__record_id) and the profile's statistics.",
        ),
    ] = False,
    purpose: PurposeOption = None,
    channel: ChannelOption = None,
    hash_: HashOption = None,
    mask: MaskOption = False,
) -> None:
    """Write golden profiles and their traits (golden fields and traits by default)."""
    from personae.activate import profiles_sql, write_audience

    def go() -> None:
        pseudonymise = pseudonymise_option(hash_, mask)
        with open_project() as project:
            golden = None if lineage else _golden_columns(project.config)
            sql = profiles_sql(project.engine, _fields(fields), golden=golden)
            report = write_audience(
                project.engine,
                project.config,
                sql,
                out,
                purpose=purpose,
                channel=channel,
                pseudonymise=pseudonymise,
            )
        console.print(describe(report, "profile"), highlight=False, soft_wrap=True)

    guard(go)


@export_app.command("segment")
def export_segment_cmd(
    name: Annotated[str, typer.Argument(help="Segment name from personae.yml.")],
    out: OutOption,
    fields: FieldsOption = None,
    purpose: PurposeOption = None,
    channel: ChannelOption = None,
    hash_: HashOption = None,
    mask: MaskOption = False,
) -> None:
    """Write the members of a segment (only those who consented, with --purpose)."""
    from personae.activate import segment_members_sql, write_audience

    def go() -> None:
        pseudonymise = pseudonymise_option(hash_, mask)
        with open_project() as project:
            sql = segment_members_sql(
                project.engine,
                name,
                declared=list(project.config.segments),
                fields=_fields(fields),
            )
            report = write_audience(
                project.engine,
                project.config,
                sql,
                out,
                purpose=purpose,
                channel=channel,
                pseudonymise=pseudonymise,
            )
        console.print(describe(report, "member", f" of {name}"), highlight=False, soft_wrap=True)

    guard(go)


collect_commands.register(app, export_app)
postgres_export_command.register(export_app)
identity_commands.register(app)
activate_commands.register(app)
messages_commands.register(app)
destinations_commands.register(app)
duplicates_command.register(app)
audit_commands.register(app)
stream_command.register(app)
privacy_commands.register(app)
protect_commands.register(app)
journeys_commands.register(app)
ui_commands.register(app)
report_commands.register(app)
serving_commands.register(app)
tail_command.register(app)
overrides_commands.register(app)
review_commands.register(app)
predictions_commands.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
