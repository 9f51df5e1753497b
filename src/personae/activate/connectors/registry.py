"""Destination ``type`` -> the connector that speaks its wire format.

An explicit mapping (no hidden registry): each connector module adds one line. A factory
takes the destination's name, its config section and the project folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from personae.activate.connectors.files import FileConnector
from personae.activate.connectors.webhook import WebhookConnector
from personae.errors import ConfigError

Factory = Callable[[str, Any, Path], Any]

CONNECTORS: dict[str, Factory] = {
    "file": lambda name, destination, root: FileConnector(destination, root),
    "webhook": lambda name, destination, root: WebhookConnector(name, destination),
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
