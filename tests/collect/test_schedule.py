"""The scheduled pipeline run: flush, load collected events, run, under the lock."""

from __future__ import annotations

from helpers.collect import ServeFactory
from personae.pipeline import run_pipeline_once
from personae.project import Project


def test_run_pipeline_once_loads_what_was_collected(serve: ServeFactory) -> None:
    s = serve()
    assert s.post("/v1/track", {"userId": "u", "event": "E", "messageId": "m"}).is_success
    s.collector.flush()
    run_pipeline_once(s.root)
    with Project.load(s.root) as project:
        assert project.engine.rows("SELECT message_id FROM raw_collected") == [("m",)]
        assert project.engine.table_exists("records")
