"""Reading a request body: time-limited, size-limited, gzip-aware, JSON whatever the
content type (analytics.js sends ``text/plain``)."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request

from personae.collect.errors import ApiError


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The raw body, at most ``limit`` bytes once decompressed, within ``timeout`` s."""
    return await read_chunks(
        request.stream(),
        request.headers.get("content-length"),
        is_gzip(request.headers.get("content-encoding", "")),
        limit,
        timeout,
    )


def is_gzip(content_encoding: str) -> bool:
    return content_encoding.lower() in ("gzip", "x-gzip")


async def read_chunks(
    chunks: AsyncIterator[bytes], declared: str | None, gzip: bool, limit: int, timeout: float
) -> bytes:
    """:func:`read_body` of a body given as its chunks and headers."""
    if declared and declared.isdigit() and int(declared) > limit and not gzip:
        raise _too_large(limit)
    try:
        async with asyncio.timeout(timeout):
            raw = await _read(chunks, limit)
    except TimeoutError:
        raise ApiError(
            408, "request_timeout", f"the body did not arrive within {timeout:g}s"
        ) from None
    return gunzip(raw, limit) if gzip else raw


async def _read(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def gunzip(data: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ApiError(400, "invalid_gzip", f"the gzip body cannot be read: {exc}") from None
    if len(out) > limit:
        raise _too_large(limit)
    if not decompressor.eof:
        raise ApiError(400, "invalid_gzip", "the gzip body is truncated")
    return out


def parse_json(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise ApiError(400, "invalid_json", "the body is empty: send a JSON object")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return data


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"a request body may hold at most {limit} bytes")
