"""Signed tracking URLs: the click redirect follows only URLs the project signed.

The project secret lives in ``.personae/collect/secret.key`` (created on first use,
mode 0600). A signature is ``HMAC-SHA256(secret, canonical query)`` over every query
parameter except ``sig``, sorted, so nobody can make the server redirect elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode


def load_secret(path: Path) -> bytes:
    """The project secret, created when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(secrets.token_hex(32), encoding="utf-8")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    return bytes.fromhex(path.read_text(encoding="utf-8").strip())


def _canonical(params: Mapping[str, str]) -> bytes:
    return urlencode(sorted((k, v) for k, v in params.items() if k != "sig")).encode()


def signature(secret: bytes, params: Mapping[str, str]) -> str:
    return hmac.new(secret, _canonical(params), hashlib.sha256).hexdigest()


def same_text(given: str, expected: str) -> bool:
    """Constant-time comparison of a received text with the expected one. Compared as
    bytes: ``hmac.compare_digest`` raises on a non-ASCII ``str``, and a request must never
    turn that into a 500."""
    return hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def verify(secret: bytes, params: Mapping[str, str]) -> bool:
    given = params.get("sig", "")
    return bool(given) and same_text(given, signature(secret, params))


def signed_query(secret: bytes, params: Mapping[str, str]) -> str:
    """The query string of ``params`` with its ``sig``."""
    clean = {k: v for k, v in params.items() if k != "sig"}
    return urlencode({**clean, "sig": signature(secret, clean)})


def tracking_url(
    secret: bytes,
    base: str,
    kind: str,
    source: str,
    params: Mapping[str, str],
    url: str | None = None,
) -> str:
    """A signed pixel (``kind='open'``) or click (``kind='click'``) URL on ``base``."""
    query: dict[str, str] = {"source": source, **params}
    if kind == "click":
        if not url:
            raise ValueError("a click URL needs the destination url")
        query["url"] = url
        path = "/v1/r"
    else:
        path = "/v1/pixel.gif"
    return f"{base.rstrip('/')}{path}?{signed_query(secret, query)}"
