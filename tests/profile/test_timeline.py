"""The customer 360 timeline: every event and people record of a person, newest first,
paginated by cursor, filtered by source and event, through retired ids."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from personae.errors import NotFoundError, PersonaeError
from personae.pipeline import run
from personae.profile.timeline import TimelineItem, person_timeline, timeline_facets
from personae.project import Project

MakeProject = Callable[..., Project]


def _busiest(project: Project) -> int:
    """A person with a people record and the most events."""
    return int(
        project.engine.scalar(
            "SELECT m.person_id FROM identity_map m JOIN records r USING (source, record_id) "
            "GROUP BY m.person_id HAVING count(*) FILTER (WHERE r.source_kind = 'people') > 0 "
            "ORDER BY count(*) DESC, m.person_id LIMIT 1"
        )
    )


def _expected(project: Project, person: int) -> list[tuple[str, str, str]]:
    """(source, record_id, kind) of the person's items, by an independent query."""
    rows = project.engine.rows(
        "SELECT e.source, e.record_id, 'event', e.timestamp FROM events e "
        "JOIN identity_map m USING (source, record_id) WHERE m.person_id = ? "
        "UNION ALL SELECT r.source, r.record_id, 'record', r.observed_at FROM records r "
        "JOIN identity_map m USING (source, record_id) "
        "WHERE m.person_id = ? AND r.source_kind = 'people'",
        [person, person],
    )
    return sorted((str(s), str(r), str(k)) for s, r, k, _ in rows)


def _all_pages(
    project: Project,
    person: int,
    limit: int,
    sources: list[str] | None = None,
    events: list[str] | None = None,
) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    cursor: str | None = None
    while True:
        page = person_timeline(
            project.engine, person, sources=sources, events=events, before=cursor, limit=limit
        )
        assert len(page.items) <= limit
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items


def test_pages_cover_every_item_once_newest_first(small_demo: Project) -> None:
    person = _busiest(small_demo)
    items = _all_pages(small_demo, person, limit=3)
    expected = _expected(small_demo, person)
    assert len(expected) > 6  # several pages
    assert sorted((i.source, i.record_id, i.kind) for i in items) == expected
    times = [i.at for i in items if i.at is not None]
    assert times == sorted(times, reverse=True)
    facets = timeline_facets(small_demo.engine, person)
    assert facets.total == len(expected)
    assert sum(facets.events.values()) == sum(1 for i in items if i.kind == "event")
    assert list(facets.sources.values()) == sorted(facets.sources.values(), reverse=True)


def test_items_carry_their_name_and_a_typed_summary(small_demo: Project) -> None:
    person = _busiest(small_demo)
    items = _all_pages(small_demo, person, limit=50)
    record = next(i for i in items if i.kind == "record")
    assert record.name == "people"
    email = small_demo.engine.scalar(
        "SELECT email FROM records WHERE source = ? AND record_id = ?",
        [record.source, record.record_id],
    )
    assert record.summary.get("email") == email
    assert "first_name_key" not in record.summary and "source" not in record.summary
    order = small_demo.engine.rows(
        "SELECT e.record_id, e.event FROM events e JOIN identity_map m USING (source, record_id) "
        "WHERE m.person_id = ? AND e.source = 'orders' LIMIT 1",
        [person],
    )
    if order:
        item = next(i for i in items if i.record_id == order[0][0])
        assert item.kind == "event" and item.name == order[0][1]
        assert isinstance(item.summary["revenue"], int | float)
        assert item.summary["currency"] == "EUR"


def test_filters_by_source_and_by_event(small_demo: Project) -> None:
    person = _busiest(small_demo)
    facets = timeline_facets(small_demo.engine, person)
    source = next(iter(facets.sources))
    by_source = _all_pages(small_demo, person, limit=4, sources=[source])
    assert {i.source for i in by_source} == {source}
    assert len(by_source) == facets.sources[source]
    event = next(iter(facets.events))
    by_event = _all_pages(small_demo, person, limit=4, events=[event])
    assert {(i.kind, i.name) for i in by_event} == {("event", event)}
    assert len(by_event) == facets.events[event]
    nothing = person_timeline(small_demo.engine, person, sources=["no_such_source"])
    assert nothing.items == () and nothing.next_cursor is None


def test_bad_arguments_say_what_to_do(small_demo: Project) -> None:
    person = _busiest(small_demo)
    with pytest.raises(PersonaeError, match="leave 'before' out"):
        person_timeline(small_demo.engine, person, before="not-a-cursor")
    with pytest.raises(PersonaeError, match="1 to 500 items"):
        person_timeline(small_demo.engine, person, limit=0)
    with pytest.raises(NotFoundError, match="person 999999999 does not exist"):
        person_timeline(small_demo.engine, 999_999_999)


CONFIG = """
sources:
  crm:
    kind: people
    path: data/crm.csv
    record_id: id
    fields:
      email: email
      phone: {column: phone, region: FR}
      first_name: first
  orders:
    kind: events
    path: data/orders.csv
    record_id: order_id
    fields:
      phone: {column: phone, region: FR}
    event:
      name: Order Completed
      timestamp: {column: at}
      properties:
        total: {column: total, type: number}
"""


def test_a_retired_person_id_shows_the_live_persons_timeline(make_project: MakeProject) -> None:
    project = make_project(
        CONFIG,
        {
            "data/crm.csv": "id,email,phone,first\n1,ann.martin@orange.fr,,Ann\n",
            "data/orders.csv": "order_id,phone,at,total\nO1,0612345678,2026-05-01 10:00:00,42.5\n",
        },
    )
    run(project)
    (retired,) = project.engine.rows(
        "SELECT person_id FROM identity_map WHERE source = 'orders' AND record_id = 'O1'"
    )[0]
    (project.root / "data/crm.csv").write_text(
        "id,email,phone,first\n1,ann.martin@orange.fr,0612345678,Ann\n"
    )
    run(project)
    page = person_timeline(project.engine, retired)
    assert page.requested_id == retired and page.person_id != retired
    # the crm record has no time of its own: it was observed when loaded, after the order
    assert [(i.source, i.record_id, i.kind) for i in page.items] == [
        ("crm", "1", "record"),
        ("orders", "O1", "event"),
    ]
    order = next(i for i in page.items if i.kind == "event")
    assert order.at == "2026-05-01T10:00:00" and order.summary == {"total": 42.5}
