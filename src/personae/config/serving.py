"""``serving:``: the serving store the Profile API reads (``personae.serving``).

.. code-block:: yaml

    serving:
      publish: auto             # auto: once a read key exists (the API needs one); true; false
      events_per_person: 100    # the newest events kept per person (0: none)
      events_days: 365          # and only those of the last 365 days (omit: no age limit)
      stream: auto              # personae serve runs the streaming worker: auto (once the
                                # store is published or a read key exists), true, false
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from personae.config.base import Strict


class ServingConfig(Strict):
    #: publish the serving store at the end of every run that builds segments: ``true``,
    #: ``false``, or ``auto``: once someone can read it (a read key exists, or a store was
    #: published before), so projects without the Profile API pay nothing for it
    publish: bool | Literal["auto"] = "auto"
    #: the newest events kept per person in the store (``/events`` shows no older ones)
    events_per_person: int = Field(default=100, ge=0, le=10_000)
    #: keep only events of the last N days before the run (or ``as_of``); None: no limit
    events_days: int | None = Field(default=None, gt=0)
    #: ``personae serve`` runs the streaming worker beside the collectors (collected
    #: messages reach the store within about a second): ``true``, ``false``, or ``auto``:
    #: when a run publishes the store (:attr:`publish`)
    stream: bool | Literal["auto"] = "auto"
