"""Edit ``personae.yml`` from code (the web UI, ``personae overrides export``), keeping
its comments and key order.

``personae.yml`` is read and written with ruamel.yaml's round-trip mode, so a user's
comments, key order and quoting survive an edit; the whole new text is validated with the
loader (:func:`~personae.config.loader.parse_config`) before it replaces the file, which
it does atomically (a temporary file renamed over it, the file's mode kept).

* :func:`save_segment` writes one segment into ``segments:`` and returns its YAML;
* :func:`segment_yaml` shows a segment definition as YAML (for a form's preview).

Cross-references that only a stage can check (a segment naming a trait or an event)
live above this floor, in ``pipeline.validate``: pass it as ``check`` (the UI and the
CLI sit above the pipeline and can).
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from personae.config.loader import CONFIG_FILE, load_config, parse_config
from personae.config.models import ProjectConfig
from personae.config.segments import SegmentConfig
from personae.errors import ConfigError

#: a check of a whole new configuration (e.g. ``pipeline.validate``) run before writing
ConfigCheck = Callable[[ProjectConfig], object]
#: the mode of a project file personae creates (``overrides.yml``): its owner's only
NEW_FILE_MODE = 0o600


def round_trip_yaml() -> YAML:
    """A ruamel.yaml reader/writer that keeps comments, key order and quotes."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_round_trip(text: str, *, file: str) -> CommentedMap:
    """``text`` as a round-trip mapping (an empty document is an empty mapping)."""
    try:
        data = round_trip_yaml().load(text)
    except Exception as exc:  # ruamel raises several unrelated error classes
        raise ConfigError(f"not valid YAML: {exc}", file=file) from exc
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigError("must be a mapping of sections (sources:, traits:, …)", file=file)
    return data


def dump_round_trip(data: Any) -> str:
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    return out.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically: a temporary file beside it, renamed over
    it. An existing file keeps its mode; a new one is created ``0600``."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else NEW_FILE_MODE
    temporary = path.with_name(f".tmp-{path.name}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT's mode passes through the umask
        view = memoryview(text.encode("utf-8"))
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def set_entry(mapping: CommentedMap, key: str, value: Any) -> None:
    """``mapping[key] = value``; a new key goes last, and the comment lines that followed
    the mapping's last entry (ruamel attaches them to it: often the heading of the next
    section) move below the new entry, where they were in the file."""
    if key in mapping:
        mapping[key] = value
        return
    trailing = take_trailing(mapping)
    mapping[key] = value
    if trailing:
        put_trailing(mapping, trailing)


def take_trailing(node: Any) -> str:
    """Detach the comment lines after the last entry of ``node`` (its end-of-line
    comment stays), searching down its last entries."""
    if isinstance(node, CommentedMap) and node:
        last = list(node)[-1]
        slots = node.ca.items.get(last)
        if slots and len(slots) > 2 and slots[2] is not None:
            value = str(slots[2].value)
            eol, _, rest = value.partition("\n")
            if rest:
                if eol.strip():
                    slots[2].value = eol + "\n"
                else:
                    slots[2] = None
                return rest
            return ""
        return take_trailing(node[last])
    if isinstance(node, CommentedSeq) and node:
        if node.ca.end:
            text = "".join(str(t.value) for t in node.ca.end)
            node.ca.end = []
            return text
        slots = node.ca.items.get(len(node) - 1)
        if slots and slots[0] is not None:
            eol, _, rest = str(slots[0].value).partition("\n")
            if rest:
                if eol.strip():
                    slots[0].value = eol + "\n"
                else:
                    slots[0] = None
                return rest
            return ""
        return take_trailing(node[-1])
    return ""


def put_trailing(node: Any, text: str) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    while True:
        if isinstance(node, CommentedMap) and node:
            last = list(node)[-1]
            child = node[last]
            if _is_block(child):
                node = child
                continue
            token = CommentToken("\n" + text, CommentMark(0), None)
            node.ca.items[last] = [None, None, token, None]
            return
        if isinstance(node, CommentedSeq) and node:
            if _is_block(node[-1]):
                node = node[-1]
                continue
            # a sequence item's comment slot 0 follows the item
            node.ca.items[len(node) - 1] = [CommentToken("\n" + text, CommentMark(0), None), None]
        return


def _is_block(node: Any) -> bool:
    return isinstance(node, CommentedMap | CommentedSeq) and bool(node) and not node.fa.flow_style()


def plain(data: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (JSON-friendly)."""
    if isinstance(data, Mapping):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [plain(v) for v in data]
    return data


def segment_yaml(definition: Mapping[str, Any]) -> str:
    """A segment definition (``{"all": [...], ...}``) as YAML, as it would read in
    ``personae.yml`` under ``segments: <name>:``."""
    return dump_round_trip(_commented(plain(definition)))


def save_segment(
    project_dir: Path,
    name: str,
    definition: Mapping[str, Any],
    *,
    replace: bool = False,
    check: ConfigCheck | None = None,
) -> str:
    """Write segment ``name`` into ``personae.yml``'s ``segments:``; returns its YAML as
    it now stands in the file.

    ``definition`` is what the segment holds in YAML (``description``, ``all``, ``any``:
    see :class:`~personae.config.segments.SegmentConfig` and docs/segments.md). Comments
    and key order of the rest of the file are kept. The whole new configuration is
    validated (and given to ``check``, e.g. ``pipeline.validate``, which checks the
    traits and events it names) before the file is replaced atomically; nothing is
    written when anything is wrong. Raises :class:`ConfigError` when the name is taken
    and ``replace`` is false, or when the definition is not valid.
    """
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(
            f"segment name {name!r} is not usable: use letters, digits, '_' or '-', "
            "e.g. 'lapsed_buyers'",
            file=CONFIG_FILE,
            path=f"segments.{name}",
        )
    try:
        SegmentConfig.model_validate(plain(definition))
    except Exception as exc:
        raise ConfigError(_first_error(exc), file=CONFIG_FILE, path=f"segments.{name}") from None
    path = project_dir / CONFIG_FILE
    if not path.exists():
        load_config(project_dir)  # raises the loader's "not found" message
    data = load_round_trip(path.read_text(encoding="utf-8"), file=CONFIG_FILE)
    segments = data.get("segments")
    if segments is None:
        segments = CommentedMap()
        set_entry(data, "segments", segments)
    if not isinstance(segments, CommentedMap):
        raise ConfigError("must be a mapping of segment names", file=CONFIG_FILE, path="segments")
    if name in segments and not replace:
        raise ConfigError(
            f"segment {name!r} already exists: pick another name, or replace it (replace=True)",
            file=CONFIG_FILE,
            path=f"segments.{name}",
        )
    set_entry(segments, name, _commented(plain(definition)))
    text = dump_round_trip(data)
    config = parse_config(text, file=CONFIG_FILE)
    if check is not None:
        check(config)
    write_atomic(path, text)
    return segment_yaml(segments[name])


def _first_error(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"] if not str(p)[:1].isupper())
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc)


def _commented(value: Any) -> Any:
    """Plain containers as ruamel's (short lists of scalars stay on one line)."""
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _commented(v)
        if all(not isinstance(v, dict | list) for v in value.values()) and len(value) <= 4:
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_commented(v) for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value
