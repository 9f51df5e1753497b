"""Every message decision about one person, newest first (``personae journeys why``)."""

from __future__ import annotations

from typing import Any

from personae.activate.orchestrator.tables import MESSAGES_SCHEMA, ensure_table
from personae.catalog import ACTIVATION_MESSAGES
from personae.engine import Engine


def decisions_about(engine: Engine, person_id: int, limit: int = 100) -> list[dict[str, Any]]:
    ensure_table(engine, ACTIVATION_MESSAGES, MESSAGES_SCHEMA)
    table = engine.query(
        f"SELECT decided_at, campaign, channel, journey, step, status, reason, message_id "
        f"FROM {ACTIVATION_MESSAGES} WHERE person_id = ? "
        f"ORDER BY decided_at DESC, message_id LIMIT {int(limit)}",
        [person_id],
    )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows
