"""``overrides.yml``: the identity overrides written from the web UI and ``personae
review``, kept in the project beside ``personae.yml``.

It holds the same four lists as ``identity.overrides`` in ``personae.yml``
(:mod:`personae.config.overrides`)::

    must_link: [["crm:C1", "shop:S9"]]
    cannot_link: [["crm:C2", "orders:O7"]]
    merge_persons: [[1042, 2077]]
    split_persons: [{person: 1042, records: ["web_events:E88"]}]

:func:`~personae.config.loader.load_config` merges it into
``config.identity.overrides``, so every run applies it. :func:`export_overrides` moves
its overrides into ``personae.yml`` (comments kept) and empties it, for a project that
keeps everything in one reviewed file.

The functions here only edit files; record each edit in the audit log from the floor
that may (``personae.unify.override_actions`` does both).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from personae.config.editing import (
    dump_round_trip,
    load_round_trip,
    put_trailing,
    set_entry,
    take_trailing,
    write_atomic,
)
from personae.config.loader import CONFIG_FILE, OVERRIDES_FILE, parse_config, read_override_file
from personae.config.overrides import (
    OVERRIDE_KINDS,
    IdentityOverrides,
    OverrideKind,
    must_link_groups,
)
from personae.errors import ConfigError

KINDS = OVERRIDE_KINDS

HEADER = f"""\
# {OVERRIDES_FILE}: identity overrides written by the personae web UI and `personae review`.
# Same schema as identity.overrides in {CONFIG_FILE}; every run applies both.
# `personae overrides export` moves these into {CONFIG_FILE} and empties this file.
"""


@dataclass(frozen=True)
class Override:
    """One identity override, JSON-friendly.

    ``value`` is ``["source:id", "source:id"]`` (``must_link``, ``cannot_link``), a list
    of person ids (``merge_persons``) or ``{"person": id, "records": ["source:id", ...]}``
    (``split_persons``), in a canonical order; ``file`` says where it is declared
    (``overrides.yml`` or ``personae.yml``).
    """

    kind: OverrideKind
    value: Any
    file: str = OVERRIDES_FILE

    def describe(self) -> str:
        """``must_link crm:C1 shop:S9``, ``split_persons 1042: web:E88``."""
        if self.kind == "split_persons":
            return f"{self.kind} {self.value['person']}: {' '.join(self.value['records'])}"
        return f"{self.kind} {' '.join(str(v) for v in self.value)}"


def normalize(kind: str, value: Any) -> Override:
    """Check one override and give it its canonical form (pairs and lists sorted), so the
    same override written twice is found equal. Raises :class:`ConfigError` saying what
    is wrong."""
    if kind not in KINDS:
        raise ConfigError(
            f"unknown override kind {kind!r}; use one of {', '.join(KINDS)}",
            file=OVERRIDES_FILE,
        )
    try:
        parsed = IdentityOverrides.model_validate({kind: [value]})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"][2:])
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(
            f"{message}{f' (at {where})' if where else ''}; {_example(kind)}",
            file=OVERRIDES_FILE,
            path=kind,
        ) from None
    return _canonical(kind, getattr(parsed, kind)[0], OVERRIDES_FILE)


def read_overrides(project_dir: Path) -> list[Override]:
    """Every override of the project: ``overrides.yml``'s, then ``personae.yml``'s (each
    with the file it comes from)."""
    extra = read_override_file(project_dir) or IdentityOverrides()
    main = _main_overrides(project_dir)
    return [*_listed(extra, OVERRIDES_FILE), *_listed(main, CONFIG_FILE)]


def add_override(project_dir: Path, kind: str, value: Any) -> Override:
    """Add one override to ``overrides.yml``; returns it (the existing one when the
    project already has it: nothing is written then).

    Raises :class:`ConfigError` when it is malformed or contradicts the project's
    overrides (a ``cannot_link`` of records that ``must_link`` pairs join), naming the
    overrides to remove first."""
    new = normalize(kind, value)
    every = read_overrides(project_dir)
    for existing in every:
        if existing.kind == new.kind and existing.value == new.value:
            return existing
    _refuse_contradiction(new, every)
    extra = [o for o in every if o.file == OVERRIDES_FILE]
    _write(project_dir, [*extra, new])
    return new


def remove_override(project_dir: Path, kind: str, value: Any) -> Override:
    """Remove one override from ``overrides.yml``; returns it. Raises
    :class:`ConfigError` when it is not there (or only in ``personae.yml``, which is
    edited by hand)."""
    target = normalize(kind, value)
    every = read_overrides(project_dir)
    extra = [o for o in every if o.file == OVERRIDES_FILE]
    kept = [o for o in extra if (o.kind, o.value) != (target.kind, target.value)]
    if len(kept) == len(extra):
        if any((o.kind, o.value) == (target.kind, target.value) for o in every):
            raise ConfigError(
                f"{target.describe()} is declared in {CONFIG_FILE}, not in {OVERRIDES_FILE}: "
                "delete it from identity.overrides there",
                file=CONFIG_FILE,
                path=f"identity.overrides.{target.kind}",
            )
        raise ConfigError(
            f"no override {target.describe()}; 'personae overrides list' shows them",
            file=OVERRIDES_FILE,
        )
    _write(project_dir, kept)
    return target


def export_overrides(project_dir: Path) -> list[Override]:
    """Move ``overrides.yml``'s overrides into ``personae.yml`` (``identity.overrides``),
    keeping its comments and key order; then empty ``overrides.yml``. Returns the
    overrides moved. The new ``personae.yml`` is validated before it is written."""
    every = read_overrides(project_dir)
    moved = [o for o in every if o.file == OVERRIDES_FILE]
    if not moved:
        return []
    present = [(o.kind, o.value) for o in every if o.file == CONFIG_FILE]
    # one personae.yml already holds (written there by hand since) is not written twice
    missing = [o for o in moved if (o.kind, o.value) not in present]
    path = project_dir / CONFIG_FILE
    data = load_round_trip(path.read_text(encoding="utf-8"), file=CONFIG_FILE)
    section = data.get("identity")
    if section is None:
        set_entry(data, "identity", CommentedMap(overrides=_added(CommentedMap(), missing)))
    elif not isinstance(section, CommentedMap):
        raise ConfigError("must be a mapping", file=CONFIG_FILE, path="identity")
    else:
        # the comments below the section (the next one's heading) stay below it
        trailing = take_trailing(section)
        section["overrides"] = _added(section.get("overrides") or CommentedMap(), missing)
        if trailing:
            put_trailing(section, trailing)
    text = dump_round_trip(data)
    parse_config(text, file=CONFIG_FILE)  # raises before anything is written
    write_atomic(path, text)
    _write(project_dir, [])
    return moved


def _added(overrides: Any, moved: list[Override]) -> CommentedMap:
    """``identity.overrides`` of personae.yml with ``moved`` appended to its lists."""
    if not isinstance(overrides, CommentedMap):
        raise ConfigError("must be a mapping", file=CONFIG_FILE, path="identity.overrides")
    overrides.fa.set_block_style()
    for override in moved:
        listed = overrides.get(override.kind)
        if listed is None:
            overrides[override.kind] = listed = CommentedSeq()
        if not isinstance(listed, list):
            raise ConfigError(
                "must be a list", file=CONFIG_FILE, path=f"identity.overrides.{override.kind}"
            )
        listed.append(_flow(override.value))
    return overrides


def _main_overrides(project_dir: Path) -> IdentityOverrides:
    path = project_dir / CONFIG_FILE
    if not path.exists():
        return IdentityOverrides()
    return parse_config(path.read_text(encoding="utf-8"), file=CONFIG_FILE).identity.overrides


def _canonical(kind: OverrideKind, item: Any, file: str) -> Override:
    if kind in ("must_link", "cannot_link"):
        return Override(kind, sorted(item), file)
    if kind == "merge_persons":
        return Override(kind, sorted(set(item)), file)
    return Override(kind, {"person": item.person, "records": sorted(set(item.records))}, file)


def _listed(overrides: IdentityOverrides, file: str) -> list[Override]:
    return [_canonical(kind, item, file) for kind in KINDS for item in getattr(overrides, kind)]


def _refuse_contradiction(new: Override, every: list[Override]) -> None:
    links = [o for o in every if o.kind == "must_link"]
    aparts = [o for o in every if o.kind == "cannot_link"]
    if new.kind == "must_link":
        links.append(new)
    elif new.kind == "cannot_link":
        aparts = [new]
    else:
        return
    groups = must_link_groups([(o.value[0], o.value[1]) for o in links])
    for apart in aparts:
        a, b = apart.value
        if a in groups and groups.get(a) == groups.get(b):
            chain = [o for o in links if o is not new and groups.get(o.value[0]) == groups[a]]
            named = "; ".join(f"{o.describe()} (in {o.file})" for o in chain)
            if new.kind == "cannot_link":
                raise ConfigError(
                    f"{new.describe()} contradicts must_link overrides that join these "
                    f"records: {named}; remove those first",
                    file=OVERRIDES_FILE,
                )
            raise ConfigError(
                f"{new.describe()} contradicts {apart.describe()} (in {apart.file}), which "
                "keeps these records apart: remove it first",
                file=OVERRIDES_FILE,
            )


def _write(project_dir: Path, overrides: list[Override]) -> None:
    data: dict[str, list[Any]] = {}
    for override in overrides:
        data.setdefault(override.kind, []).append(override.value)
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100) if data else ""
    write_atomic(project_dir / OVERRIDES_FILE, HEADER + body)


def _flow(value: Any) -> Any:
    """A value as ruamel containers written on one line, as the hand-written ones are."""
    if isinstance(value, dict):
        out = CommentedMap((k, _flow(v)) for k, v in value.items())
        out.fa.set_flow_style()
        return out
    if not isinstance(value, list):
        return value
    seq = CommentedSeq(value)
    seq.fa.set_flow_style()
    return seq


def _example(kind: str) -> str:
    examples = {
        "must_link": "e.g. ['crm:C1', 'shop:S9']",
        "cannot_link": "e.g. ['crm:C1', 'shop:S9']",
        "merge_persons": "e.g. [1042, 2077]",
        "split_persons": "e.g. {person: 1042, records: ['web_events:E88']}",
    }
    return examples[kind]
