"""Per-type limits with priorities drop the lowest-priority links of a conflict."""

from __future__ import annotations

from helpers.unify import Run, groups, history, person_of, write_records
from personae.config.identity import IdentityConfig, IdentityTypeRule
from personae.config.models import ProjectConfig
from personae.engine import Engine


def linked_values(engine: Engine, source: str, record_id: str) -> set[tuple[str, str]]:
    return {
        (str(t), str(v))
        for t, v in engine.rows(
            "SELECT id_type, id_value FROM identifiers WHERE source = ? AND record_id = ?",
            [source, record_id],
        )
    }


def test_two_customer_ids_of_one_source_are_not_merged_by_an_email(
    engine: Engine, run: Run
) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "customer_id": "C1", "email": "dupont@mail.fr"},
            {"source": "crm", "record_id": "B", "customer_id": "C2", "email": "dupont@mail.fr"},
            # an event with the email: it cannot be told apart, it stays alone
            {"source": "esp", "record_id": "E", "email": "dupont@mail.fr"},
        ],
    )
    report = run()
    assert person_of(engine, "crm", "A") != person_of(engine, "crm", "B")
    assert report.dropped_links == 1
    (dropped,) = history(engine, "drop_link")
    assert (dropped["id_type"], dropped["id_value"]) == ("email", "dupont@mail.fr")
    assert dropped["reason"] == "would give person 2 customer_id values from source crm (limit 1)"
    assert {dropped["person_id"], dropped["other_person_id"]} <= {
        person_of(engine, "crm", "A"),
        person_of(engine, "crm", "B"),
        person_of(engine, "esp", "E"),
    }
    assert dropped["person_id"] != dropped["other_person_id"]
    # the dropped value no longer links anything; the customer ids still do
    assert linked_values(engine, "crm", "A") == {("customer_id", "C1")}
    assert linked_values(engine, "esp", "E") == set()


def test_customer_ids_of_different_sources_merge(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "customer_id": "C1", "email": "dupont@mail.fr"},
            {"source": "shop", "record_id": "B", "customer_id": "S9", "email": "dupont@mail.fr"},
        ],
    )
    report = run()
    assert groups(engine) == {frozenset({"crm/A", "shop/B"})}
    assert report.dropped_links == 0


def test_the_lower_priority_link_is_dropped(engine: Engine, run: Run) -> None:
    # A —email— C —phone— B, with A and B holding different crm customer ids: email has
    # priority over phone, so C stays with A and the phone link is dropped
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "customer_id": "C1", "email": "ana@mail.fr"},
            {"source": "crm", "record_id": "B", "customer_id": "C2", "phone": "+33655555001"},
            {
                "source": "web",
                "record_id": "C",
                "email": "ana@mail.fr",
                "phone": "+33655555001",
            },
        ],
    )
    run()
    assert groups(engine) == {frozenset({"crm/A", "web/C"}), frozenset({"crm/B"})}
    (dropped,) = history(engine, "drop_link")
    assert (dropped["id_type"], dropped["id_value"]) == ("phone", "+33655555001")
    assert "customer_id" in dropped["reason"]
    assert ("phone", "+33655555001") not in linked_values(engine, "web", "C")
    assert ("email", "ana@mail.fr") in linked_values(engine, "web", "C")


def test_priorities_come_from_the_configuration(engine: Engine, run: Run) -> None:
    types = dict(IdentityConfig().types)
    types["phone"] = IdentityTypeRule(priority=3, limit=5, household_safe=True)
    types["email"] = IdentityTypeRule(priority=4, limit=5, household_safe=True)
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "customer_id": "C1", "email": "ana@mail.fr"},
            {"source": "crm", "record_id": "B", "customer_id": "C2", "phone": "+33655555001"},
            {
                "source": "web",
                "record_id": "C",
                "email": "ana@mail.fr",
                "phone": "+33655555001",
            },
        ],
    )
    run(ProjectConfig(identity=IdentityConfig(types=types)))
    # phone now outranks email: C stays with B
    assert groups(engine) == {frozenset({"crm/B", "web/C"}), frozenset({"crm/A"})}


def test_values_that_conflict_only_together_are_all_dropped(engine: Engine, run: Run) -> None:
    # X —e1— Z —e2— Y: each email alone is fine, together they give 2 customer ids
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "X", "customer_id": "C1", "email": "one@mail.fr"},
            {"source": "crm", "record_id": "Y", "customer_id": "C2", "email": "two@mail.fr"},
            {"source": "web", "record_id": "Z1", "email": "one@mail.fr", "user_id": "U1"},
            {"source": "web", "record_id": "Z2", "email": "two@mail.fr", "user_id": "U1"},
        ],
    )
    report = run()
    assert person_of(engine, "crm", "X") != person_of(engine, "crm", "Y")
    # the user id (priority 2) is kept: Z1 and Z2 stay together
    assert person_of(engine, "web", "Z1") == person_of(engine, "web", "Z2")
    assert report.dropped_links == 2
    dropped = history(engine, "drop_link")
    assert [row["id_value"] for row in dropped] == ["one@mail.fr", "two@mail.fr"]
    assert all(row["reason"].startswith("together with other email values") for row in dropped)


def test_a_limit_above_one(engine: Engine, run: Run) -> None:
    types = dict(IdentityConfig().types)
    types["email"] = IdentityTypeRule(priority=4, limit=2)
    config = ProjectConfig(identity=IdentityConfig(types=types))
    shared = {"device_id": "dev-1"}
    rows = [
        {"source": "app", "record_id": "A", "email": "a.one@mail.fr", **shared},
        {"source": "app", "record_id": "B", "email": "b.two@mail.fr", **shared},
    ]
    write_records(engine, rows)
    run(config)
    assert groups(engine) == {frozenset({"app/A", "app/B"})}
    rows.append({"source": "app", "record_id": "C", "email": "c.three@mail.fr", **shared})
    write_records(engine, rows)
    run(config, run_id="r2")
    # a third email on the device would exceed the limit: the device does not link
    assert len(groups(engine)) == 3
    (dropped,) = history(engine, "drop_link")
    assert (dropped["id_type"], dropped["id_value"]) == ("device_id", "dev-1")
    assert dropped["reason"] == "would give person 3 email values (limit 2)"


def test_a_component_within_its_limits_is_unchanged(engine: Engine, run: Run) -> None:
    # two different emails and an anonymous id on more records than the email limit:
    # suspicious for the cheap check, but within every limit
    types = dict(IdentityConfig().types)
    types["email"] = IdentityTypeRule(priority=4, limit=2)
    rows = [
        {"source": "web", "record_id": f"W{i}", "anonymous_id": "anon-9", "email": email}
        for i, email in enumerate(["a.one@mail.fr", "b.two@mail.fr", "a.one@mail.fr"])
    ]
    write_records(engine, rows)
    report = run(ProjectConfig(identity=IdentityConfig(types=types)))
    assert groups(engine) == {frozenset({"web/W0", "web/W1", "web/W2"})}
    assert report.dropped_links == 0
