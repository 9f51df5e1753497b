"""Where the collector keeps its files, under ``<project>/.personae/collect/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from personae.project import STATE_DIR
from personae.protect.files import private_dir


@dataclass(frozen=True)
class CollectPaths:
    root: Path
    #: where flushed Parquet files go (``collect.events_dir``); default ``root/events``
    events_dir: Path | None = None

    @classmethod
    def of(cls, project_root: Path, events_dir: str | None = None) -> CollectPaths:
        """The project's collect folder; ``events_dir`` is relative to the project folder
        or absolute (a folder shared by several collectors and the Spark cluster)."""
        events = None if events_dir is None else Path(project_root) / events_dir
        return cls(Path(project_root) / STATE_DIR / "collect", events)

    @property
    def wal(self) -> Path:
        return self.root / "wal"

    @property
    def events(self) -> Path:
        return self.events_dir if self.events_dir is not None else self.root / "events"

    @property
    def keys(self) -> Path:
        return self.root / "keys.json"

    @property
    def secret(self) -> Path:
        return self.root / "secret.key"

    def ensure(self) -> None:
        private_dir(self.wal)
        private_dir(self.events)
