"""Where the collector keeps its files, under ``<project>/.personae/collect/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from personae.project import STATE_DIR


@dataclass(frozen=True)
class CollectPaths:
    root: Path

    @classmethod
    def of(cls, project_root: Path) -> CollectPaths:
        return cls(Path(project_root) / STATE_DIR / "collect")

    @property
    def wal(self) -> Path:
        return self.root / "wal"

    @property
    def events(self) -> Path:
        return self.root / "events"

    @property
    def keys(self) -> Path:
        return self.root / "keys.json"

    @property
    def secret(self) -> Path:
        return self.root / "secret.key"

    def ensure(self) -> None:
        self.wal.mkdir(parents=True, exist_ok=True)
        self.events.mkdir(parents=True, exist_ok=True)
