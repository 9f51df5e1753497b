"""The journeys' tables: ``journey_state`` (where each person is) and
``journey_audience_members`` (who journeys put in or took out of an ad audience)."""

from __future__ import annotations

import pyarrow as pa

from personae.catalog import JOURNEY_AUDIENCE_MEMBERS, JOURNEY_STATE

#: a person is ``active`` (due to run their step now), ``waiting`` (until ``next_at``, or
#: in a ``wait_until`` for an event), ``done`` (reached the end or an exit step) or
#: ``exited`` (an ``exit_when`` test held, or the person is gone)
STATE_STATUSES = ("active", "waiting", "done", "exited")
IN_FLIGHT = ("active", "waiting")

STATE_SCHEMA = pa.schema(
    [
        ("journey", pa.string()),
        ("person_id", pa.int64()),
        ("step", pa.string()),
        ("status", pa.string()),
        ("entered_at", pa.timestamp("us")),
        ("next_at", pa.timestamp("us")),
        ("path", pa.string()),
        ("updated_at", pa.timestamp("us")),
    ]
)
assert tuple(STATE_SCHEMA.names) == JOURNEY_STATE.columns

AUDIENCE_SCHEMA = pa.schema(
    [
        ("destination", pa.string()),
        ("person_id", pa.int64()),
        ("journey", pa.string()),
        ("added_at", pa.timestamp("us")),
        ("removed_at", pa.timestamp("us")),
    ]
)
assert tuple(AUDIENCE_SCHEMA.names) == JOURNEY_AUDIENCE_MEMBERS.columns
