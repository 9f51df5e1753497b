"""The segment builder's form, read into the definition ``personae.yml`` holds.

Each condition is a row of fields named ``c<i>_<what>``: ``type`` (``trait``, ``event``
or ``segment``), then for a trait ``field``, ``op``, ``value``; for an event ``event``,
``at_least``, ``within``, ``where``, an optional aggregate ``agg`` of ``property``
compared with ``op`` and ``value``, and ``negate`` (did not do it); for a segment
``segment`` and ``member``.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from personae.errors import PersonaeError

OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not"]
AGGREGATES = ["sum", "avg", "min", "max", "distinct_count"]
_ROW = re.compile(r"^c(\d+)_type$")


class FormProblem(PersonaeError):
    """A condition of the builder is incomplete."""


def typed(text: str, op: str) -> Any:
    """A value typed in a box: a number, true/false/null, or a list for ``in``."""
    text = text.strip()
    if op in ("in", "not in"):
        return [typed(part, "=") for part in text.split(",") if part.strip()]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none", ""):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text.replace(",", ".")) if re.fullmatch(r"-?\d+[.,]\d+", text) else text
    except ValueError:
        return text


def rows(form: FormData) -> list[int]:
    """The condition rows present, in order."""
    found = [int(m.group(1)) for key in form if (m := _ROW.match(key))]
    return sorted(set(found))


def condition(form: FormData, i: int) -> dict[str, Any]:
    def get(what: str) -> str:
        return str(form.get(f"c{i}_{what}", "") or "").strip()

    kind = get("type")
    if kind == "trait":
        field, op = get("field"), get("op") or "="
        if not field:
            raise FormProblem(f"condition {i + 1}: choose a field or trait")
        return {"trait": field, op: typed(get("value"), op)}
    if kind == "event":
        event = get("event")
        if not event:
            raise FormProblem(f"condition {i + 1}: choose an event")
        found: dict[str, Any] = {"event": event}
        if get("where"):
            found["where"] = get("where")
        if get("within"):
            found["within"] = get("within")
        agg = get("agg")
        if agg:
            if not get("property"):
                raise FormProblem(f"condition {i + 1}: {agg} of which property?")
            op = get("op") or ">="
            found[agg] = get("property")
            found[op] = typed(get("value"), op)
        elif get("at_least") not in ("", "1"):
            found["at_least"] = int(get("at_least"))
        return {"not": found} if get("negate") else found
    if kind == "segment":
        segment = get("segment")
        if not segment:
            raise FormProblem(f"condition {i + 1}: choose a segment")
        return {"segment": segment, "member": get("member") != "false"}
    raise FormProblem(f"condition {i + 1}: unknown kind {kind!r}")


def definition(form: FormData) -> tuple[str, dict[str, Any]]:
    """The segment's name and its definition."""
    name = str(form.get("name", "") or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise FormProblem(
            f"name {name!r}: use lower-case letters, digits and '_', starting with a letter"
        )
    conditions = [condition(form, i) for i in rows(form)]
    if not conditions:
        raise FormProblem("add at least one condition")
    found: dict[str, Any] = {}
    description = str(form.get("description", "") or "").strip()
    if description:
        found["description"] = description
    found["any" if form.get("match") == "any" else "all"] = conditions
    return name, found
