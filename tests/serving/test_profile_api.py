"""The Profile API (issue 19, item 3): every route, every kind of external id, paging,
field selection, merged persons, and the 400/401/404 answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers.collect import basic
from helpers.serving import PAGE_VIEWS, build_shop
from personae.protect.keys import KeyStore, keys_file
from personae.serving.api import profile_app


class Shop:
    def __init__(self, root: Path, client: TestClient, read: str, write: str) -> None:
        self.root, self.client, self.read, self.write = root, client, read, write

    def get(self, path: str, key: str | None = None, **params: Any) -> Any:
        headers = basic(key or self.read)
        return self.client.get(path, headers=headers, params=params)

    def ok(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    root = tmp_path_factory.mktemp("shop")
    build_shop(root)
    store = KeyStore(keys_file(root))
    read, write = store.create(scope="read")[1], store.create("web")[1]
    with TestClient(profile_app(root)) as client:
        yield Shop(root, client, read, write)


JEANNE = 1  # the first CRM customer, linked to the SDK's u-1 / a-1


@pytest.mark.parametrize(
    "external_id",
    [
        "user_id:u-1",
        "anonymous_id:a-1",
        "customer_id:C1",
        "email:jeanne.martin@mail.fr",
        "email:Jeanne.Martin@MAIL.fr",  # normalised as the clean stage does
        "email: jeanne.martin@mail.fr ",
        "phone:+33612345678",
        "phone:06 12 34 56 78",  # read in defaults.phone_region, as in the CRM
        "phone:0612345678",
        "person_id:1",
        "1",
    ],
)
def test_every_kind_of_external_id_finds_the_person(shop: Shop, external_id: str) -> None:
    response = shop.ok(f"/{external_id}/traits", limit=200)
    assert response.headers["x-personae-person-id"] == str(JEANNE)
    traits = response.json()["traits"]
    assert traits["first_name"] == "Jeanne"
    assert traits["email"] == "jeanne.martin@mail.fr"
    assert traits["page_views"] == PAGE_VIEWS and traits["order_count"] == 2


def test_traits_have_segments_shape_and_no_lineage(shop: Shop) -> None:
    body = shop.ok("/user_id:u-1/traits", limit=200).json()
    assert set(body) == {"traits", "cursor"}
    assert body["cursor"] == {
        "url": "/user_id:u-1/traits?limit=200",
        "has_more": False,
        "next": "",
        "limit": 200,
    }
    assert not [k for k in body["traits"] if k.endswith(("__source", "__record_id"))]
    assert "person_id" not in body["traits"]
    assert body["traits"]["city"] == "Paris"
    assert body["traits"]["emails"] == ["jeanne.martin@mail.fr"]


def test_traits_default_to_ten_a_page_and_include_selects(shop: Shop) -> None:
    body = shop.ok("/user_id:u-1/traits").json()
    assert len(body["traits"]) == 10 and body["cursor"]["has_more"]
    chosen = shop.ok("/user_id:u-1/traits", include="city,order_count,nope").json()
    assert chosen["traits"] == {"city": "Paris", "order_count": 2}
    assert chosen["cursor"]["has_more"] is False


def walk(shop: Shop, path: str, limit: int, field: str = "data", **params: Any) -> list[Any]:
    """Every item of a list, following ``next`` page after page."""
    items: list[Any] = []
    token = None
    for _ in range(100):
        query = {"limit": limit, **params, **({"next": token} if token else {})}
        body = shop.ok(path, **query).json()
        page = body[field]
        assert len(page) <= limit
        items += list(page.items()) if isinstance(page, dict) else page
        if not body["cursor"]["has_more"]:
            assert body["cursor"]["next"] == ""
            return items
        token = body["cursor"]["next"]
        assert token
    raise AssertionError("the cursor never ended")


def test_events_are_newest_first_and_the_cursor_walks_them_all(shop: Shop) -> None:
    everything = shop.ok("/user_id:u-1/events", limit=100).json()["data"]
    assert len(everything) == PAGE_VIEWS + 3  # the identify-like sign in, views, 2 orders
    stamps = [e["timestamp"] for e in everything]
    assert stamps == sorted(stamps, reverse=True)
    first = everything[0]
    assert first["event"] == "Order Completed" and first["type"] == "track"
    assert first["properties"] == {"page": "/checkout"}
    assert set(first) == {"event", "type", "timestamp", "properties", "source_id", "message_id"}
    for limit in (1, 7, 10):
        walked = walk(shop, "/user_id:u-1/events", limit)
        assert [e["message_id"] for e in walked] == [e["message_id"] for e in everything]
    default = shop.ok("/user_id:u-1/events").json()
    assert len(default["data"]) == 10 and default["cursor"]["limit"] == 10


def test_events_include_selects_event_names(shop: Shop) -> None:
    orders = shop.ok("/user_id:u-1/events", include="Order Completed,Signed In").json()["data"]
    assert sorted(e["message_id"] for e in orders) == ["m-identify", "m-order-0", "m-order-1"]


def test_traits_and_external_ids_page_without_loss_or_repeat(shop: Shop) -> None:
    every_trait = shop.ok("/user_id:u-1/traits", limit=200).json()["traits"]
    walked = walk(shop, "/user_id:u-1/traits", 3, field="traits")
    assert [k for k, _ in walked] == sorted(every_trait)
    assert dict(walked) == every_trait
    ids = shop.ok("/user_id:u-1/external_ids").json()["data"]
    assert walk(shop, "/user_id:u-1/external_ids", 1) == ids


def test_external_ids_list_every_identifier_of_the_person(shop: Shop) -> None:
    data = shop.ok("/customer_id:C1/external_ids").json()["data"]
    assert {(i["type"], i["id"]) for i in data} == {
        ("customer_id", "C1"),
        ("email", "jeanne.martin@mail.fr"),
        ("phone", "+33612345678"),
        ("user_id", "u-1"),
        ("anonymous_id", "a-1"),
    }
    crm_email = next(i for i in data if i["type"] == "email")
    assert crm_email["collection"] == "users" and crm_email["encoding"] == "none"
    assert crm_email["source_id"] in {"crm", "web"} and crm_email["created_at"]
    emails = shop.ok("/customer_id:C1/external_ids", include="email").json()["data"]
    assert [i["type"] for i in emails] == ["email"]


def test_segments_with_since(shop: Shop) -> None:
    data = shop.ok("/user_id:u-1/segments").json()["data"]
    assert [s["segment"] for s in data] == ["browsers", "buyers"]
    assert all(s["since"] for s in data)
    only = shop.ok("/user_id:u-1/segments", include="buyers").json()["data"]
    assert [s["segment"] for s in only] == ["buyers"]
    assert shop.ok("/customer_id:C3/segments").json()["data"] == []


def test_a_merged_person_id_answers_for_the_survivor(shop: Shop) -> None:
    # run 2: the anonymous visitor a-2 (person 4) signed up with Paul's e-mail (person 2)
    paul = shop.ok("/email:paul.durand@mail.fr/traits").headers["x-personae-person-id"]
    retired = shop.ok(f"/{paul}/links").json()["data"]
    assert [link["external_ids"] for link in retired] == [[{"type": "person_id", "id": "4"}]]
    old = shop.ok("/person_id:4/traits", limit=200)
    assert old.headers["x-personae-person-id"] == paul == "2"
    assert old.headers["x-personae-merged-from"] == "4"
    assert old.json()["traits"]["first_name"] == "Paul"
    assert shop.ok("/anonymous_id:a-2/traits").headers["x-personae-person-id"] == paul
    events = shop.ok("/person_id:4/events").json()["data"]
    assert {e["message_id"] for e in events} == {"m-anon", "m-signup"}
    assert shop.ok("/user_id:u-1/links").json()["data"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/email:nobody@mail.fr/traits",
        "/user_id:u-404/events",
        "/person_id:999/segments",
        "/9/links",
    ],
)
def test_an_unknown_person_is_404_naming_the_id(shop: Shop, path: str) -> None:
    response = shop.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "profile_not_found"
    assert path.split("/")[1] in body["error"]


def test_an_unknown_route_is_404_naming_the_routes(shop: Shop) -> None:
    response = shop.get("/user_id:u-1/orders")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no route 'orders' for a profile; use one of traits, events, "
        "external_ids, segments, links",
        "code": "no_route",
    }
    bare = shop.get("/user_id:u-1")
    assert bare.status_code == 404 and "e.g. /user_id:u-12/traits" in bare.json()["error"]


@pytest.mark.parametrize(
    ("path", "params", "code", "says"),
    [
        ("/shoe_size:42/traits", {}, "bad_external_id", "unknown id type 'shoe_size'"),
        ("/jeanne/traits", {}, "bad_external_id", "write type:value"),
        ("/user_id:u-1/events", {"limit": "0"}, "bad_limit", "from 1 to 100"),
        ("/user_id:u-1/traits", {"limit": "201"}, "bad_limit", "from 1 to 200"),
        ("/user_id:u-1/events", {"limit": "ten"}, "bad_limit", "whole number"),
        ("/user_id:u-1/events", {"next": "%%%"}, "bad_cursor", "start again without next"),
        ("/user_id:u-1/events", {"next": "Im5vIg"}, "bad_cursor", "not a cursor of events"),
    ],
)
def test_bad_parameters_are_400_saying_what_to_send(
    shop: Shop, path: str, params: dict[str, str], code: str, says: str
) -> None:
    response = shop.get(path, **params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    assert says in response.json()["error"]


def test_a_missing_or_wrong_key_is_401(shop: Shop) -> None:
    path = "/user_id:u-1/traits"
    missing = shop.client.get(path)
    assert missing.status_code == 401
    assert missing.json()["code"] == "missing_key"
    assert "personae keys create --scope read" in missing.json()["error"]
    assert missing.headers["www-authenticate"].startswith("Basic")
    write = shop.get(path, key=shop.write)
    assert write.status_code == 401
    assert write.json()["code"] == "wrong_scope"
    assert "is a write key; this needs a read key" in write.json()["error"]
    wrong = shop.get(path, key=shop.read[:-2] + "xx")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_key")
    garbled = shop.client.get(path, headers={"Authorization": "Basic %%%"})
    assert (garbled.status_code, garbled.json()["code"]) == (401, "invalid_key")
    # no key: not even whether the person exists
    assert shop.client.get("/email:nobody@mail.fr/traits").status_code == 401


def test_keys_created_and_revoked_take_effect_within_a_second(shop: Shop) -> None:
    store = KeyStore(keys_file(shop.root))
    key, secret = store.create(scope="read")
    time.sleep(1.1)  # the server re-reads the keys file within a second
    assert shop.get("/1/traits", key=secret).status_code == 200
    store.revoke(key.key_id)
    time.sleep(1.1)
    assert shop.get("/1/traits", key=secret).status_code == 401


def test_before_any_publish_the_api_says_how_to_publish(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text("sources: {}\n", encoding="utf-8")
    read = KeyStore(keys_file(tmp_path)).create(scope="read")[1]
    with TestClient(profile_app(tmp_path)) as client:
        response = client.get("/user_id:u-1/traits", headers=basic(read))
    assert response.status_code == 503
    assert "personae run" in response.json()["error"]


def test_mounted_at_both_paths_as_personae_serve_mounts_it(shop: Shop) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    profiles = profile_app(shop.root)
    server = Starlette(
        routes=[
            Mount("/v1/profiles", profiles),
            Mount("/v1/spaces/{space}/collections/users/profiles", profiles),
        ]
    )
    with TestClient(server) as client:
        for prefix in ("/v1/profiles", "/v1/spaces/my-space/collections/users/profiles"):
            response = client.get(f"{prefix}/user_id:u-1/events?limit=2", headers=basic(shop.read))
            assert response.status_code == 200, response.text
            cursor = response.json()["cursor"]
            assert cursor["url"] == f"{prefix}/user_id:u-1/events?limit=2"
            following = client.get(
                f"{prefix}/user_id:u-1/events",
                params={"limit": 2, "next": cursor["next"]},
                headers=basic(shop.read),
            )
            assert following.json()["data"][0]["message_id"] == "m-view-24"
