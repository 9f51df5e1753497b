"""Records without a name re-attach to the one person holding their household values."""

from __future__ import annotations

from typing import Any

from helpers.unify import Run, groups, person_of, write_records
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.unify.inspection.explain import explain_person, explain_records

EMAIL = "m.durand@mail.fr"


def named(record_id: str, first: str, **fields: Any) -> dict[str, Any]:
    return {"source": "crm", "record_id": record_id, "email": EMAIL, "first_name": first, **fields}


def event(record_id: str) -> dict[str, Any]:
    return {"source": "emailing", "record_id": record_id, "email": EMAIL}


def attachments(engine: Engine) -> dict[str, tuple[str, str]]:
    return {
        f"{s}/{r}": (str(status), str(reason))
        for s, r, status, reason in engine.rows(
            "SELECT source, record_id, status, reason FROM identity_attachments"
        )
    }


def test_nameless_records_join_the_one_person_holding_their_email(engine: Engine, run: Run) -> None:
    # the failure of issue 15: the e-mail looks shared by two people (Marguerite, Maggie:
    # names no typo rule joins), so its e-mail events hung alone; but the two named
    # records are one person (here joined by their customer id, as matching would)
    write_records(
        engine,
        [
            named("A", "Marguerite", customer_id="C1"),
            {"source": "shop", "record_id": "B", "email": EMAIL, "first_name": "Maggie",
             "customer_id": "C1"},
            event("E1"),
            event("E2"),
        ],
    )  # fmt: skip
    report = run()
    assert report.household_splits == 1
    assert report.attached_parts == 1
    assert groups(engine) == {frozenset({"crm/A", "shop/B", "emailing/E1", "emailing/E2"})}
    person = person_of(engine, "crm", "A")
    status, reason = attachments(engine)["emailing/E1"]
    assert status == "attached"
    assert reason == (
        f"has no name; attached to person {person}, the only person holding email {EMAIL}"
    )
    explained = explain_person(engine, person)
    assert [str(a) for a in explained.attachments] == [
        f"emailing:{e} has no name; attached to person {person}, the only person holding "
        f"email {EMAIL}"
        for e in ("E1", "E2")
    ]


def test_nameless_records_stay_apart_when_two_persons_hold_the_email(
    engine: Engine, run: Run
) -> None:
    write_records(
        engine,
        [named("A", "Marie"), named("B", "Paul"), event("E1")],
    )
    report = run()
    assert report.attached_parts == 0
    assert groups(engine) == {
        frozenset({"crm/A"}),
        frozenset({"crm/B"}),
        frozenset({"emailing/E1"}),
    }
    persons = sorted(str(person_of(engine, "crm", r)) for r in ("A", "B"))
    status, reason = attachments(engine)["emailing/E1"]
    assert status == "apart"
    assert reason == (
        f"has no name; left apart: email {EMAIL} is held by persons {persons[0]} and {persons[1]}"
    )
    explained = explain_records(engine, ProjectConfig(), "emailing:E1", "crm:A")
    assert not explained.same_person
    assert [a.status for a in explained.attachments] == ["apart"]
    assert f"is held by persons {persons[0]} and {persons[1]}" in str(explained.attachments[0])


def test_nameless_records_of_an_e_mail_dropped_by_a_limit_join_the_merged_accounts(
    engine: Engine, run: Run
) -> None:
    # two CRM accounts share the e-mail: the limit of one customer id per source drops
    # it, and the e-mail events hung alone; once the accounts are one person (here by an
    # override, as matching would with on_conflict: merge_when_certain), they follow
    rows = [
        named("A1", "Anne", customer_id="A1"),
        named("A2", "Anne", customer_id="A2"),
        event("E1"),
    ]
    write_records(engine, rows)
    run()
    assert groups(engine) == {
        frozenset({"crm/A1"}),
        frozenset({"crm/A2"}),
        frozenset({"emailing/E1"}),
    }
    assert "is held by persons" in attachments(engine)["emailing/E1"][1]
    config = ProjectConfig.model_validate(
        {"identity": {"overrides": {"must_link": [["crm:A1", "crm:A2"]]}}}
    )
    run(config, run_id="r2")
    assert groups(engine) == {frozenset({"crm/A1", "crm/A2", "emailing/E1"})}
    assert attachments(engine)["emailing/E1"][0] == "attached"


def test_an_override_keeping_a_nameless_record_apart_wins(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [named("A1", "Anne", customer_id="A1"), named("A2", "Anne", customer_id="A2"), event("E1")],
    )
    config = ProjectConfig.model_validate(
        {
            "identity": {
                "overrides": {
                    "must_link": [["crm:A1", "crm:A2"]],
                    "cannot_link": [["crm:A1", "emailing:E1"]],
                }
            }
        }
    )
    run(config)
    assert groups(engine) == {frozenset({"crm/A1", "crm/A2"}), frozenset({"emailing/E1"})}
    status, reason = attachments(engine)["emailing/E1"]
    assert status == "apart"
    assert reason.endswith("by an identity override")
