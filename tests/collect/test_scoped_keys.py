"""Scoped keys (issue 17, item 7): write keys write to their own source only; read and
admin keys are separate scopes; keys rotate (with a grace period) and revoke."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers.collect import ServeFactory, basic, write_project
from personae.cli.main import app
from personae.collect.paths import CollectPaths
from personae.errors import PersonaeError
from personae.protect.keys import KeyRefused, KeyStore, authenticate, keys_file

runner = CliRunner()


def invoke(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(root), *args])
    return result.exit_code, result.output


def secret_of(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_keys_file_is_where_the_collector_reads_it(tmp_path: Path) -> None:
    assert keys_file(tmp_path) == CollectPaths.of(tmp_path).keys


def test_each_scope_authenticates_only_for_itself(tmp_path: Path) -> None:
    store = KeyStore(keys_file(tmp_path))
    write = store.create("web")[1]
    read = store.create(scope="read")[1]
    admin = store.create(scope="admin")[1]
    assert authenticate(tmp_path, read, "read").scope == "read"
    assert authenticate(tmp_path, admin, "admin").source == ""
    assert authenticate(tmp_path, write, "write").source == "web"
    with pytest.raises(KeyRefused) as refused:
        authenticate(tmp_path, write, "admin")
    assert refused.value.status == 403 and refused.value.code == "wrong_scope"
    assert "personae keys create --scope admin" in refused.value.message
    with pytest.raises(KeyRefused) as refused:
        authenticate(tmp_path, "ffffffff_nope", "read")
    assert refused.value.status == 401
    with pytest.raises(KeyRefused) as refused:
        store.authenticate(write, "write", source="shop")
    assert refused.value.code == "wrong_source"
    with pytest.raises(PersonaeError, match="belongs to no source"):
        store.create("web", scope="admin")
    with pytest.raises(PersonaeError, match="one source"):
        store.create(scope="write")


def test_keys_written_before_scopes_are_write_keys(tmp_path: Path) -> None:
    store = KeyStore(keys_file(tmp_path))
    secret = store.create("web")[1]
    data = json.loads(keys_file(tmp_path).read_text())
    for entry in data["keys"]:
        del entry["scope"]
    keys_file(tmp_path).write_text(json.dumps(data))
    found = KeyStore(keys_file(tmp_path)).verify(secret)
    assert found is not None and found.scope == "write" and found.source == "web"


def test_read_and_admin_keys_cannot_post_events(serve: ServeFactory) -> None:
    s = serve()
    store = KeyStore(keys_file(s.root))
    read, admin = store.create(scope="read")[1], store.create(scope="admin")[1]
    event = {"userId": "u", "event": "E"}
    for key in (read, admin):
        response = s.client.post("/v1/track", json=event, headers=basic(key))
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["code"] == "wrong_scope" and "needs a write key" in body["message"]
        in_body = s.client.post("/v1/t", content=json.dumps({**event, "writeKey": key}))
        assert in_body.status_code == 403
        assert s.client.get(f"/v1/projects/{key}/settings").status_code == 403
    assert s.post("/v1/track", event).status_code == 200
    assert len(s.rows()) == 1


def test_cli_creates_lists_rotates_and_revokes_scoped_keys(tmp_path: Path) -> None:
    root = write_project(tmp_path, "collect:\n  sources: [web]\n")
    code, out = invoke(root, "keys", "create", "--scope", "admin")
    assert code == 0, out
    admin = secret_of(out)
    code, out = invoke(root, "keys", "create", "web", "--scope", "read")
    assert code == 1 and "belongs to no source" in out
    code, out = invoke(root, "keys", "create")
    assert code == 1 and "personae keys create SOURCE" in out
    code, out = invoke(root, "keys", "create", "--scope", "root")
    assert code == 1 and "write, read, admin" in out
    code, out = invoke(root, "keys", "create", "web")
    web = secret_of(out)
    web_id = web.partition("_")[0]

    # rotation with a grace period: both work until it ends
    code, out = invoke(root, "keys", "rotate", web_id, "--grace", "1h")
    assert code == 0, out
    successor = secret_of(out)
    assert authenticate(root, successor, "write").source == "web"
    old = authenticate(root, web, "write")
    assert old.expires_at is not None and old.replaced_by == successor.partition("_")[0]
    code, out = invoke(root, "keys", "list")
    lines = {line.split("\t")[0]: line for line in out.splitlines()}
    assert "expires" in lines[web_id] and "\tadmin\t-\t" in lines[admin.partition("_")[0]]
    assert web not in out and successor not in out

    # when the grace period is over, the old key is refused and leaves the list
    data = json.loads(keys_file(root).read_text())
    for entry in data["keys"]:
        if entry["key_id"] == web_id:
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
            entry["expires_at"] = past.strftime("%Y-%m-%dT%H:%M:%SZ")
    keys_file(root).write_text(json.dumps(data))
    with pytest.raises(KeyRefused):
        authenticate(root, web, "write")
    assert web_id not in invoke(root, "keys", "list")[1]

    # rotation without grace: the old key stops at once
    code, out = invoke(root, "keys", "rotate", admin.partition("_")[0])
    assert code == 0, out
    with pytest.raises(KeyRefused):
        authenticate(root, admin, "admin")
    assert authenticate(root, secret_of(out), "admin").scope == "admin"
    code, out = invoke(root, "keys", "rotate", "nope")
    assert code == 1 and "personae keys list" in out
    code, out = invoke(root, "keys", "rotate", successor.partition("_")[0], "--grace", "soon")
    assert code == 1 and "not a duration" in out

    code, out = invoke(root, "keys", "revoke", successor.partition("_")[0])
    assert code == 0 and "write, web" in out
    with pytest.raises(KeyRefused):
        authenticate(root, successor, "write")


def test_keys_file_is_private(tmp_path: Path) -> None:
    KeyStore(keys_file(tmp_path)).create(scope="read")
    assert keys_file(tmp_path).stat().st_mode & 0o777 == 0o600
