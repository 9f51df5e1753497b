"""The clerical review queue over a small project with probabilistic matching, its
decisions held by the next runs, and the near misses reached by erasure."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytest.importorskip("splink")

from personae.catalog import IDENTITY_MAP, IDENTITY_NEAR_MISSES
from personae.pipeline import run
from personae.privacy.erasure import erase
from personae.privacy.person import Selector, find_person
from personae.project import Project
from personae.unify.inspection.review import ReviewItem, decide, review_count, review_queue
from personae.unify.matching.score import threshold_weight

CONFIG = """\
name: review
sources:
  crm:
    kind: people
    path: people.csv
    record_id: id
    fields:
      email: email
      phone: {column: phone, region: FR}
      first_name: first_name
      last_name: last_name
      birth_date: {column: birth_date, format: "%Y-%m-%d"}
      postcode: postcode
      city: city
      address: address
identity:
  matching:
    enabled: true
    threshold_match_probability: 0.9
    review_band: 40
    max_cluster_records: 2
"""

#: the ``make_project`` fixture of tests/conftest.py
MakeProject = Callable[..., Project]

PEOPLE = """\
id,email,phone,first_name,last_name,birth_date,postcode,city,address
c1,marie.dupont@example.com,+33612345678,Marie,Dupont,1980-03-14,75011,Paris,12 rue Oberkampf
s1,,+33612345678,Mary,Dupont,1980-03-14,75011,Paris,12 rue Oberkampf
w1,mdupont@example.fr,,Marie,Dupont,1980-03-14,75011,Paris,12 rue Oberkampf
c2,jmartin@example.org,,Jean,Martin,1975-07-02,69003,Lyon,4 cours Gambetta
l2,,,Martin,Jean,1975-07-02,69003,Lyon,
c3,sophie.b@example.net,+33698765432,Sophie,Bernard,1990-11-30,33000,Bordeaux,8 quai Richelieu
s3,sophie.b@example.fr,,Sophie,Bernardd,1990-11-30,33000,Bordeaux,8 quai Richelieu
c4,,,Sophie,Bernard,1962-01-05,33000,Bordeaux,90 cours Victor Hugo
s4,,+33655554444,Sophie,Bernard,1999-06-21,33000,Bordeaux,3 rue Sainte
c5,luc.petit@example.com,+33611112222,Luc,Petit,1985-09-09,13001,Marseille,1 la Canebiere
s5,lucpetit@example.com,,Luc,Petit,1985-09-09,13001,Marseille,1 la Canebiere
c6,anne.leroy@example.com,,Anne,Leroy,1970-02-28,59000,Lille,7 rue Nationale
c7,paul.moreau@example.com,,Paul,Moreau,2001-12-12,44000,Nantes,5 rue Crebillon
s7,,+33622223333,Paul,Moreau,2001-12-12,44000,Nantes,5 rue Crebillon
"""


def persons(project: Project) -> dict[str, int]:
    rows = project.engine.rows(f"SELECT source, record_id, person_id FROM {IDENTITY_MAP}")
    return {f"{s}:{r}": int(p) for s, r, p in rows}


def rerun(project: Project) -> Project:
    """Run again with the config as it now stands on disk (overrides.yml included)."""
    root = project.root
    project.close()
    fresh = Project.load(root)
    run(fresh)
    return fresh


def test_the_queue_lists_borderline_pairs_by_impact_and_decisions_hold(
    make_project: MakeProject,
) -> None:
    project = make_project(CONFIG, {"people.csv": PEOPLE})
    run(project)
    queue = review_queue(project.engine, project.config, limit=100)
    assert queue, "no borderline pair in the fixture"
    assert review_count(project.engine, project.config) == len(queue)
    kinds = {item.kind for item in queue}
    assert {"under", "rejected"} <= kinds, queue

    threshold = threshold_weight(0.9)
    owner = persons(project)
    for item in queue:
        assert (owner[item.a], owner[item.b]) == (item.person_a, item.person_b)
        if item.kind == "under":
            assert threshold - 40 <= item.match_weight < threshold
            assert item.person_a != item.person_b and item.reason is None
        if item.kind == "rejected":
            assert item.reason and "max_cluster_records" in item.reason
            assert item.person_a != item.person_b
        if item.kind == "over":
            assert threshold <= item.match_weight < threshold + 40
            assert item.person_a == item.person_b
    keys = [(-i.impact, abs(i.match_weight - threshold)) for i in queue]
    assert keys == sorted(keys)  # most impact first, then closest to the threshold
    # the impact of a merge: the smaller person's records
    sizes = {p: list(owner.values()).count(p) for p in owner.values()}
    for item in queue:
        if item.kind != "over":
            assert item.impact == min(sizes[item.person_a], sizes[item.person_b])

    # paging and filtering
    assert review_queue(project.engine, project.config, limit=2, offset=1) == queue[1:3]
    unders = review_queue(project.engine, project.config, kind="under", limit=100)
    assert unders == [i for i in queue if i.kind == "under"]

    # "the same": a must_link the next runs keep; the pair leaves the queue
    same: ReviewItem = unders[0]
    override = decide(project.root, same.a, same.b, same=True)
    assert override.kind == "must_link" and sorted([same.a, same.b]) == override.value
    project = rerun(project)
    owner = persons(project)
    assert owner[same.a] == owner[same.b]
    after = review_queue(project.engine, project.config, limit=100)
    assert (same.a, same.b) not in {(i.a, i.b) for i in after}

    # "not the same" on a linked pair (or a rejected one): kept apart by cannot_link
    rejected = [i for i in after if i.kind == "rejected"]
    apart = ([i for i in after if i.kind == "over"] or rejected)[0]
    decide(project.root, apart.a, apart.b, same=False)
    project = rerun(project)
    owner = persons(project)
    assert owner[apart.a] != owner[apart.b]
    assert (apart.a, apart.b) not in {
        (i.a, i.b) for i in review_queue(project.engine, project.config, limit=100)
    }
    assert "cannot_link" in (project.root / "overrides.yml").read_text()
    project.close()


def test_near_misses_are_erased_with_the_person(make_project: MakeProject) -> None:
    project = make_project(CONFIG, {"people.csv": PEOPLE})
    run(project)
    engine = project.engine
    held = engine.rows(
        f"SELECT source_l, record_id_l FROM {IDENTITY_NEAR_MISSES} "
        "UNION SELECT source_r, record_id_r FROM identity_near_misses"
    )
    pairs = {(str(s), str(r)) for s, r in held}
    selector = Selector(email="sophie.b@example.net")
    person = find_person(project, selector)
    records = {(str(s), str(r)) for s, r in person.records}
    assert records & pairs  # the person has near misses
    report = erase(project, person, selector)
    assert report.tables.get(IDENTITY_NEAR_MISSES, 0) > 0
    listed = ", ".join(f"'{r}'" for _, r in sorted(records))
    left = engine.scalar(
        f"SELECT count(*) FROM {IDENTITY_NEAR_MISSES} "
        f"WHERE record_id_l IN ({listed}) OR record_id_r IN ({listed})"
    )
    assert left == 0
    assert engine.count(IDENTITY_NEAR_MISSES) > 0  # the others' near misses stay
    project.close()


def test_the_review_commands(make_project: MakeProject) -> None:
    from typer.testing import CliRunner

    from personae.cli.main import app

    project = make_project(CONFIG, {"people.csv": PEOPLE})
    run(project)
    first = review_queue(project.engine, project.config, limit=1)[0]
    root = str(project.root)
    project.close()
    runner = CliRunner()
    listed = runner.invoke(app, ["--project", root, "review", "--limit", "3"])
    assert listed.exit_code == 0, listed.output
    assert "Review queue (1-3 of" in listed.output
    assert first.a in listed.output and first.kind in listed.output
    wrong = runner.invoke(app, ["--project", root, "review", "--kind", "weak"])
    assert wrong.exit_code == 1
    assert "unknown review kind 'weak'; use one of under, over, rejected" in wrong.output
    decided = runner.invoke(
        app, ["--project", root, "review", "decide", first.a, first.b, "--not-same"]
    )
    assert decided.exit_code == 0, decided.output
    assert "Recorded cannot_link" in decided.output
    assert "cannot_link" in (project.root / "overrides.yml").read_text()
    undecided = runner.invoke(app, ["--project", root, "review", "decide", first.a, first.b])
    assert undecided.exit_code == 1 and "say --same or --not-same" in undecided.output
