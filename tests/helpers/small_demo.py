"""A small demo project, run end to end: what read-model tests look at."""

from __future__ import annotations

from pathlib import Path

from personae.demo import generate_demo
from personae.demo.activation import activate_demo
from personae.pipeline import run
from personae.project import Project

PEOPLE = 1500
SEED = 11


def build_small_demo(root: Path) -> Project:
    """Generate the demo into ``root``, run the pipeline and the demo's activation."""
    generate_demo(PEOPLE, root, seed=SEED)
    project = Project.load(root)
    run(project)
    activate_demo(project)
    return project
