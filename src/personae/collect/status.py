"""Counts for ``personae status``: tracking-plan violations per rule."""

from __future__ import annotations

from personae.collect.load import RAW_TABLE
from personae.engine import Engine


def tracking_plan_counts(engine: Engine) -> dict[str, int]:
    """Tracking plan name → messages stored with at least one violation of it."""
    if not engine.table_exists(RAW_TABLE):
        return {}
    rows = engine.rows(
        f"""
        SELECT plan, count(DISTINCT message_id) FROM (
            SELECT message_id,
                   unnest(from_json(violations, '["json"]')) ->> 'plan' AS plan
            FROM {RAW_TABLE} WHERE violations IS NOT NULL)
        GROUP BY plan ORDER BY plan
        """
    )
    return {str(plan): int(count) for plan, count in rows}
