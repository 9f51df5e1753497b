"""Every error personae raises on purpose derives from :class:`PersonaeError`.

The tree::

    PersonaeError                 one line for the user: what is wrong, where, how to fix it
    ├── ConfigError               personae.yml is invalid (carries the file and key path)
    ├── ProjectError              the project folder is missing or not initialised
    ├── SourceError               a source cannot be read at all (missing file, wrong delimiter…)
    ├── EngineError               the engine failed to run a statement (carries the SQL)
    ├── NotFoundError             a person, segment or table that was asked for does not exist
    └── MissingTableError         (ProjectError and NotFoundError) a table a step reads has
                                  not been built yet; the message names the command to run

Row-level problems are never raised: they are quarantined with a reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PersonaeError(Exception):
    """Root of every error personae raises on purpose. The message is shown to the user."""


class ConfigError(PersonaeError):
    """personae.yml is invalid. ``location`` is ``file: key.path``."""

    def __init__(self, message: str, *, file: str = "personae.yml", path: str = "") -> None:
        self.file = file
        self.path = path
        location = f"{file}: {path}" if path else file
        super().__init__(f"{location}: {message}")


class ProjectError(PersonaeError):
    """The project folder is missing, or a command needs a step that has not run yet."""


class SourceError(PersonaeError):
    """A whole source cannot be read. Single bad rows are quarantined instead."""


class EngineError(PersonaeError):
    """The engine failed to run a statement; ``sql`` holds the statement."""

    def __init__(self, message: str, *, sql: str = "") -> None:
        self.sql = sql
        super().__init__(message)


class NotFoundError(PersonaeError):
    """Something asked for by name does not exist."""


class MissingTableError(ProjectError, NotFoundError):
    """A table a step reads has not been built yet: an earlier stage has not run."""


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a misspelled ``word``, if one is close enough to suggest."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str], *, prefix: str = "; ") -> str:
    """``; did you mean 'x'?`` for the closest choice, or an empty string."""
    match = closest(word, choices)
    return f"{prefix}did you mean {match!r}?" if match is not None else ""
