"""What every command shares: the global options, the consoles, the error handler, the
project under the warehouse lock and the per-stage progress lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from personae.errors import PersonaeError

if TYPE_CHECKING:
    from personae.project import Project

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")


class State:
    """The global options (``--project``, ``--debug``, ``--engine``) of this invocation."""

    project_dir: Path = Path(".")
    debug: bool = False
    engine: str | None = None


state = State()


def project_root() -> Path:
    return Path(state.project_dir).resolve()


#: options whose values the audit log may keep: ids, names, numbers, never a person's
#: values (``--email``, ``--phone``, ``--user-id`` …) nor secrets; others are "<redacted>"
AUDITED_OPTIONS = frozenset(
    {
        "source",
        "scope",
        "key_id",
        "grace",
        "engine",
        "collector_id",
        "host",
        "port",
        "log_level",
        "full",
        "out",
        "directory",
        "since",
        "action",
        "actor",
        "limit",
        "segment",
        "fields",
        "dry_run",
        "verify",
        "people",
        "seed",
        "base",
        "name",
        "lineage",
    }
)


def audited_options(params: dict[str, Any]) -> dict[str, Any]:
    """The options given to a command, as the audit log keeps them."""
    kept: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or value is False or value == [] or value == ():
            continue
        if isinstance(value, bool | int | float):
            kept[name] = value
        elif name in AUDITED_OPTIONS:
            kept[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
        else:
            kept[name] = "<redacted>"
    return kept


def _current_context() -> Any:
    """The running command's click context (recent typers vendor click)."""
    import importlib

    for module in ("typer._click.globals", "click"):
        try:
            return importlib.import_module(module).get_current_context(silent=True)
        except ImportError:
            continue
    return None


def audit_command() -> None:
    """Record the running command in the project's audit log, once per invocation, with
    the OS user, its options (:func:`audited_options`) and, when personae.yml changed
    since the last record, its new hash. Outside a project it records nothing."""
    ctx = _current_context()
    if ctx is None or ctx.meta.get("personae.audited"):
        return
    ctx.meta["personae.audited"] = True
    root = project_root()
    if not (root / "personae.yml").exists():
        return
    words: list[str] = []
    here = ctx
    while here.parent is not None:
        words.append(str(here.info_name))
        here = here.parent
    command = " ".join(reversed(words))
    from personae.protect.audit import AuditLog

    log = AuditLog(root)
    try:
        log.record(
            "cli." + command.replace(" ", "."),
            {"command": command, "options": audited_options(dict(ctx.params))},
        )
        log.record_config(root / "personae.yml")
    except (PersonaeError, OSError) as exc:
        err_console.print(f"Warning: not recorded in the audit log: {escape(str(exc))}")


def since_option(since: str | None) -> dt.datetime | None:
    """``--since``: an ISO date or time, as naive UTC (None when not given)."""
    if not since:
        return None
    try:
        start = dt.datetime.fromisoformat(since)
    except ValueError:
        raise PersonaeError(f"--since: not an ISO date or time: {since!r}") from None
    if start.tzinfo is not None:
        start = start.astimezone(dt.UTC).replace(tzinfo=None)
    return start


def guard(fn: Callable[[], T]) -> T:
    """Record the command in the audit log, then run ``fn``; a :class:`PersonaeError`
    prints one ``Error: …`` line and exits 1 (``--debug`` shows the traceback
    instead)."""
    try:
        audit_command()
        return fn()
    except PersonaeError as exc:
        if state.debug:
            raise
        message = escape(str(exc))  # a hint like pip install 'personae[spark]' is not markup
        err_console.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


#: global options a user may also write after the subcommand, as dbt allows
HOISTED_WITH_VALUE = ("--project", "-p")
HOISTED_FLAGS = ("--debug",)


def hoist_global_options(args: list[str], commands: set[str]) -> list[str]:
    """Move ``--project DIR`` (``-p DIR``, ``--project=DIR``) and ``--debug`` written after
    the subcommand to before it, so ``personae status --project X`` works like
    ``personae --project X status``."""
    first, i = None, 0
    while i < len(args):
        if args[i] in (*HOISTED_WITH_VALUE, "--engine"):
            i += 2
            continue
        if args[i] in commands:
            first = i
            break
        i += 1
    if first is None:
        return args
    head, tail, moved = list(args[:first]), [], []
    rest = args[first:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            tail.extend(rest[i:])
            break
        if arg in HOISTED_WITH_VALUE and i + 1 < len(rest):
            moved += [arg, rest[i + 1]]
            i += 2
            continue
        if arg.startswith("--project=") or arg in HOISTED_FLAGS:
            moved.append(arg)
        else:
            tail.append(arg)
        i += 1
    return head + moved + tail


def _plain_flags(command: Any) -> None:
    """Boolean flags show no ``<bool>`` metavar in help, in ``command`` and below it.
    (typer vendors its own click, so this goes by attributes, not by click's classes.)"""
    help_option = command.get_help_option(command.context_class(command))
    for param in [*command.params, help_option]:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)


class PersonaeGroup(typer.core.TyperGroup):
    """The top command: global options accepted on either side of the subcommand, and
    flags without a metavar in help."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        _plain_flags(self)
        args = hoist_global_options(list(args), set(self.commands))
        return super().make_context(info_name, args, parent, **extra)


@contextmanager
def open_project(directory: Path | None = None, *, check: bool = True) -> Iterator[Project]:
    """The project, holding the warehouse lock: one personae process uses the warehouse
    at a time (``personae serve`` only takes it for its scheduled runs). ``check``
    validates every reference of ``personae.yml`` first (:func:`personae.pipeline.validate`),
    before any stage or engine starts."""
    # imported here: ``personae --help`` stays quick without the engines
    from personae.lock import warehouse_lock
    from personae.pipeline import validate
    from personae.project import Project

    project = Project.load(directory or state.project_dir, engine=state.engine)
    if check:
        validate(project.config, project.root)
    try:
        with warehouse_lock(project.root, on_wait=_say_waiting):
            yield project
    finally:
        project.close()


def _say_waiting(holder: str) -> None:
    err_console.print(f"Waiting for the warehouse lock: {escape(holder)}", highlight=False)


@contextmanager
def spinner() -> Iterator[Callable[[str], None]]:
    """A progress line per step; yields a function that starts the next step."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        current: list[TaskID] = []

        def start(name: str) -> None:
            if current:
                progress.update(current[-1], completed=1, total=1)
            current.append(progress.add_task(name, total=None))

        yield start
        if current:
            progress.update(current[-1], completed=1, total=1)
