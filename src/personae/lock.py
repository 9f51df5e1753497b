"""One process at a time writes the warehouse: ``<project>/.personae/warehouse.lock``."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from personae.errors import PersonaeError
from personae.project import STATE_DIR


class WarehouseLockTimeout(PersonaeError):
    """Another process kept the warehouse lock for longer than the timeout."""


@contextmanager
def warehouse_lock(project_root: Path | str, timeout: float = 600.0) -> Iterator[None]:
    """Hold the project's warehouse lock, waiting up to ``timeout`` seconds for it."""
    path = Path(project_root) / STATE_DIR / "warehouse.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                    raise WarehouseLockTimeout(
                        f"another personae process holds the warehouse: {path} "
                        f"(pid {holder}); waited {timeout:g}s. Wait for it to finish "
                        "or stop it, then try again."
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
