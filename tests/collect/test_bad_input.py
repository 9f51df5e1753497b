"""Slow bodies and a property-based fuzz: every bad input is a clear 4xx, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.collect import ServeFactory, basic, new_key, write_project
from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.config import load_config


def test_slowloris_body_times_out_with_408(tmp_path: Path) -> None:
    root = write_project(tmp_path, "collect:\n  body_timeout_seconds: 0.3\n")
    key = new_key(root)
    collector = Collector(root, load_config(root).collect)

    async def slow() -> AsyncIterator[bytes]:
        yield b'{"userId": "u",'
        await asyncio.sleep(2)
        yield b'"event": "E"}'

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(collector, manage=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post("/v1/track", content=slow(), headers=basic(key))

    collector.start()
    try:
        response = asyncio.run(go())
    finally:
        collector.close()
    assert response.status_code == 408
    assert response.json()["code"] == "request_timeout"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "type",
        "userId",
        "anonymousId",
        "event",
        "properties",
        "traits",
        "context",
        "timestamp",
        "sentAt",
        "messageId",
        "previousId",
        "groupId",
        "batch",
        "name",
    ]
)
MESSAGE = st.dictionaries(FIELDS, JSON, max_size=8)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/v1/track", "/v1/identify", "/v1/batch", "/v1/p", "/v1/b"]),
    body=MESSAGE | JSON | st.builds(lambda ms: {"batch": ms}, st.lists(MESSAGE, max_size=5)),
    raw=st.binary(max_size=64),
    use_raw=st.booleans(),
)
def test_fuzz_never_a_server_error(
    serve: ServeFactory, path: str, body: object, raw: bytes, use_raw: bool
) -> None:
    s = fuzz_server(serve)
    content = raw if use_raw else json.dumps(body).encode()
    response = s.client.post(path, content=content, headers=basic(s.key))
    assert response.status_code in (200, 400, 413), response.text
    data = response.json()
    if response.status_code == 200:
        assert data["success"] is True
    else:
        assert isinstance(data["code"], str) and isinstance(data["message"], str)


_SERVED: dict[int, object] = {}


def fuzz_server(serve: ServeFactory):  # type: ignore[no-untyped-def]
    """One server for every example of the fuzz run (the fixture is per test)."""
    key = id(serve)
    if key not in _SERVED:
        _SERVED.clear()
        _SERVED[key] = serve()
    return _SERVED[key]
