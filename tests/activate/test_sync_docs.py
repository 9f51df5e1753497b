"""docs/activation.md documents every setting of the file and webhook destinations."""

from __future__ import annotations

from pathlib import Path

import pytest

from personae.config.destinations import FileDestination, WebhookDestination

DOC = Path(__file__).resolve().parents[2] / "docs" / "activation.md"


@pytest.mark.parametrize("model", [FileDestination, WebhookDestination])
def test_every_setting_is_documented(model: type) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Destinations and syncs") :]
    missing = [name for name in model.model_fields if f"| `{name}` |" not in section]
    assert not missing, f"docs/activation.md does not document {missing}"
