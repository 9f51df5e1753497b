"""``identity:``: how records are stitched into persons (limits, blocked values, matching,
overrides)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from personae.config.base import Strict
from personae.config.matching import MatchingConfig
from personae.config.overrides import IdentityOverrides


class IdentityTypeRule(Strict):
    """Limits on one identifier type, as in Segment Unify."""

    #: lower number = higher priority: kept when a merge would exceed a limit
    priority: int = 10
    #: at most this many distinct values per person (None = unlimited)
    limit: int | None = None
    #: apply the limit per source instead of across sources
    per_source: bool = False
    #: when several people-looking records share this value, link only the matching ones
    household_safe: bool = False
    #: what probabilistic matching does with two persons whose merge would exceed
    #: ``limit`` (two customer accounts of one source): ``keep_apart``, or
    #: ``merge_when_certain``: merge when the match probability reaches
    #: ``identity.matching.certain_probability`` and no birth date or first name
    #: conflicts (double sign-ups; ``personae duplicates`` lists them)
    on_conflict: Literal["keep_apart", "merge_when_certain"] = "keep_apart"


def _default_identity_types() -> dict[str, IdentityTypeRule]:
    return {
        "customer_id": IdentityTypeRule(
            priority=1, limit=1, per_source=True, on_conflict="merge_when_certain"
        ),
        "user_id": IdentityTypeRule(priority=2, limit=1, on_conflict="merge_when_certain"),
        "loyalty_id": IdentityTypeRule(priority=3, limit=2),
        "email": IdentityTypeRule(priority=4, limit=5, household_safe=True),
        "phone": IdentityTypeRule(priority=5, limit=5, household_safe=True),
        "device_id": IdentityTypeRule(priority=6, limit=20),
        "anonymous_id": IdentityTypeRule(priority=7, limit=200),
    }


DEFAULT_BLOCKED_LITERALS: tuple[str, ...] = (
    "null",
    "none",
    "nan",
    "n/a",
    "na",
    "anonymous",
    "unknown",
    "undefined",
    "test",
    "-",
    "0",
)

DEFAULT_BLOCKED_PATTERNS: dict[str, tuple[str, ...]] = {
    "email": (
        r"^test@test\.",
        r"^(no|none|noemail|no-email|no\.email|nomail|noreply|no-reply|donotreply)@",
        r"@(example|test)\.(com|org|net|fr)$",
        r"^(a|x|xx|xxx|abc|aaa|asdf|qwerty|email|mail)@",
    ),
    "phone": (
        r"^\+?\d*?(0{6,}|1{6,}|2{6,}|3{6,}|4{6,}|5{6,}|6{6,}|7{6,}|8{6,}|9{6,})\d{0,2}$",
        r"123456789|987654321|0123456789",
    ),
}


class BlockedValues(Strict):
    """Values that never link records. Matched after cleaning, case-insensitively."""

    literals: list[str] = Field(default_factory=lambda: list(DEFAULT_BLOCKED_LITERALS))
    #: identity type -> regexes (Python/RE2 syntax, matched with search semantics)
    patterns: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_BLOCKED_PATTERNS.items()}
    )

    @field_validator("patterns")
    @classmethod
    def _compile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind, regexes in value.items():
            for regex in regexes:
                try:
                    re.compile(regex)
                except re.error as exc:
                    raise ValueError(f"{kind}: invalid regex {regex!r}: {exc}") from exc
        return value


class IdentityConfig(Strict):
    types: dict[str, IdentityTypeRule] = Field(default_factory=_default_identity_types)
    blocked: BlockedValues = Field(default_factory=BlockedValues)
    #: a value held by records of more than this many different people-looking
    #: records (distinct first names) stops linking and is reported as generic
    generic_threshold: int = 5
    #: manual must-link / cannot-link pairs of records, applied on every run
    overrides: IdentityOverrides = Field(default_factory=IdentityOverrides)
    #: probabilistic matching (Splink) of records that carry a name, merged into the graph
    matching: MatchingConfig = Field(default_factory=MatchingConfig)
