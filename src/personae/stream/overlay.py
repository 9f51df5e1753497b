"""What the streaming worker changed in segment memberships since the live store was
published: the latest ``entered`` or ``left`` per person and segment, from the trigger
queue. Segment audiences of destinations follow it (``personae destinations run``), so
a person the stream puts in a segment reaches an ``on_change`` destination at its next
sync, not after the next run.

Triggers appended before the publish are left out: that run's memberships hold them
(and the worker streams again, onto the new store, what the run did not see)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from personae.activate.triggers import TriggerQueue, queue_path
from personae.serving.store import ServingPaths, connect, read_meta


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def live_memberships(state_dir: Path) -> list[tuple[int, str, bool]]:
    """``(person_id, segment, member)`` for each change the stream made since the live
    store's publish (none without a store or a queue)."""
    live = ServingPaths.of(state_dir).live()
    if live is None or not queue_path(state_dir).exists():
        return []
    connection = connect(live)
    try:
        published = _time(read_meta(connection)["published_at"])
    finally:
        connection.close()
    latest: dict[tuple[int, str], bool] = {}
    with TriggerQueue(state_dir) as queue:
        for trigger in queue.segment_changes():
            if _time(trigger.at) >= published:
                latest[(trigger.person_id, trigger.name)] = trigger.kind == "entered"
    return [(person, segment, member) for (person, segment), member in latest.items()]
