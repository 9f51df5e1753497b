"""Campaign tracking: the pixel and click redirect of a message carry its campaign and
message ids onto the collected events, and page views keep their UTM parameters."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from helpers.collect import ServeFactory
from personae.activate.links import MessageLinks
from personae.collect.utm import utm_of
from personae.config.loader import load_config
from personae.pipeline import run
from personae.project import Project

CONFIG = """
as_of: 2026-11-01
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {customer_id: id, email: email, first_name: first}
collect:
  flush_seconds: 60
  public_url: http://testserver
"""


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def events(root: Any) -> list[dict[str, Any]]:
    with Project.load(root) as project:
        run(project)
        rows = project.engine.query(
            "SELECT e.source, e.event, e.properties, m.person_id FROM events e "
            "JOIN identity_map m USING (source, record_id) ORDER BY e.event"
        ).to_pylist()
    for row in rows:
        row["properties"] = json.loads(row["properties"])
    return rows


def test_an_open_and_a_click_land_in_events_with_campaign_and_message_id(
    serve: ServeFactory,
) -> None:
    served = serve(CONFIG)
    (served.root / "crm.csv").write_text("id,email,first\nc1,jeanne@client.fr,Jeanne\n")
    links = MessageLinks.of_project(
        load_config(served.root),
        served.root,
        campaign="spring",
        message_id="msg-42",
        email="jeanne@client.fr",
    )
    opened = served.client.get(_path(links.pixel))
    assert opened.status_code == 200 and opened.headers["content-type"] == "image/gif"
    clicked = served.client.get(
        _path(links.click("https://shop.example/sale?utm_source=newsletter")),
        follow_redirects=False,
    )
    assert clicked.status_code == 302
    assert clicked.headers["location"] == "https://shop.example/sale?utm_source=newsletter"
    served.collector.flush()
    rows = events(served.root)
    assert [(r["source"], r["event"]) for r in rows] == [
        ("messages", "Email Link Clicked"),
        ("messages", "Email Opened"),
    ]
    for row in rows:
        assert row["properties"]["campaign"] == "spring"
        assert row["properties"]["message_id"] == "msg-42"
    assert rows[0]["properties"]["url"] == "https://shop.example/sale?utm_source=newsletter"
    with Project.load(served.root) as project:
        (crm_person,) = project.engine.rows(
            "SELECT person_id FROM identity_map WHERE source = 'crm'"
        )[0]
    assert {r["person_id"] for r in rows} == {crm_person}  # tied to the person by e-mail


def test_page_views_capture_utm_parameters(serve: ServeFactory) -> None:
    served = serve(CONFIG)
    (served.root / "crm.csv").write_text("id,email,first\nc1,jeanne@client.fr,Jeanne\n")
    page = {
        "anonymousId": "a1",
        "timestamp": "2026-10-30T10:00:00Z",
        "properties": {
            "url": "https://shop.example/sale?utm_source=newsletter&utm_medium=email"
            "&utm_campaign=spring&utm_content=hero%20banner&x=1",
            "path": "/sale",
        },
    }
    tracked = {
        "anonymousId": "a2",
        "timestamp": "2026-10-30T10:00:00Z",
        "properties": {"url": "https://shop.example/", "utm_source": "given"},
        "context": {"campaign": {"name": "winter", "source": "meta", "medium": "cpc"}},
    }
    for message in (page, tracked):
        assert served.post("/v1/page", message).status_code == 200
    event = {"anonymousId": "a3", "event": "Added", "properties": {"url": "/?utm_source=x"}}
    assert served.post("/v1/track", event).status_code == 200  # only page views
    served.collector.flush()
    with Project.load(served.root) as project:
        run(project)
        rows = {
            source_id: json.loads(props)
            for source_id, props in project.engine.rows(
                "SELECT r.anonymous_id, e.properties FROM events e "
                "JOIN records r USING (source, record_id)"
            )
        }
    first = rows["a1"]
    assert {k: v for k, v in first.items() if k.startswith("utm_")} == {
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring",
        "utm_content": "hero banner",
    }
    assert first["path"] == "/sale"
    second = rows["a2"]  # the property given wins, context.campaign fills the rest
    assert (second["utm_source"], second["utm_medium"], second["utm_campaign"]) == (
        "given",
        "cpc",
        "winter",
    )
    assert not any(k.startswith("utm_") for k in rows["a3"])


def test_utm_from_context_page_search() -> None:
    message = {"context": {"page": {"search": "?utm_term=shoes&utm_source=google"}}}
    assert utm_of(message) == {"utm_source": "google", "utm_term": "shoes"}
    assert utm_of({"properties": {"url": "not a url"}}) == {}


def test_sign_url_carries_campaign_and_message_id(serve: ServeFactory) -> None:
    from typer.testing import CliRunner

    from personae.cli.main import app

    served = serve(CONFIG)
    result = CliRunner().invoke(
        app,
        [
            "--project",
            str(served.root),
            "collect",
            "sign-url",
            "--source",
            "messages",
            "--anonymous-id",
            "a1",
            "--campaign",
            "spring",
            "--message-id",
            "msg-7",
        ],
    )
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://testserver/v1/pixel.gif?")  # collect.public_url
    assert served.client.get(_path(url)).status_code == 200
    (row,) = served.rows()
    properties = json.loads(row["payload"])["properties"]
    assert properties == {"campaign": "spring", "message_id": "msg-7"}
