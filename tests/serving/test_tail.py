"""``personae tail`` and the serving store: each message's person and segments now, and
``--person`` (resolved through the store, direct ids without one, ids learned live)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from helpers.collect import Served, ServeFactory
from helpers.serving import CONFIG, build_shop
from personae.collect.paths import CollectPaths
from personae.collect.tail import Filters, WalFollower
from personae.project import STATE_DIR
from personae.serving.profiles import ExternalId, ProfileStore
from personae.serving.store import ServingError
from personae.serving.tail import REFRESH_SECONDS, PersonFilter, Resolver, line

TESTS = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


@pytest.fixture
def shop(tmp_path: Path, serve: ServeFactory) -> Served:
    build_shop(tmp_path)
    return serve(CONFIG)


def _person(root: Path, kind: str, value: str) -> int:
    store = ProfileStore(root / STATE_DIR, None)
    found = store.resolve(ExternalId(kind, value))
    store.close()
    assert found is not None
    return found.person_id


def _post(s: Served, path: str, **body: Any) -> None:
    assert s.post(path, body).status_code == 200


def _rows(s: Served) -> list[dict[str, Any]]:
    paths = CollectPaths.of(s.root)
    follower = WalFollower(paths.wal, paths.events, replay=True)
    rows = follower.poll()
    follower.close()
    return rows


def test_each_message_shows_the_person_it_resolves_to_now(shop: Served) -> None:
    jeanne = _person(shop.root, "user_id", "u-1")
    paul = _person(shop.root, "email", "paul.durand@mail.fr")
    _post(shop, "/v1/track", userId="u-1", event="Order Completed", properties={"total": 42})
    _post(shop, "/v1/identify", anonymousId="a-new", traits={"email": "Paul.Durand@mail.fr"})
    _post(shop, "/v1/page", anonymousId="a-nobody", name="Home")
    resolver = Resolver(shop.root / STATE_DIR, None)
    assert resolver.available
    order, identify, page = _rows(shop)
    found = resolver.resolve(order)
    assert (found.person_id, found.via) == (jeanne, "user_id:u-1")
    assert found.segments == ["browsers", "buyers"]
    assert resolver.resolve(identify).person_id == paul  # through the traits' e-mail
    assert resolver.resolve(page).person_id is None
    text = line(order, found)
    assert (
        f"web  track 'Order Completed'  user_id=u-1  → person {jeanne} [browsers, buyers]" in text
    )
    assert text.endswith('{"total":42}')
    assert "page 'Home'  anonymous_id=a-nobody  → new" in line(page, resolver.resolve(page))
    resolver.close()


def test_person_filter_matches_resolved_direct_and_learned_ids(shop: Served) -> None:
    _post(shop, "/v1/track", userId="u-1", event="A", messageId="jeanne-by-user-id")
    _post(shop, "/v1/track", userId="u-9", event="A", messageId="someone-else")
    _post(shop, "/v1/identify", userId="u-1", anonymousId="a-fresh", messageId="links-a-fresh")
    _post(shop, "/v1/track", anonymousId="a-fresh", event="A", messageId="jeanne-learned")
    _post(shop, "/v1/track", anonymousId="a-2", event="A", messageId="paul-merged-visitor")
    resolver = Resolver(shop.root / STATE_DIR, None)
    rows = _rows(shop)
    for asked in ("email:Jeanne.Martin@Mail.fr", str(_person(shop.root, "user_id", "u-1"))):
        filters = Filters(extra=PersonFilter(asked, resolver))
        kept = [r["message_id"] for r in rows if filters.matches(r)]
        assert kept == ["jeanne-by-user-id", "links-a-fresh", "jeanne-learned"]
    paul = Filters(extra=PersonFilter("email:paul.durand@mail.fr", resolver))
    assert [r["message_id"] for r in rows if paul.matches(r)] == ["paul-merged-visitor"]
    assert paul.extra is not None and getattr(paul.extra, "note", "") is None
    unknown = PersonFilter("user_id:u-not-yet", resolver)
    assert unknown.person_id is None and unknown.note and "no person has this id" in unknown.note
    with pytest.raises(ServingError, match="no such person"):
        PersonFilter("999999", resolver)
    with pytest.raises(Exception, match=r"--person: .*type:value"):
        PersonFilter("u-1", resolver)
    resolver.close()


def test_without_a_published_store_only_direct_ids_match(serve: ServeFactory) -> None:
    s = serve()
    _post(s, "/v1/track", userId="u-1", event="A", messageId="direct")
    _post(s, "/v1/track", userId="u-2", event="A", messageId="other")
    resolver = Resolver(s.root / STATE_DIR, None)
    assert not resolver.available
    filters = Filters(extra=PersonFilter("user_id:u-1", resolver))
    assert [r["message_id"] for r in _rows(s) if filters.matches(r)] == ["direct"]
    with pytest.raises(ServingError, match="needs the serving store"):
        PersonFilter("12", resolver)
    direct = next(r for r in _rows(s) if r["message_id"] == "direct")
    assert resolver.resolve(direct).person_id is None and "published" in resolver.problem
    build_shop(s.root)  # a run publishes the store while the tail runs
    time.sleep(REFRESH_SECONDS + 0.1)
    assert resolver.resolve(direct).person_id == _person(s.root, "user_id", "u-1")
    resolver.close()


def test_the_command_with_a_person_and_json(shop: Served) -> None:
    jeanne = _person(shop.root, "user_id", "u-1")
    _post(shop, "/v1/track", userId="u-1", event="Order Completed", messageId="m-1")
    _post(shop, "/v1/track", userId="u-9", event="Order Completed", messageId="m-2")
    process = subprocess.run(
        [sys.executable, "-m", "personae", "--project", str(shop.root), "tail", "--json",
         "--since", "10m", "--limit", "1", "--person", "email:jeanne.martin@mail.fr"],
        env=ENV, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    (message,) = [orjson.loads(x) for x in process.stdout.splitlines()]
    assert message["event"] == "Order Completed" and message["userId"] == "u-1"
    assert message["personae"]["person_id"] == jeanne
    assert message["personae"]["via"] == "user_id:u-1"
    assert message["personae"]["segments"] == ["browsers", "buyers"]
    assert message["personae"]["message_id"] == "m-1"
