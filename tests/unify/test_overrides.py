"""Manual overrides: must_link and cannot_link pairs, applied on every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.unify import Run, groups, history, person_of, write_records
from personae.config.identity import IdentityTypeRule
from personae.config.loader import load_config
from personae.config.models import ProjectConfig
from personae.config.overrides import IdentityOverrides
from personae.engine import Engine
from personae.errors import ConfigError


def with_overrides(
    must_link: list[tuple[str, str]] | None = None,
    cannot_link: list[tuple[str, str]] | None = None,
    **identity: object,
) -> ProjectConfig:
    return ProjectConfig.model_validate(
        {
            "identity": {
                **identity,
                "overrides": {
                    "must_link": [list(p) for p in must_link or []],
                    "cannot_link": [list(p) for p in cannot_link or []],
                },
            }
        }
    )


def chain(engine: Engine) -> None:
    """A -email- B -phone- C: one person without overrides."""
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "email": "ann@mail.fr"},
            {"source": "crm", "record_id": "B", "email": "ann@mail.fr", "phone": "+33612345670"},
            {"source": "shop", "record_id": "C", "phone": "+33612345670"},
        ],
    )


def test_must_link_merges_unrelated_records_and_survives_a_rerun(engine: Engine, run: Run) -> None:
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "C1", "email": "ann@mail.fr"},
            {"source": "crm", "record_id": "C2", "email": "ann@mail.fr"},
            {"source": "loyalty", "record_id": "L1", "loyalty_id": "L-77"},
            {"source": "shop", "record_id": "S1", "phone": "+33698765432"},
        ],
    )
    run()
    assert frozenset({"loyalty/L1"}) in groups(engine)
    before = person_of(engine, "crm", "C1")

    config = with_overrides(must_link=[("crm:C1", "loyalty:L1")])
    report = run(config, run_id="r2")
    expected = {frozenset({"crm/C1", "crm/C2", "loyalty/L1"}), frozenset({"shop/S1"})}
    assert groups(engine) == expected
    assert report.merges == 1
    # the older id survives; the loyalty record's old id is retired into it
    assert person_of(engine, "loyalty", "L1") == before

    again = run(config, run_id="r3")
    assert groups(engine) == expected
    assert person_of(engine, "loyalty", "L1") == before
    assert again.merges == again.splits == again.new_persons == 0


def test_cannot_link_cuts_a_chain_and_logs_the_dropped_link(engine: Engine, run: Run) -> None:
    chain(engine)
    run()
    assert groups(engine) == {frozenset({"crm/A", "crm/B", "shop/C"})}
    kept = person_of(engine, "crm", "A")

    # email outranks phone by default: the phone link is the weakest and is dropped
    config = with_overrides(cannot_link=[("crm:A", "shop:C")])
    report = run(config, run_id="r2")
    assert groups(engine) == {frozenset({"crm/A", "crm/B"}), frozenset({"shop/C"})}
    assert report.override_drops == 1
    assert report.splits == 1
    assert person_of(engine, "crm", "A") == kept  # the majority keeps the id
    dropped = history(engine, "drop_link")
    assert [(d["id_type"], d["id_value"]) for d in dropped] == [("phone", "+33612345670")]
    assert "cannot_link override [crm:A, shop:C]" in dropped[0]["reason"]
    assert ("crm", "B", "phone", "+33612345670") not in set(
        engine.rows("SELECT source, record_id, id_type, id_value FROM identifiers")
    )

    again = run(config, run_id="r3")
    assert groups(engine) == {frozenset({"crm/A", "crm/B"}), frozenset({"shop/C"})}
    assert person_of(engine, "crm", "A") == kept
    assert again.merges == again.splits == again.new_persons == 0
    assert len(history(engine, "drop_link")) == 1  # logged once


def test_cannot_link_drops_the_lowest_priority_link(engine: Engine, run: Run) -> None:
    chain(engine)
    config = with_overrides(
        cannot_link=[("crm:A", "shop:C")],
        types={"phone": IdentityTypeRule(priority=1), "email": IdentityTypeRule(priority=5)},
    )
    run(config)
    assert groups(engine) == {frozenset({"crm/A"}), frozenset({"crm/B", "shop/C"})}
    assert [d["id_type"] for d in history(engine, "drop_link")] == ["email"]


def test_cannot_link_and_must_link_together(engine: Engine, run: Run) -> None:
    chain(engine)
    write_records(engine, [{"source": "pos", "record_id": "X"}], replace=False)
    config = with_overrides(must_link=[("pos:X", "shop:C")], cannot_link=[("pos:X", "crm:A")])
    run(config)
    assert groups(engine) == {frozenset({"crm/A", "crm/B"}), frozenset({"shop/C", "pos/X"})}


def test_contradictory_overrides_are_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="contradicts must_link"):
        IdentityOverrides.model_validate(
            {
                "must_link": [["crm:A", "crm:B"], ["crm:B", "shop:C"]],
                "cannot_link": [["shop:C", "crm:A"]],
            }
        )
    (tmp_path / "personae.yml").write_text(
        "identity:\n  overrides:\n    must_link: [['a:1', 'b:2']]\n"
        "    cannot_link: [['b:2', 'a:1']]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="contradicts must_link") as caught:
        load_config(tmp_path)
    assert caught.value.path == "identity.overrides"


def test_a_badly_named_record_names_its_key(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(
        "identity:\n  overrides:\n    must_link: [['crm:C1', 'C2']]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.path == "identity.overrides.must_link.0.1"
    assert "source:record_id" in str(caught.value)


def test_unknown_records_are_a_warning(engine: Engine, run: Run) -> None:
    chain(engine)
    report = run(with_overrides(must_link=[("crm:A", "crm:NOPE")]))
    assert groups(engine) == {frozenset({"crm/A", "crm/B", "shop/C"})}
    assert len(report.warnings) == 1
    assert "crm:NOPE" in report.warnings[0]


def test_overrides_keep_the_parts_limits_made(engine: Engine, run: Run) -> None:
    # two CRM customer ids share an email: the limit (one customer_id per source) splits
    write_records(
        engine,
        [
            {"source": "crm", "record_id": "A", "customer_id": "1", "email": "x@mail.fr"},
            {"source": "crm", "record_id": "B", "customer_id": "2", "email": "x@mail.fr"},
            {"source": "crm", "record_id": "A2", "customer_id": "1"},
            {"source": "pos", "record_id": "P"},
        ],
    )
    run()
    split = groups(engine)
    assert frozenset({"crm/A", "crm/A2"}) in split and frozenset({"crm/B"}) in split
    run(with_overrides(must_link=[("pos:P", "crm:B")]), run_id="r2")
    assert groups(engine) == {frozenset({"crm/A", "crm/A2"}), frozenset({"crm/B", "pos/P"})}
