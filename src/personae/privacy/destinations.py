"""Erasure reaches the destinations: each destination holding the person is synced once
more, now that the person has left every audience, so it is told to remove them (an
e-mail tool or an ad platform receives the removal with the fields it was last sent, as
it needs to find the member; a file destination is written again without them). Then
the destinations' state and dead letters forget the person.

A destination that cannot be reached keeps no trace of the person here either: the
erasure says which one missed the removal, so that it can be removed there by hand (the
audit log records which destinations, never the values).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from personae.activate.sync.runner import Options, run_destination
from personae.catalog import DESTINATION_DEAD_LETTERS, DESTINATION_STATE
from personae.project import Project


@dataclass
class DestinationErasure:
    #: destination -> members of the person it held
    removed: dict[str, int] = field(default_factory=dict)
    #: destinations the removal could not be sent to, and why
    warnings: list[str] = field(default_factory=list)


#: the tables this step empties of the person itself (the generic sweep leaves them)
TABLES = (DESTINATION_STATE, DESTINATION_DEAD_LETTERS)


def forget_in_destinations(
    project: Project, person_ids: list[int], dry_run: bool, options: Options | None = None
) -> DestinationErasure:
    """Send the person's removal to every destination holding them, then forget them in
    the destinations' state; ``dry_run`` only counts. Run it once the person's rows are
    gone from the profiles and segments, so that no audience holds them any more."""
    engine = project.engine
    result = DestinationErasure()
    if not person_ids or not engine.table_exists(DESTINATION_STATE):
        return result
    ids = ", ".join(str(int(i)) for i in person_ids)
    held = engine.rows(
        f"SELECT destination, count(*) FROM {DESTINATION_STATE} "
        f"WHERE person_id IN ({ids}) GROUP BY destination ORDER BY destination"
    )
    for name, members in held:
        result.removed[str(name)] = int(members)
        if dry_run:
            continue
        if name not in project.config.destinations:
            result.warnings.append(
                f"destination {name!r} is no longer declared in personae.yml: the removal "
                "was not sent; remove the person there by hand"
            )
            continue
        try:
            sync = run_destination(engine, project.config, project.root, str(name), options)
            why = sync.error or f"the sync ended {sync.status}"
        except Exception as exc:  # one destination never stops an erasure
            why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else '?'}"
        still = engine.scalar(
            f"SELECT count(*) FROM {DESTINATION_STATE} "
            f"WHERE destination = ? AND person_id IN ({ids})",
            [name],
        )
        if still:
            result.warnings.append(
                f"destination {name!r}: the removal was not sent ({why}); its state forgets "
                "the person anyway: remove them there by hand"
            )
    if not dry_run:
        for table in TABLES:
            if engine.table_exists(table):
                engine.execute(f"DELETE FROM {table} WHERE person_id IN ({ids})")
    return result
