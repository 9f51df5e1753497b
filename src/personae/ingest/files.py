"""Finding a source's files and fingerprinting them, so unchanged files are not read again."""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass
from pathlib import Path

from personae.config.sources import SourceConfig
from personae.errors import SourceError

_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    path: Path
    size: int
    sha256: str


def find_files(root: Path, name: str, source: SourceConfig) -> list[Path]:
    """The files a source's path or glob matches, in a stable order."""
    if source.path is None:
        raise SourceError(f"sources.{name}: a database source has no files")
    pattern = source.path if Path(source.path).is_absolute() else str(root / source.path)
    if glob.has_magic(pattern):
        matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise SourceError(
                f"sources.{name}.path: no file matches {source.path!r} in {root}; "
                "check the pattern or put the files there"
            )
        return files
    path = Path(pattern)
    if not path.is_file():
        raise SourceError(
            f"sources.{name}.path: file not found: {path}; check the path in personae.yml "
            "(relative paths start at the project folder)"
        )
    return [path]


def fingerprint(path: Path) -> SourceFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return SourceFile(path=path, size=path.stat().st_size, sha256=digest.hexdigest())
