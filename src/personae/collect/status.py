"""Counts for ``personae status``: tracking-plan violations per rule."""

from __future__ import annotations

import json

from personae.catalog import RAW_COLLECTED
from personae.engine import Engine


def tracking_plan_counts(engine: Engine) -> dict[str, int]:
    """Tracking plan name → messages stored with at least one violation of it."""
    if not engine.table_exists(RAW_COLLECTED):
        return {}
    # parsed here rather than in SQL: JSON functions differ between engines, and only
    # messages with violations are read
    counts: dict[str, set[str]] = {}
    for message_id, violations in engine.rows(
        f"SELECT message_id, violations FROM {RAW_COLLECTED} WHERE violations IS NOT NULL"
    ):
        for violation in json.loads(violations):
            counts.setdefault(str(violation["plan"]), set()).add(str(message_id))
    return {plan: len(ids) for plan, ids in sorted(counts.items())}
