"""``destinations:``: where audiences are sent."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from personae.config.base import Strict


class FileDestination(Strict):
    type: Literal["file"] = "file"
    segment: str
    path: str
    fields: list[str] | None = None


Destination = Annotated[FileDestination, Field(discriminator="type")]
