"""docs/activation.md's messages section stays in step with the config model."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from personae.config.messages import (
    ChannelRule,
    EmailChannel,
    MessagesConfig,
    MessageTemplate,
    SmsChannel,
    Smtp,
)
from personae.config.models import ProjectConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "activation.md"


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_example_parses_and_every_setting_is_documented() -> None:
    text = section("E-mail and SMS messages")
    example = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert example is not None
    parsed = yaml.safe_load(example.group(1))
    config = ProjectConfig.model_validate(parsed)
    assert config.messages.email is not None
    assert set(parsed["messages"]) == set(MessagesConfig.model_fields)
    table = "\n".join(line for line in text.splitlines() if line.startswith("| `"))
    for prefix, model in (
        ("", MessagesConfig),
        ("email.", EmailChannel),
        ("email.smtp.", Smtp),
        ("sms.", SmsChannel),
        ("templates.<name>.", MessageTemplate),
        ("rules.<channel>.", ChannelRule),
    ):
        for name, field in model.model_fields.items():
            shown = field.alias or name
            assert f"`{prefix}{shown}" in table or f", `{shown}`" in table, prefix + shown


def test_tracking_section_names_every_event_and_utm_parameter() -> None:
    from personae.collect.unsubscribe import UNSUBSCRIBE_EVENT
    from personae.collect.utm import UTM

    text = section("Campaign tracking")
    for name in ("Email Opened", "Email Link Clicked", UNSUBSCRIBE_EVENT, *UTM):
        assert f"`{name}`" in text, name
