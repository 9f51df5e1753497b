"""``attribution:`` in personae.yml: strict, with fix-it messages, and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from personae.config.attribution import AttributionConfig, Conversions, Touches
from personae.config.loader import parse_config
from personae.errors import ConfigError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "activation.md"


def section() -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("## Attribution and campaign reports")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_documented_example_loads() -> None:
    example = re.search(r"```yaml\n(.*?)```", section(), re.DOTALL)
    assert example is not None
    config = parse_config(example.group(1)).attribution
    assert config.lookback == "7d"
    assert config.models[0] == "linear"
    assert config.conversions.order_id == "order_id"
    assert config.holdout("partner_mailing") == 10.0


def test_every_setting_is_documented() -> None:
    text = section()
    for model, prefix in (
        (AttributionConfig, ""),
        (Conversions, "conversions."),
        (Touches, "touches."),
    ):
        for name in model.model_fields:
            if name in ("conversions", "touches"):
                continue
            assert f"`{prefix}{name}`" in text, f"{prefix}{name} is not in docs/activation.md"


@pytest.mark.parametrize(
    ("yaml", "path", "message"),
    [
        ("models: [first, u_shaped]", "attribution.models", "use some of first, last"),
        ("models: []", "attribution.models", "list some of"),
        ("lookback: 7 months", "attribution.lookback", ""),
        ("half_life: 0d", "attribution.half_life", "such as 7d or 12h"),
        ("conversions: {events: []}", "attribution.conversions", "events: [Order Completed]"),
        ("confidence: 95", "attribution.confidence", "e.g. 0.95"),
        ("lookbak: 7d", "attribution.lookbak", "did you mean 'lookback'"),
    ],
)
def test_mistakes_say_where_and_how_to_fix(yaml: str, path: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"attribution:\n  {yaml}\n")
    assert path in str(caught.value)
    assert message in str(caught.value)


def test_single_names_are_accepted_for_lists() -> None:
    config = parse_config(
        "attribution:\n  models: last\n  conversions: {events: Purchase}\n"
        "  touches: {opens: Opened}\n"
    ).attribution
    assert config.models == ("last",)
    assert config.conversions.events == ("Purchase",)
    assert config.touches.opens == ("Opened",)
