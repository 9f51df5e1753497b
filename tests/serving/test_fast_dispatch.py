"""A profile GET answered straight from the ASGI scope (the Profile API's own direct
path, and the collector's FastTrack into its mounts) gives the same status, headers and
body as the way through Starlette's routers and middleware."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers.collect import basic
from helpers.serving import build_shop
from personae.collect.app import FastTrack, create_app, load_mounts
from personae.collect.collector import Collector
from personae.config.loader import load_config
from personae.protect.keys import KeyStore, keys_file
from personae.serving.api import MOUNTS, ProfileApp, profile_app
from personae.serving.store import ServingPaths, warm

SEGMENT = "/v1/spaces/my-space/collections/users/profiles"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    root = tmp_path_factory.mktemp("fastshop")
    build_shop(root)
    store = KeyStore(keys_file(root))
    yield root, store.create(scope="read")[1], store.create("web")[1]


def asks(read: str, write: str) -> list[tuple[str, dict[str, str]]]:
    """Requests (path inside the mount, headers) covering every route and answer."""
    auth = basic(read)
    paths = [
        "/user_id:u-1/traits",
        "/user_id:u-1/traits?limit=3&include=city,first_name,email",
        "/user_id:u-1/events?limit=2",
        "/user_id:u-1/events?limit=2&next=WyIyMDI2LTAzLTE1IDEwOjI0OjAwIiwid2ViIiwibS12aWV3LTI0Il0",
        "/email:Jeanne.Martin@MAIL.fr/external_ids?limit=1",
        "/phone:06 12 34 56 78/segments",
        "/1/links",
        "/person_id:1/traits?limit=1&limit=2",
        "/email:nobody@mail.fr/traits",
        "/user_id:u-1/orders",
        "/shoe_size:42/traits",
        "/user_id:u-1/events?limit=ten",
        "/user_id:u-1/events?next=%25%25%25",
        "/user_id:u-1",
    ]
    found = [(p, auth) for p in paths]
    found += [
        ("/user_id:u-1/traits", {}),
        ("/user_id:u-1/traits", basic(write)),
        ("/user_id:u-1/traits", {"Authorization": "Basic %%%"}),
    ]
    return found


def answers(client: TestClient, prefix: str, read: str, write: str) -> list[Any]:
    found = []
    for path, headers in asks(read, write):
        response = client.get(prefix + path, headers=headers)
        found.append((path, response.status_code, response.headers.multi_items(), response.text))
    return found


def test_the_direct_path_answers_as_the_starlette_route(shop: tuple[Path, str, str]) -> None:
    root, read, write = shop
    app = profile_app(root)
    assert isinstance(app, ProfileApp)
    with TestClient(app) as direct, TestClient(app.starlette) as routed:
        got, expected = answers(direct, "", read, write), answers(routed, "", read, write)
    assert got == expected
    statuses = {status for _, status, _, _ in got}
    assert statuses == {200, 400, 401, 404}
    merged = next(a for a in got if a[0] == "/1/links")
    assert ("x-personae-person-id", "1") in merged[2]


def _fast_track(app: Any) -> FastTrack:
    layer = app.middleware_stack
    while not isinstance(layer, FastTrack):
        layer = layer.app
    return layer


@pytest.mark.parametrize("prefix", ["/v1/profiles", SEGMENT])
def test_the_collectors_fast_track_answers_as_its_router(
    shop: tuple[Path, str, str], prefix: str
) -> None:
    root, read, write = shop
    collector = Collector(root, load_config(root).collect)
    fast = create_app(collector, manage=False, mounts=load_mounts(MOUNTS, root))
    routed = create_app(collector, manage=False, mounts=load_mounts(MOUNTS, root))
    routed.middleware_stack = routed.build_middleware_stack()
    _fast_track(routed).mounts = ()  # every request through CORS and the router
    with TestClient(fast) as a, TestClient(routed) as b:
        got, expected = answers(a, prefix, read, write), answers(b, prefix, read, write)
        assert got == expected
        assert all(("vary", "Origin") in headers for _, _, headers, _ in got)
        cursor = a.get(f"{prefix}/user_id:u-1/events?limit=2", headers=basic(read)).json()
        assert cursor["cursor"]["url"] == f"{prefix}/user_id:u-1/events?limit=2"
        # a browser's GET (Origin) still goes through CORS; other routes still answer
        browser = a.get(f"{prefix}/user_id:u-1/traits", headers={**basic(read), "Origin": "x"})
        assert browser.status_code == 200
        assert a.get("/health").status_code == 200
        assert a.post(f"{prefix}/user_id:u-1/traits", headers=basic(read)).status_code == 405


def test_warming_reads_ahead_and_a_vanished_generation_is_no_error(
    shop: tuple[Path, str, str], tmp_path: Path
) -> None:
    live = ServingPaths.of(shop[0] / ".personae").live()
    assert live is not None
    thread = warm(live)
    thread.join(10)
    assert not thread.is_alive()
    gone = warm(tmp_path / "removed.sqlite")
    gone.join(10)
    assert not gone.is_alive()
