"""docs/segments.md stays true: every YAML example in it is a valid segment or condition."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter

from personae.config.models import ProjectConfig
from personae.config.segments import Condition

DOC = Path(__file__).resolve().parents[2] / "docs" / "segments.md"
BLOCKS = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)


def test_the_doc_has_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("block", BLOCKS)
def test_every_example_is_valid(block: str) -> None:
    data = yaml.safe_load(block)
    if isinstance(data, dict):
        ProjectConfig.model_validate(data)
    else:
        for condition in data:
            TypeAdapter(Condition).validate_python(condition)
