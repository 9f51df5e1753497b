"""The UI keeps the warehouse open read-only between requests, and lets go of it as soon
as a run waits for the lock."""

from __future__ import annotations

from pathlib import Path

from personae.lock import warehouse_lock
from personae.ui.workspace import KEEP_OPEN, WarehouseBusy, Workspace


def test_a_waiting_run_gets_the_warehouse_before_the_ui_lets_it_go_idle(
    ui_project: Path,
) -> None:
    workspace = Workspace(ui_project)
    try:
        with workspace.warehouse() as engine:
            first = engine
            assert engine.count("persons") > 0
        with workspace.warehouse() as engine:
            assert engine is first  # kept open between requests
        # a run asks for the lock: it gets it well before the UI would close on idling
        with warehouse_lock(ui_project, timeout=KEEP_OPEN / 2):
            try:
                with workspace.warehouse(timeout=0.3):
                    raise AssertionError("the UI read while a run held the warehouse")
            except WarehouseBusy:
                pass
        with workspace.warehouse() as engine:
            assert engine is not first  # opened again after the run
            assert engine.count("persons") > 0
    finally:
        workspace.close()
