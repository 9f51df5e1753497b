"""Meta's Marketing API users edge of a Custom Audience, as documented:
``POST``/``DELETE /{version}/{audience_id}/users`` with a form-encoded ``payload``
(``{"schema": [...], "data": [[...]]}``) and ``access_token``; at most 10,000 users per
request; values SHA-256 hex; errors ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}`` with HTTP 400 (rate limits too: code 80003)."""

from __future__ import annotations

import json
import re
from typing import Any

from activate.fakes.server import FakePlatform, Refused, Reply, Request

KEYS = {
    "EMAIL",
    "PHONE",
    "FN",
    "LN",
    "ZIP",
    "CT",
    "ST",
    "COUNTRY",
    "DOBY",
    "DOBM",
    "DOBD",
    "GEN",
    "FI",
    "MADID",
    "EXTERN_ID",
}
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    status: int = 400,
) -> Refused:
    body: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf"}
    if subcode is not None:
        body["error_subcode"] = subcode
    return Refused(Reply(status, {"error": body}))


class FakeMeta(FakePlatform):
    def __init__(
        self,
        access_token: str,
        audiences: tuple[str, ...] = ("2385000000001",),
        version: str = "v21.0",
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.version = version
        #: audience id -> members, each a mapping of schema key -> hash
        self.audiences: dict[str, list[dict[str, str]]] = {a: [] for a in audiences}

    def rate_limited(self, retry_after: float | None) -> Reply:
        return Reply(
            400,
            {
                "error": {
                    "message": "There have been too many calls from this ad-account. Please wait a "
                    "bit and try again.",
                    "type": "OAuthException",
                    "code": 80003,
                    "error_subcode": 2446079,
                    "fbtrace_id": "AbCdEf",
                }
            },
        )

    def handle(self, request: Request) -> Reply:
        form = request.form() if request.body else {}
        token = (form.get("access_token") or request.query.get("access_token") or [""])[0]
        if token != self.access_token:
            raise graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        match = re.fullmatch(rf"/{re.escape(self.version)}/(\d+)/users", request.path)
        if not match or request.method not in ("POST", "DELETE"):
            raise graph_error(2500, f"Unknown path components: {request.path}")
        audience = match.group(1)
        if audience not in self.audiences:
            raise graph_error(
                100,
                f"Unsupported post request. Object with ID '{audience}' does not exist",
                subcode=33,
                kind="GraphMethodException",
            )
        try:
            payload = json.loads(form["payload"][0])
        except (KeyError, IndexError, ValueError):
            raise graph_error(100, "(#100) The parameter payload is required") from None
        schema, data = payload.get("schema"), payload.get("data")
        if isinstance(schema, str):
            schema = [schema]
        if not isinstance(schema, list) or not schema or any(k not in KEYS for k in schema):
            raise graph_error(100, "Invalid parameter", subcode=1870034)
        if not isinstance(data, list) or not data:
            raise graph_error(100, "(#100) payload.data must be a non-empty array")
        if len(data) > 10_000:
            raise graph_error(
                100, "(#100) Too many users in one request: at most 10000", subcode=1870049
            )
        invalid: dict[str, str] = {}
        rows: list[dict[str, str]] = []
        for row in data:
            if not isinstance(row, list) or len(row) != len(schema):
                raise graph_error(
                    100, "(#100) Each row of payload.data must match the schema", subcode=1870041
                )
            bad = [v for v in row if v and not (isinstance(v, str) and SHA256.match(v))]
            if bad:
                invalid[str(bad[0])] = "Invalid hashed value: expected SHA-256 hex"
                continue
            member = {k: v for k, v in zip(schema, row, strict=True) if v}
            if member:
                rows.append(member)
        members = self.audiences[audience]
        if request.method == "POST":
            held = {frozenset(m.items()) for m in members}
            for member in rows:
                if frozenset(member.items()) not in held:
                    held.add(frozenset(member.items()))
                    members.append(member)
        else:
            gone = {pair for member in rows for pair in member.items()}
            members[:] = [m for m in members if not gone & set(m.items())]
        return Reply(
            200,
            {
                "audience_id": audience,
                "session_id": "0",
                "num_received": len(data),
                "num_invalid_entries": len(data) - len(rows),
                "invalid_entry_samples": invalid,
            },
        )
