"""One process at a time writes the warehouse: ``<project>/.personae/warehouse.lock``.

The holder writes ``pid <pid>, personae <command>, since <UTC time>`` into the lock file,
so a second process says at once who holds it and that it waits.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from personae.errors import PersonaeError
from personae.project import STATE_DIR

#: touched, beside the lock, by a process waiting for it: a reader that keeps the lock
#: between its requests (the web UI) releases it when this file is fresh
WANTED = "warehouse.wanted"


def lock_wanted(project_root: Path | str, within: float = 2.0) -> bool:
    """Whether a process waited for the warehouse lock in the last ``within`` seconds."""
    try:
        touched = (Path(project_root) / STATE_DIR / WANTED).stat().st_mtime
    except FileNotFoundError:
        return False
    return time.time() - touched < within


class WarehouseLockTimeout(PersonaeError):
    """Another process kept the warehouse lock for longer than the timeout."""


def holder_line() -> str:
    """What this process writes into the lock: its pid, command and start time."""
    args = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"pid {os.getpid()}, {args or 'personae'}, since {since}"


def _read_holder(fd: int) -> str:
    text = os.pread(fd, 1024, 0).decode(errors="replace").strip()
    if not text:
        return "another personae process (it has not said which yet)"
    return text if text.startswith("pid ") else f"pid {text}"


@contextmanager
def warehouse_lock(
    project_root: Path | str,
    timeout: float = 600.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the project's warehouse lock, waiting up to ``timeout`` seconds for it.

    ``on_wait`` is called once, at once, with the holder (pid, command, since when) when
    another process holds the lock.
    """
    path = Path(project_root) / STATE_DIR / "warehouse.lock"
    wanted = path.with_name(WANTED)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait(
                        f"{_read_holder(fd)} holds {path}; waiting up to {timeout:g}s "
                        "(Ctrl-C to stop waiting)"
                    )
                told = True
                wanted.touch()  # a reader keeping the warehouse open lets go (the web UI)
                if time.monotonic() >= deadline:
                    raise WarehouseLockTimeout(
                        f"another personae process holds the warehouse: {path} "
                        f"({_read_holder(fd)}); waited {timeout:g}s. Wait for it to finish "
                        "or stop it, then try again."
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder_line().encode(), 0)
        if told:
            wanted.unlink(missing_ok=True)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
