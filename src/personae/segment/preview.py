"""A segment before it is saved: how many persons it holds now and a few of them (the
UI's segment builder), and a segment's size over time.

The definition is compiled by the same compiler as ``personae segments``, against the
project's configuration with the definition added, so a preview and a run never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from personae.catalog import EVENTS, SEGMENT_HISTORY
from personae.config.models import ProjectConfig
from personae.config.segments import SegmentConfig
from personae.engine import Engine
from personae.errors import ConfigError
from personae.profile.consent import consent_columns
from personae.profile.golden import profile_columns
from personae.profile.traits import trait_columns
from personae.segment.compile import segment_members_sql


@dataclass(frozen=True)
class SegmentPreview:
    name: str
    members: int
    #: the first members by person id
    sample: list[int]
    sql: str


def segment_definition(definition: dict[str, Any], name: str) -> SegmentConfig:
    """Validate a definition as ``segments.<name>`` of personae.yml would be."""
    try:
        return SegmentConfig.model_validate(definition)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or name}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"segment {name!r}: {problems}", path=f"segments.{name}") from None


def with_segment(config: ProjectConfig, name: str, definition: dict[str, Any]) -> ProjectConfig:
    """The configuration with segment ``name`` added (or replaced)."""
    segment = segment_definition(definition, name)
    return config.model_copy(update={"segments": {**config.segments, name: segment}})


def preview_segment(
    engine: Engine,
    config: ProjectConfig,
    name: str,
    definition: dict[str, Any],
    *,
    sample: int = 10,
    now: dt.datetime | None = None,
) -> SegmentPreview:
    """Members of a segment not saved yet, as a run would find them now."""
    sql = segment_members_sql(with_segment(config, name, definition), name, now=now)
    members = int(engine.scalar(f"SELECT count(*) FROM ({sql}) AS members"))
    ids = [
        int(r[0])
        for r in engine.rows(
            f"SELECT person_id FROM ({sql}) AS members ORDER BY person_id LIMIT {int(sample)}"
        )
    ]
    return SegmentPreview(name, members, ids, sql)


def condition_columns(config: ProjectConfig) -> dict[str, list[str]]:
    """What a condition can compare, by kind: profile fields, traits, consent columns."""
    return {
        "profile": [c for c in profile_columns(config) if "__" not in c and c != "person_id"],
        "traits": list(trait_columns(config)),
        "consent": consent_columns(config),
    }


def event_names(engine: Engine) -> list[tuple[str, int]]:
    """Every event name seen, most frequent first."""
    if not engine.table_exists(EVENTS):
        return []
    return [
        (str(name), int(n))
        for name, n in engine.rows(
            f"SELECT event, count(*) AS n FROM {EVENTS} WHERE event IS NOT NULL "
            "GROUP BY event ORDER BY n DESC, event"
        )
    ]


def size_history(engine: Engine, name: str) -> list[tuple[dt.date, int]]:
    """The segment's size at the end of each day it changed (entries minus exits)."""
    if not engine.table_exists(SEGMENT_HISTORY):
        return []
    rows = engine.rows(
        f"""
        SELECT day, sum(delta) OVER (ORDER BY day) AS size
        FROM (
            SELECT CAST("at" AS DATE) AS day,
                   sum(CASE WHEN action = 'enter' THEN 1 ELSE -1 END) AS delta
            FROM {SEGMENT_HISTORY} WHERE segment = ? GROUP BY 1
        ) AS changes
        ORDER BY day
        """,
        [name],
    )
    return [(day, int(size)) for day, size in rows]
