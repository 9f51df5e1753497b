"""A small demo project, run end to end: what read-model tests look at."""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from personae.demo import generate_demo
from personae.demo.activation import activate_demo
from personae.pipeline import run
from personae.project import Project

PEOPLE = 1500
SEED = 11


@contextmanager
def demo_receivers() -> Iterator[None]:
    """The demo's activation listens on fixed ports (SMTP 2525, webhooks 8787): pytest-xdist
    workers building demo projects at once take turns."""
    with open(Path(tempfile.gettempdir()) / "personae-demo-receivers.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_small_demo(root: Path) -> Project:
    """Generate the demo into ``root``, run the pipeline and the demo's activation."""
    generate_demo(PEOPLE, root, seed=SEED)
    project = Project.load(root)
    run(project)
    with demo_receivers():
        activate_demo(project)
    return project
