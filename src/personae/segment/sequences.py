"""Sequences of events as SQL: "A then B within 1 h" and "A not followed by B within 1 h".

Both forms start from every event of the first step (within ``started_within`` of the
end of the reference date, when given) and look, for each, at the **next** event of
the following step strictly after it (a B at the same timestamp as the A does not
follow it):

* ``[A, B, C…]``: the greedy chain, next B after the A, next C after that B, …; the
  person matches when one chain completes with its last event at most ``within`` after
  its A (inclusive). Taking the earliest next event at each step finds a chain whenever
  any chain exists; starts that reach the same event go on as one (the latest of them,
  which has the most time left), so a step carries at most one row per event.
* ``[A, {not: B}]`` (abandonment): the person matches when there is an A whose ``within``
  has passed by the reference time (``A + within <= reference time``) with no B in
  ``(A, A + within]``. Without ``within``: an A never followed by a B.

"The next B strictly after t" is a window function over the person's events, not a join,
so the work grows with the number of events (sorted once per step), not with the pairs
of events: the A rows and the distinct timestamps of B are unioned and ordered by
timestamp with B before A at the same timestamp; ``min`` of B's timestamp over the rows
after an A is the next B strictly after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from personae.query.asof import timestamp_sql


@dataclass(frozen=True)
class CompiledSequence:
    """One sequence condition: a relation of the ``person_id`` of persons it holds for."""

    #: SQL conditions over the events aliased ``e``, one per step
    steps: tuple[str, ...]
    #: the last step is absent (abandonment)
    abandoned: bool
    #: longest time from the first step to the last, or None
    within: dt.timedelta | None
    #: the first step happens at or after this time, or None
    started: dt.datetime | None
    #: the reference time (for whether an abandonment's ``within`` has passed)
    reference: dt.datetime

    def sql(self, events: str) -> str:
        """SELECT DISTINCT ``person_id`` over ``events``: the persons' events (a relation
        with ``person_id``, ``event``, ``timestamp`` and ``properties``)."""
        start = f"SELECT e.person_id, e.timestamp AS t0, e.timestamp AS tp FROM {events} e "
        start += f"WHERE {self.steps[0]}"
        if self.started is not None:
            start += f" AND e.timestamp >= {timestamp_sql(self.started)}"
        chain = start
        for i, step in enumerate(self.steps[1:], start=1):
            last = i == len(self.steps) - 1
            if self.started is not None:
                # a later step follows a start, so it is in the window too
                step = f"{step} AND e.timestamp >= {timestamp_sql(self.started)}"
            chain = _next_step(chain, step, events, keep_missing=self.abandoned and last)
            if self.abandoned and last:
                continue
            if self.within is not None:
                chain = f"SELECT * FROM ({chain}) c WHERE c.tp <= {_plus('c.t0', self.within)}"
            if not last:
                # starts that reached the same event go on alike: keep the latest start,
                # which has the most time left
                chain = (
                    f"SELECT c.person_id, max(c.t0) AS t0, c.tp FROM ({chain}) c "
                    "GROUP BY c.person_id, c.tp"
                )
        if not self.abandoned:
            return f"SELECT DISTINCT c.person_id FROM ({chain}) c"
        if self.within is None:
            return f"SELECT DISTINCT c.person_id FROM ({chain}) c WHERE c.tp IS NULL"
        end = _plus("c.t0", self.within)
        return (
            f"SELECT DISTINCT c.person_id FROM ({chain}) c "
            f"WHERE {end} <= {timestamp_sql(self.reference)} AND (c.tp IS NULL OR c.tp > {end})"
        )


def _plus(column: str, delta: dt.timedelta) -> str:
    return f"{column} + INTERVAL {int(delta.total_seconds())} SECOND"


def _next_step(chain: str, step: str, events: str, *, keep_missing: bool) -> str:
    """Each chain row ``(person_id, t0, tp)`` with ``tp`` moved to the next event of
    ``step`` strictly after it (NULL when none; such rows dropped unless
    ``keep_missing``)."""
    found = (
        "SELECT w.person_id, w.t0, w.nxt AS tp FROM ("
        "SELECT u.person_id, u.t0, u.kind, min(u.bt) OVER (PARTITION BY u.person_id "
        "ORDER BY u.ts, u.kind ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS nxt "
        "FROM ("
        f"SELECT c.person_id, c.t0, c.tp AS ts, 1 AS kind, CAST(NULL AS TIMESTAMP) AS bt "
        f"FROM ({chain}) c "
        "UNION ALL "
        "SELECT DISTINCT e.person_id, CAST(NULL AS TIMESTAMP) AS t0, e.timestamp AS ts, "
        f"0 AS kind, e.timestamp AS bt FROM {events} e WHERE {step}"
        ") u) w WHERE w.kind = 1"
    )
    return found if keep_missing else f"{found} AND w.nxt IS NOT NULL"
