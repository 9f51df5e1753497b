"""Absent, invalid or valid: how a ``None`` from a normaliser is read."""

from __future__ import annotations

from typing import Literal

__all__ = ["Outcome", "is_blank", "outcome"]

Outcome = Literal["absent", "invalid", "valid"]


def is_blank(raw: str | None) -> bool:
    """True for an *absent* value: ``None``, empty or whitespace only."""
    return raw is None or not raw.strip()


def outcome(raw: str | None, value: object) -> Outcome:
    """Classify one normalisation: ``absent``, ``invalid`` or ``valid``."""
    if value is not None:
        return "valid"
    return "absent" if is_blank(raw) else "invalid"
