"""Manual identity overrides: ``identity.overrides`` in ``personae.yml``.

```yaml
identity:
  overrides:
    must_link:   [["crm:C1000001", "loyalty_members:L878148291"]]
    cannot_link: [["crm:C1000002", "orders:O10000007"]]
    merge_persons: [[1042, 2077]]            # these persons are one
    split_persons:                           # these records leave person 1042
      - {person: 1042, records: ["orders:O10000007", "web_events:E88"]}
```

Records are named ``source:record_id``, persons by their id (a retired id is followed to
the person it was merged into). A ``cannot_link`` pair that ``must_link`` pairs join
(directly or through a chain of them) is a contradiction.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, model_validator

from personae.config.base import Strict

#: the four kinds of override, the keys of ``identity.overrides``
OverrideKind = Literal["must_link", "cannot_link", "merge_persons", "split_persons"]
OVERRIDE_KINDS: tuple[OverrideKind, ...] = get_args(OverrideKind)


def _record_name(value: str) -> str:
    source, sep, record_id = value.partition(":")
    if not sep or not source.strip() or not record_id.strip():
        raise ValueError(
            f"{value!r} is not a record name: write 'source:record_id', e.g. 'crm:C1000001'"
        )
    return value


def split_record(name: str) -> tuple[str, str]:
    """``'crm:C1'`` -> ``('crm', 'C1')`` (the record id may itself hold ':')."""
    source, _, record_id = name.partition(":")
    return source, record_id


RecordName = Annotated[str, AfterValidator(_record_name)]
RecordPair = tuple[RecordName, RecordName]


class PersonSplit(Strict):
    """Records that leave a person: they are never again one person with its others."""

    person: int
    records: list[RecordName] = Field(min_length=1)


class IdentityOverrides(Strict):
    #: pairs of records that are one person, whatever their identifiers say
    must_link: list[RecordPair] = Field(default_factory=list)
    #: pairs of records that are never the same person
    cannot_link: list[RecordPair] = Field(default_factory=list)
    #: groups of person ids that are one person
    merge_persons: list[Annotated[list[int], Field(min_length=2)]] = Field(default_factory=list)
    #: records that leave a person, separated from its other records for good
    split_persons: list[PersonSplit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_contradiction(self) -> IdentityOverrides:
        groups = must_link_groups(self.must_link)
        for a, b in self.cannot_link:
            if a == b:
                raise ValueError(f"cannot_link pair [{a!r}, {b!r}] names the same record twice")
            if a in groups and groups.get(a) == groups.get(b):
                raise ValueError(
                    f"cannot_link [{a!r}, {b!r}] contradicts must_link, which joins these "
                    "records: remove one of the two overrides"
                )
        return self


def must_link_groups(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Each record named in ``pairs`` -> a representative of its must-link group."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}
