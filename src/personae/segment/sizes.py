"""How many persons each segment holds now (``segment_membership``)."""

from __future__ import annotations

from personae.catalog import SEGMENT_MEMBERSHIP
from personae.engine import Engine


def segment_sizes(engine: Engine) -> dict[str, int]:
    """Segment name → current members, by name; ``{}`` before ``personae segments`` ran
    (a declared segment without members is absent)."""
    if not engine.table_exists(SEGMENT_MEMBERSHIP):
        return {}
    return {
        str(segment): int(members)
        for segment, members in engine.rows(
            f"SELECT segment, count(*) FROM {SEGMENT_MEMBERSHIP} GROUP BY segment ORDER BY segment"
        )
    }
