"""``personae stream status``: what the stream keeps up to date, and how far it got."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from personae.activate.triggers import TriggerQueue
from personae.project import Project
from personae.stream.evaluate import plan
from personae.stream.generation import PROVISIONAL_FROM


def status_lines(project: Project, live: Path | None) -> list[str]:
    how = plan(project.config)
    lines = []
    streamed = how.streamed("traits")
    batch = {n: w for n, w in how.traits.items() if w != "streamed"}
    lines.append(f"Traits kept up to date by the stream: {', '.join(streamed) or 'none'}")
    for name, why in batch.items():
        lines.append(f"  {name}: {why}")
    lines.append(
        f"Segments kept up to date by the stream: {', '.join(how.streamed('segments')) or 'none'}"
    )
    for name, why in how.segments.items():
        if why != "streamed":
            lines.append(f"  {name}: {why}")
    if how.reads_events:
        lines.append(
            "Segments reading events wait for the next run for persons with more events than "
            "serving.events_per_person keeps: " + ", ".join(sorted(how.reads_events))
        )
    if live is None:
        lines.append("Serving store: not published yet (personae run publishes it)")
        return lines
    db = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    try:
        has = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'stream_position'").fetchone()
        if not has:
            lines.append(f"Stream: nothing applied yet to {live.name}")
        else:
            applied = db.execute(
                "SELECT value FROM stream_meta WHERE key = 'applied_at'"
            ).fetchone()
            positions = db.execute("SELECT collector, seq, rows FROM stream_position ORDER BY 1")
            where = ", ".join(f"{c} segment {s} message {r}" for c, s, r in positions)
            provisional = db.execute(
                "SELECT count(*) FROM traits WHERE person_id >= ?", (PROVISIONAL_FROM,)
            ).fetchone()[0]
            last = applied[0] if applied else "never"
            lines.append(
                f"Stream: last applied {last}; at {where or 'the start'}; "
                f"{provisional:,} provisional persons (new since the run)"
            )
    finally:
        db.close()
    with TriggerQueue(project.state_dir) as queue:
        lines.append(f"Trigger queue: {queue.last_position():,} triggers appended")
    return lines
