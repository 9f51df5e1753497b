"""docs/realtime.md stays in step with the serving config, the routes and the errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from personae.config.serving import ServingConfig
from personae.serving import api

DOC = Path(__file__).resolve().parents[2] / "docs" / "realtime.md"
SOURCE = Path(api.__file__).read_text(encoding="utf-8")


def test_every_serving_setting_is_documented_and_the_example_parses() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(serving:.*?)```", text, re.S)
    assert example is not None
    parsed = yaml.safe_load(example.group(1))["serving"]
    ServingConfig.model_validate(parsed)
    assert set(parsed) == set(ServingConfig.model_fields)


def test_every_route_and_error_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind in api.KINDS:
        assert f"### `GET /{{external_id}}/{kind}`" in text, kind
        default, top = api.LIMITS[kind]
        assert f"| `{kind}` | {default} | {top} |" in text, kind
    codes = set(re.findall(r'ApiError\(\s*\d{3},\s*"(\w+)"', SOURCE)) | {"wrong_scope"}
    assert codes, "the codes are found in the source"
    for code in codes:
        assert f"`{code}`" in text, code


def test_every_example_response_is_json() -> None:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 6
    for block in blocks:
        json.loads(block)
