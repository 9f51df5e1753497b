"""Tracking plans: a JSON Schema per event name and/or message type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from personae.config.collect import TrackingPlan
from personae.errors import ConfigError


@dataclass(frozen=True)
class Violation:
    plan: str
    path: str
    message: str
    mode: str

    def as_json(self) -> dict[str, str]:
        return {"plan": self.plan, "path": self.path, "message": self.message}


class PlanChecker:
    def __init__(self, plans: dict[str, TrackingPlan]) -> None:
        self._plans: list[tuple[str, TrackingPlan, Validator]] = []
        for name, plan in plans.items():
            cls = jsonschema.validators.validator_for(plan.json_schema)
            try:
                cls.check_schema(plan.json_schema)
            except jsonschema.SchemaError as exc:
                raise ConfigError(
                    f"invalid JSON Schema: {exc.message}", path=f"collect.tracking_plans.{name}"
                ) from exc
            self._plans.append((name, plan, cls(plan.json_schema)))

    def __bool__(self) -> bool:
        return bool(self._plans)

    def check(self, message: dict[str, Any], type_: str, event: str | None) -> list[Violation]:
        found: list[Violation] = []
        for name, plan, validator in self._plans:
            if plan.type is not None and plan.type != type_:
                continue
            if plan.event is not None and plan.event != event:
                continue
            for error in validator.iter_errors(message):
                path = "$" + "".join(
                    f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
                )
                found.append(Violation(name, path, error.message, plan.mode))
        return found
