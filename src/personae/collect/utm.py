"""UTM parameters of collected page views, captured as page properties.

A page view's ``properties`` get ``utm_source``, ``utm_medium``, ``utm_campaign``,
``utm_term`` and ``utm_content`` (those known), so campaign reports find visits per
campaign in ``events`` like opens and clicks. Each is taken from the first of:

1. the property itself, when the sender set it;
2. ``context.campaign`` (Segment's spec, filled by analytics.js from the page's URL:
   ``source``, ``medium``, ``name`` for the campaign, ``term``, ``content``);
3. the query string of ``properties.url``, ``properties.search``, ``context.page.url`` or
   ``context.page.search``.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qs, urlsplit

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
#: Segment's ``context.campaign`` key of each UTM parameter
_CAMPAIGN_KEYS = {
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "name",
    "utm_term": "term",
    "utm_content": "content",
}


def _query(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, str) or "utm_" not in value:
        return ()
    return _parsed_query(value)


@functools.lru_cache(maxsize=4096)
def _parsed_query(value: str) -> tuple[tuple[str, str], ...]:
    """(cached: a visit's page URL repeats on every event of the visit)"""
    query = urlsplit(value).query if "://" in value else value.lstrip("?")
    return tuple(
        (name, values[0].strip())
        for name, values in parse_qs(query).items()
        if name in UTM and values and values[0].strip()
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def utm_of(message: dict[str, Any]) -> dict[str, str]:
    """The UTM parameters a page message carries, by the precedence above."""
    properties = _object(message.get("properties"))
    context = _object(message.get("context"))
    campaign = _object(context.get("campaign"))
    page = _object(context.get("page"))
    found: dict[str, str] = {}
    for source in (
        page.get("search"),
        page.get("url"),
        properties.get("search"),
        properties.get("url"),
    ):
        found.update(_query(source))  # later sources win: properties over context.page
    for name, key in _CAMPAIGN_KEYS.items():
        value = campaign.get(key)
        if isinstance(value, str) and value.strip():
            found[name] = value.strip()
    for name in UTM:
        value = properties.get(name)
        if isinstance(value, str) and value.strip():
            found[name] = value.strip()
    return {name: found[name] for name in UTM if name in found}


def with_utm(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` with its UTM parameters in ``properties`` (unchanged when it has none)."""
    utm = utm_of(message)
    properties = _object(message.get("properties"))
    missing = {k: v for k, v in utm.items() if properties.get(k) != v}
    if not missing:
        return message
    return {**message, "properties": {**properties, **missing}}
