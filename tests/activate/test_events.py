"""``personae export events``: original payloads and corrected timestamps."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from helpers.collect import ServeFactory
from personae.cli.main import app


def test_export_events_jsonl_and_parquet(serve: ServeFactory) -> None:
    s = serve()
    batch = {
        "sentAt": "2026-01-01T10:00:10Z",
        "batch": [
            {
                "type": "track",
                "userId": "u",
                "event": "Old",
                "messageId": "m1",
                "timestamp": "2025-12-01T10:00:00Z",
            },
            {
                "type": "track",
                "userId": "u",
                "event": "New",
                "messageId": "m2",
                "timestamp": "2026-01-01T10:00:00Z",
                "properties": {"é": 1},
            },
        ],
    }
    assert s.post("/v1/batch", batch).status_code == 200
    s.collector.flush()
    runner = CliRunner()
    out = s.root / "events.jsonl"
    result = runner.invoke(app, ["--project", str(s.root), "export", "events", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["message_id"] for r in rows] == ["m1", "m2"]
    assert rows[1]["payload"]["properties"] == {"é": 1}
    assert rows[1]["original_timestamp"].startswith("2026-01-01T10:00:00")
    assert rows[1]["timestamp"] != rows[1]["original_timestamp"]  # skew-corrected
    parquet = s.root / "events.parquet"
    result = runner.invoke(
        app,
        [
            "--project",
            str(s.root),
            "export",
            "events",
            "--out",
            str(parquet),
            "--since",
            (dt.datetime.now(dt.UTC) - dt.timedelta(days=7)).isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    # m1 was created 31 days before it was sent: its corrected time is a month ago
    assert pq.read_table(parquet).column("message_id").to_pylist() == ["m2"]
