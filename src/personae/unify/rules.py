"""The identifier types of a project, in priority order, with their rules."""

from __future__ import annotations

from dataclasses import dataclass

from personae.config.identity import IdentityTypeRule
from personae.config.models import ProjectConfig
from personae.sql import literal


@dataclass(frozen=True)
class IdentityType:
    name: str
    rule: IdentityTypeRule
    #: position in priority order (0 = highest priority)
    rank: int


def identity_types(config: ProjectConfig) -> list[IdentityType]:
    """Every identity field of the project, highest priority first (ties by name).

    A field without a rule in ``identity.types`` gets the default rule (priority 10,
    unlimited).
    """
    rules = config.identity.types
    ordered = sorted(
        config.identity_fields,
        key=lambda name: (rules.get(name, IdentityTypeRule()).priority, name),
    )
    return [
        IdentityType(name, rules.get(name, IdentityTypeRule()), rank)
        for rank, name in enumerate(ordered)
    ]


def types_sql(types: list[IdentityType]) -> str:
    """A query of every type: ``id_type, rank, max_values (NULL = unlimited), per_source``."""
    if not types:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS id_type, CAST(NULL AS BIGINT) AS rank, "
            "CAST(NULL AS BIGINT) AS max_values, CAST(NULL AS BOOLEAN) AS per_source WHERE false"
        )
    rows = ", ".join(
        f"({literal(t.name)}, {t.rank}, "
        f"{'CAST(NULL AS BIGINT)' if t.rule.limit is None else t.rule.limit}, "
        f"{literal(t.rule.per_source)})"
        for t in types
    )
    return (
        "SELECT id_type, CAST(rank AS BIGINT) AS rank, CAST(max_values AS BIGINT) AS max_values, "
        f"per_source FROM (VALUES {rows}) AS t(id_type, rank, max_values, per_source)"
    )


def in_list(names: list[str] | tuple[str, ...]) -> str:
    """``('a', 'b')`` for an IN predicate; ``(NULL)`` (matches nothing) when empty."""
    return "(" + (", ".join(literal(n) for n in names) or "NULL") + ")"
