"""Destination ``type`` -> the connector that speaks its wire format.

An explicit mapping (no hidden registry): each connector module adds one line. A factory
takes the destination's name, its config section and the project folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from personae.activate.connectors.files import FileConnector
from personae.activate.connectors.platforms import PLATFORM_CONNECTORS
from personae.activate.connectors.webhook import WebhookConnector
from personae.errors import ConfigError

Factory = Callable[[str, Any, Path], Any]


def _platform(kind: str) -> Factory:
    make = PLATFORM_CONNECTORS[kind]
    return lambda name, destination, root: make(destination, path=f"destinations.{name}")


CONNECTORS: dict[str, Factory] = {
    "file": lambda name, destination, root: FileConnector(destination, root),
    "webhook": lambda name, destination, root: WebhookConnector(name, destination),
    **{kind: _platform(kind) for kind in PLATFORM_CONNECTORS},
}


def open_connector(name: str, destination: Any, root: Path) -> Any:
    """The connector of destination ``name``."""
    kind = destination.type
    if kind not in CONNECTORS:
        raise ConfigError(
            f"no connector for type {kind!r}; the types are {', '.join(CONNECTORS)}",
            path=f"destinations.{name}.type",
        )
    return CONNECTORS[kind](name, destination, root)
