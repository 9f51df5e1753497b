"""docs/collect.md stays in step with the config model and the routes."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from personae.config.collect import CollectConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "collect.md"


def test_every_collect_setting_is_documented_and_the_example_parses() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## The `collect` section", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    parsed = yaml.safe_load(example.group(1))["collect"]
    CollectConfig.model_validate(parsed)
    assert set(parsed) == set(CollectConfig.model_fields)


def test_every_route_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for path in (
        "/v1/batch",
        "/v1/projects/{writeKey}/settings",
        "/v1/pixel.gif",
        "/v1/r",
        "/v1/webhook/{name}",
        "/health",
        "/v1/b",
        "/v1/t",
    ):
        assert path in text, path


def test_privacy_doc_covers_every_keys_command_and_the_audit_command() -> None:
    from personae.cli.collect_commands import keys_app

    text = (DOC.parent / "privacy.md").read_text(encoding="utf-8")
    section = text.split("## Collection: scoped keys, audit log and hardening", 1)[1]
    for command in keys_app.registered_commands:
        assert f"personae keys {command.name}" in section, command.name
    for scope in ("write", "read", "admin"):
        assert f"`{scope}`" in section
    assert "personae audit --verify" in section
