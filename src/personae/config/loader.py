"""Read ``personae.yml`` into a :class:`ProjectConfig`, with errors that say how to fix them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from personae.config.models import ProjectConfig
from personae.config.overrides import IdentityOverrides
from personae.errors import ConfigError, did_you_mean

CONFIG_FILE = "personae.yml"
#: the overrides the web UI and ``personae review`` write, beside personae.yml; merged into
#: ``identity.overrides`` (see :mod:`personae.config.override_file`)
OVERRIDES_FILE = "overrides.yml"
#: a source name becomes part of table names (``raw_<source>``) and SQL: a safe identifier
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_source_name(name: str, *, file: str = CONFIG_FILE, path: str = "sources") -> None:
    """Raise a :class:`ConfigError` suggesting a safe spelling unless ``name`` is one."""
    if SOURCE_NAME.match(name):
        return
    raise ConfigError(
        f"source name {name!r} is not a safe identifier: use lower-case letters, digits "
        f"and underscores, starting with a letter, e.g. {safe_source_name(name)!r}",
        file=file,
        path=path,
    )


def safe_source_name(name: str) -> str:
    """The closest safe identifier: ``My-CRM`` → ``my_crm``, ``2024 shop`` → ``s_2024_shop``."""
    safe = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") or "source"
    return (safe if safe[0].isalpha() else f"s_{safe}")[:63]


def load_config(project_dir: Path) -> ProjectConfig:
    path = project_dir / CONFIG_FILE
    if not path.exists():
        raise ConfigError(
            f"not found in {project_dir.resolve()}; run 'personae init {project_dir}' "
            "to create a starter project, or pass --project DIR",
            file=CONFIG_FILE,
        )
    config = parse_config(path.read_text(encoding="utf-8"), file=str(path.name))
    extra = read_override_file(project_dir)
    if extra is None:
        return config
    merged = merge_overrides(config.identity.overrides, extra)
    identity = config.identity.model_copy(update={"overrides": merged})
    return config.model_copy(update={"identity": identity})


def read_override_file(project_dir: Path) -> IdentityOverrides | None:
    """The overrides of ``overrides.yml`` (None when there is no such file)."""
    path = project_dir / OVERRIDES_FILE
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=OVERRIDES_FILE) from exc
    if data is None:
        return IdentityOverrides()
    if not isinstance(data, dict):
        raise ConfigError(
            "must be a mapping: must_link, cannot_link, merge_persons, split_persons",
            file=OVERRIDES_FILE,
        )
    try:
        return IdentityOverrides.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            known = list(IdentityOverrides.model_fields)
            message = "unknown key" + (
                did_you_mean(where, known) or f"; allowed keys: {', '.join(known)}"
            )
        raise ConfigError(message, file=OVERRIDES_FILE, path=where) from None


def merge_overrides(main: IdentityOverrides, extra: IdentityOverrides) -> IdentityOverrides:
    """``personae.yml``'s overrides and ``overrides.yml``'s, validated together (each
    override once)."""

    def union(kind: str) -> list[Any]:
        out: list[Any] = []
        for item in [*getattr(main, kind), *getattr(extra, kind)]:
            if item not in out:
                out.append(item)
        return out

    kinds = list(IdentityOverrides.model_fields)
    try:
        return IdentityOverrides.model_validate({k: union(k) for k in kinds})
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise ConfigError(
            f"contradicts identity.overrides of {CONFIG_FILE}: {message}; see both with "
            f"'personae overrides list', then remove one from {OVERRIDES_FILE} "
            f"('personae overrides remove') or from {CONFIG_FILE}",
            file=OVERRIDES_FILE,
        ) from None


def parse_config(text: str, *, file: str = CONFIG_FILE) -> ProjectConfig:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"not valid YAML: {where} {exc}".strip(), file=file) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping of sections (sources:, traits:, …)", file=file)
    _check_unknown_fields(data, file)
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, data, file) from None
    _check_references(config, file)
    return config


def _check_unknown_fields(data: dict[str, Any], file: str) -> None:
    """Field keys are checked before pydantic so the message can suggest the right name."""
    from personae.config.fields import BUILTIN_FIELDS, FULL_NAME

    custom = data.get("custom_fields") or {}
    known = [*BUILTIN_FIELDS, FULL_NAME, *(custom if isinstance(custom, dict) else {})]
    sources = data.get("sources") or {}
    if not isinstance(sources, dict):
        return
    for source_name, source in sources.items():
        if not isinstance(source, dict):
            continue
        for field_name, spec in (source.get("fields") or {}).items():
            if isinstance(spec, dict) and "as" in spec:
                continue  # a mixed column is named freely (contact: {column: …, as: […]})
            if field_name not in known:
                raise ConfigError(
                    "unknown canonical field"
                    + (
                        did_you_mean(field_name, known)
                        or f"; use one of {', '.join(known)} or declare it under custom_fields"
                    ),
                    file=file,
                    path=f"sources.{source_name}.fields.{field_name}",
                )


def _config_error(exc: ValidationError, data: dict[str, Any], file: str) -> ConfigError:
    errors = exc.errors()
    # a mapping given where a column name or a spec is accepted (``str | PropertySpec``):
    # the spec's error says what is wrong, "should be a valid string" does not
    error = next(
        (e for e in errors if e["type"] != "string_type" or not isinstance(e["input"], dict)),
        errors[0],
    )
    loc = [str(part) for part in error["loc"]]
    # pydantic adds the union member name into the location (e.g. 'AggregateTrait'); drop those
    # pydantic adds the tag of a discriminated union too ('brevo' in destinations.news.brevo)
    model_parts = [
        p for p in loc if not p[:1].isupper() and not p.startswith(("function-", "literal["))
    ]
    path_parts: list[str] = []
    for part in model_parts:
        parent = _lookup(data, path_parts)
        if isinstance(parent, dict) and parent.get("type") == part and part not in parent:
            continue
        path_parts.append(part)
    path = ".".join(path_parts)
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        parent = _lookup(data, path_parts[:-1])
        siblings = _model_keys_at(model_parts[:-1])
        hint = did_you_mean(path_parts[-1], siblings) if siblings else ""
        message = "unknown key" + (
            hint or (f"; allowed keys: {', '.join(sorted(siblings))}" if siblings else "")
        )
        del parent
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] in ("union_tag_not_found", "union_tag_invalid"):
        tag = str((error.get("ctx") or {}).get("discriminator", "type")).strip("'")
        expected = str((error.get("ctx") or {}).get("expected_tags", "")).replace("'", "")
        message = f"needs '{tag}:' to say which kind it is" + (
            f"; one of: {expected}" if expected else ""
        )
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return ConfigError(message, file=file, path=path)


def _lookup(data: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit():
            data = data[int(part)]
        else:
            return None
    return data


def _model_keys_at(parts: list[str]) -> list[str]:
    """The keys the model accepts at a location, for 'did you mean' hints."""
    from pydantic import BaseModel

    models: list[Any] = [ProjectConfig]
    for part in parts:
        # the tag of a discriminated union picks its member (destinations.news.brevo)
        tagged = [m for m in models if _type_tag(m) == part]
        if tagged:
            models = tagged
            continue
        model = models[0]
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            # inside a dict[str, Model]: skip the user's key
            continue
        models = _inner_models(field.annotation) or [None]
    model = models[0]
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _type_tag(model: Any) -> Any:
    fields = getattr(model, "model_fields", None)
    return fields["type"].default if fields and "type" in fields else None


def _inner_models(annotation: Any) -> list[Any]:
    """The models an annotation holds (every member of a union), outermost first."""
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[Any] = []
    for arg in get_args(annotation):
        out.extend(m for m in _inner_models(arg) if m not in out)
    return out


def _check_source_names(config: ProjectConfig, file: str) -> None:
    for name in config.sources:
        check_source_name(name, file=file, path=f"sources.{name}")
    for i, name in enumerate(config.collect.sources):
        check_source_name(name, file=file, path=f"collect.sources.{i}")
    for hook, mapping in config.collect.webhooks.items():
        where = f"collect.webhooks.{hook}" + (".source" if mapping.source else "")
        check_source_name(mapping.source or hook, file=file, path=where)


def _check_references(config: ProjectConfig, file: str) -> None:
    """Names that point at other sections must exist."""
    _check_source_names(config, file)
    sources = list(config.sources)
    for i, name in enumerate(config.profiles.source_priority):
        if name not in config.sources:
            raise ConfigError(
                f"unknown source {name!r}{did_you_mean(name, sources)}",
                file=file,
                path=f"profiles.source_priority.{i}",
            )
    for kind in config.identity.types:
        if kind not in config.identity_fields:
            raise ConfigError(
                "not an identity field"
                + (did_you_mean(kind, config.identity_fields) or "; declare it in custom_fields"),
                file=file,
                path=f"identity.types.{kind}",
            )
    for path, purpose, channel in _consent_references(config):
        problem = config.consent.problem(purpose, channel)
        if problem:
            raise ConfigError(problem, file=file, path=path)
    for name, dest in config.destinations.items():
        channels = config.consent.purposes[dest.purpose].channels if dest.purpose else ()
        if dest.channel is None and len(channels) > 1:
            raise ConfigError(
                f"purpose {dest.purpose!r} reaches people on several channels "
                f"({', '.join(channels)}); say which one this destination uses, e.g. "
                f"channel: {channels[0]}",
                file=file,
                path=f"destinations.{name}.channel",
            )
    for name, dest in config.destinations.items():
        if dest.segment is not None and dest.segment not in config.segments:
            raise ConfigError(
                f"unknown segment {dest.segment!r}{did_you_mean(dest.segment, config.segments)}",
                file=file,
                path=f"destinations.{name}.audience",
            )


def _consent_references(config: ProjectConfig) -> list[tuple[str, str, str | None]]:
    """(path, purpose, channel) of every consent column and destination."""
    found: list[tuple[str, str, str | None]] = [
        (f"sources.{name}.consent.{i}", spec.purpose, spec.channel)
        for name, source in config.sources.items()
        for i, spec in enumerate(source.consent)
    ]
    found += [
        (f"destinations.{name}.purpose", dest.purpose, dest.channel)
        for name, dest in config.destinations.items()
        if dest.purpose is not None
    ]
    return found
