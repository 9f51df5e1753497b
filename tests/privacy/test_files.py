"""Collected Parquet files rewritten without a person's messages: the vectorised first
pass finds every message the exact test removes, in any spelling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from personae.collect import stored
from personae.collect.paths import CollectPaths
from personae.privacy.files import erase_from_parquet, message_filter
from personae.protect.suppression import Suppression, entries, message_identifiers

KEY = b"k" * 32
PERSON = {("email", "ann@x.org"), ("phone", "+33612345678"), ("user_id", "u1"),
          ("anonymous_id", "anon-1")}  # fmt: skip


def _message(message_id: str, **fields: Any) -> dict[str, Any]:
    traits = fields.pop("traits", None)
    payload = {"messageId": message_id, "context": {"traits": traits}} if traits else {}
    return {"message_id": message_id, "source": "web", "type": "track",
            "payload": orjson.dumps(payload).decode(), **fields}  # fmt: skip


MESSAGES = [
    _message("m1", user_id=" u1 "),
    _message("m2", anonymous_id="anon-1"),
    _message("m3", previous_id="anon-1", user_id="u9"),
    _message("m4", traits={"email": "<ANN@X.org>"}),
    _message("m5", traits={"phone": "+33 6 12 34 56 78"}),
    _message("r-crm-1"),  # one of the person's record keys
    _message("k1", user_id="u10", anonymous_id="anon-10"),  # contains "u1", "anon-1"
    _message("k2", traits={"email": "joann@x.org", "phone": "+33 6 12 34 56 79"}),
    _message("k3", user_id="u2", traits={"email": "bob@x.org"}),
]


def test_every_spelling_of_the_person_goes_and_nothing_else(tmp_path: Path) -> None:
    paths = CollectPaths.of(tmp_path)
    file = paths.events / "date=2026-12-05" / "part-c1-1.parquet"
    file.parent.mkdir(parents=True)
    pq.write_table(stored.to_arrow(MESSAGES), file)
    person = Suppression(KEY, frozenset(entries(KEY, PERSON)))
    message_ids = {"r-crm-1"}

    def doomed(row: dict[str, Any]) -> bool:
        return row["message_id"] in message_ids or person.any_match(message_identifiers(row))

    exact = [
        m["message_id"] for m in MESSAGES if doomed({**m, "previous_id": m.get("previous_id")})
    ]
    assert exact == ["m1", "m2", "m3", "m4", "m5", "r-crm-1"]
    narrow = message_filter(message_ids, PERSON)
    assert erase_from_parquet(paths, doomed, True, narrow) == {str(file): 6}
    assert erase_from_parquet(paths, doomed, False, narrow) == {str(file): 6}
    left = pq.read_table(file)
    assert left.column("message_id").to_pylist() == ["k1", "k2", "k3"]
    assert left.schema == stored.SCHEMA
