"""The API's two bodies: ``{"success": true}`` and ``{"code": …, "message": …}``."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from personae.collect.errors import ApiError

SUCCESS = orjson.dumps({"success": True})


def success(extra: dict[str, Any] | None = None) -> Response:
    body = SUCCESS if not extra else orjson.dumps({"success": True, **extra})
    return Response(body, 200, media_type="application/json")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one error shape of the whole API (pinned by tests/collect/test_error_shape.py)."""
    return {"code": code, "message": message, **extra}


def error(exc: ApiError, **extra: Any) -> Response:
    return Response(
        orjson.dumps(error_body(exc.code, exc.message, **extra)),
        exc.status,
        headers=exc.headers,
        media_type="application/json",
    )


def json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")
