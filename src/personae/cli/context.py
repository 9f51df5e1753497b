"""What every command shares: the global options, the consoles, the error handler, the
project under the warehouse lock and the per-stage progress lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

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


def guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; a :class:`PersonaeError` prints one ``Error: …`` line and exits 1
    (``--debug`` shows the traceback instead)."""
    try:
        return fn()
    except PersonaeError as exc:
        if state.debug:
            raise
        message = escape(str(exc))  # a hint like pip install 'personae[spark]' is not markup
        err_console.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def open_project(directory: Path | None = None) -> Iterator[Project]:
    """The project, holding the warehouse lock: one personae process uses the warehouse
    at a time (``personae serve`` only takes it for its scheduled runs)."""
    # imported here: ``personae --help`` stays quick without the engines
    from personae.lock import warehouse_lock
    from personae.project import Project

    project = Project.load(directory or state.project_dir, engine=state.engine)
    try:
        with warehouse_lock(project.root):
            yield project
    finally:
        project.close()


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
