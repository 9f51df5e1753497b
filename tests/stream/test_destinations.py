"""An ``on_change`` destination's segment audience follows what the streaming worker
changed since the last run: a buyer the stream found is sent at the next sync, and the
run that follows changes nothing."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from helpers.collect import ServeFactory
from helpers.serving import CONFIG, build_shop
from personae.cli.main import app
from personae.pipeline import run
from personae.project import Project
from personae.stream.worker import StreamWorker

DESTINATION = """
consent:
  purposes:
    crm_sync: {channels: [web], basis: legitimate_interest}
    email_marketing: {channels: [email]}
  categories: {}
destinations:
  buyers_file:
    type: file
    segment: buyers
    path: out/buyers.csv
    fields: [email]
    purpose: crm_sync
    schedule: on_change
"""


def _sync(root: Path) -> str:
    result = CliRunner().invoke(app, ["--project", str(root), "destinations", "run", "--due"])
    assert result.exit_code == 0, result.output
    return (root / "out" / "buyers.csv").read_text(encoding="utf-8")


def test_a_streamed_buyer_reaches_an_on_change_destination(
    tmp_path: Path, serve: ServeFactory
) -> None:
    build_shop(tmp_path, extra=DESTINATION)
    served = serve(CONFIG + DESTINATION)
    assert "zoe.petit@mail.fr" not in _sync(tmp_path)
    for body in (
        {"type": "identify", "anonymousId": "a-zoe", "traits": {"email": "zoe.petit@mail.fr"}},
        {"type": "track", "anonymousId": "a-zoe", "event": "Order Completed"},
    ):
        stamped = {**body, "timestamp": "2026-03-31T09:00:00Z"}
        assert served.post("/v1/batch", {"batch": [stamped]}).status_code == 200
    with Project.load(tmp_path) as project:
        worker = StreamWorker(project)  # on the clock: its triggers are after the publish
        try:
            while worker.step().messages:
                pass
        finally:
            worker.close()
    written = _sync(tmp_path)
    assert "zoe.petit@mail.fr" in written and "jeanne.martin@mail.fr" in written

    served.collector.flush()
    with Project.load(tmp_path) as project:
        run(project)  # the run now holds the same entry: the next sync sends nothing new
    assert _sync(tmp_path) == written
    with Project.load(tmp_path) as project:
        changes = project.engine.rows(
            "SELECT added, removed FROM destination_runs ORDER BY started_at DESC LIMIT 1"
        )
    assert changes == [(0, 0)]
