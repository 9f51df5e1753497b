"""Golden records that choose right: spellings, case, accents, and whose e-mail it is.

Each test is built from a profile that showed the wrong value while the right one was
there (issue 15)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.profile import build_profiles

Loader = Callable[..., None]
D = dt.datetime

CONFIG = ProjectConfig.model_validate(
    {
        "profiles": {
            "source_priority": ["crm", "orders", "nps", "email_events"],
            "fields": {
                "email": "source_priority",
                "phone": "source_priority",
                "first_name": "most_frequent",
                "last_name": "most_frequent",
            },
        }
    }
)


def rec(
    source: str, rid: str, pid: int, day: int, kind: str = "people", **fields: Any
) -> dict[str, Any]:
    return {"source": source, "record_id": rid, "person_id": pid, "source_kind": kind,
            "observed_at": D(2024, 1, day), **fields}  # fmt: skip


def chosen(engine: Engine, person_id: int, field: str) -> Any:
    return engine.scalar(f"SELECT {field} FROM profiles WHERE person_id = {person_id}")


def others(first: str, last: str, start: int, count: int) -> list[dict[str, Any]]:
    """``count`` other people (one record each) called ``first last``."""
    return [
        rec("crm", f"o{start + i}", start + i, 1, first_name=first, last_name=last)
        for i in range(count)
    ]


def test_a_tie_goes_to_the_spelling_common_in_the_population(
    engine: Engine, load_records: Loader
) -> None:
    load_records(
        [
            # the typo is newer, and used to win the tie on recency
            rec("crm", "c1", 1, 1, first_name="Raymond", last_name="Martin"),
            rec("orders", "w1", 1, 9, "events", first_name="Raymod", last_name="Martin"),
            # a first and last name swapped in one record: "Bonnet" is not a first name
            rec("crm", "c2", 2, 9, first_name="Bonnet", last_name="Nathan"),
            rec("orders", "w2", 2, 1, "events", first_name="Nathan", last_name="Bonnet"),
            *others("Raymond", "Petit", 100, 3),
            *others("Nathan", "Bonnet", 200, 2),
        ]
    )
    build_profiles(engine, CONFIG)
    assert chosen(engine, 1, "first_name") == "Raymond"
    assert (chosen(engine, 2, "first_name"), chosen(engine, 2, "last_name")) == (
        "Nathan",
        "Bonnet",
    )


def test_spellings_vote_together_and_the_best_written_form_is_shown(
    engine: Engine, load_records: Loader
) -> None:
    load_records(
        [
            # ALIX and Alix are one spelling (2 votes) against Alice (1)
            rec("crm", "c1", 1, 9, first_name="ALIX"),
            rec("orders", "w1", 1, 1, "events", first_name="Alix"),
            rec("nps", "n1", 1, 5, "events", first_name="Alice"),
            # Andree twice and Andrée once are one spelling, shown with its accent
            rec("crm", "c2", 2, 1, first_name="Andrée"),
            rec("orders", "w2", 2, 9, "events", first_name="Andree"),
            rec("nps", "n2", 2, 8, "events", first_name="Andree"),
            rec("crm", "c3", 3, 1, first_name="Léo"),
            rec("crm", "c4", 3, 9, first_name="LEO"),
        ]
    )
    build_profiles(engine, CONFIG)
    assert chosen(engine, 1, "first_name") == "Alix"
    assert chosen(engine, 2, "first_name") == "Andrée"
    assert chosen(engine, 3, "first_name") == "Léo"
    # every value seen stays in profile_values, one row each
    assert (
        engine.scalar(
            "SELECT count(*) FROM profile_values WHERE person_id = 1 AND field = 'first_name'"
        )
        == 3
    )


def test_the_address_used_everywhere_beats_a_guest_checkout(
    engine: Engine, load_records: Loader
) -> None:
    load_records(
        [
            # a guest checkout in a trusted source, newer, seen once
            rec("orders", "w1", 1, 9, "events", email="philippe@work.com"),
            rec("orders", "w2", 1, 2, "events", email="philippe@gmail.com"),
            rec("nps", "n1", 1, 3, "events", email="philippe@gmail.com"),
            rec("email_events", "e1", 1, 4, "events", email="philippe@gmail.com"),
            # an account's own address keeps its source's priority
            rec("crm", "c2", 2, 1, email="anna@crm.fr"),
            rec("nps", "n2", 2, 5, "events", email="anna@shop.fr"),
            rec("email_events", "e2", 2, 6, "events", email="anna@shop.fr"),
        ]
    )
    build_profiles(engine, CONFIG)
    assert chosen(engine, 1, "email") == "philippe@gmail.com"
    assert chosen(engine, 2, "email") == "anna@crm.fr"


def test_a_value_other_persons_hold_loses_to_the_person_s_own(
    engine: Engine, load_records: Loader
) -> None:
    load_records(
        [
            # the CRM holds a junk address many customers typed; the person's own is newer
            rec("crm", "c1", 1, 1, email="noemail@gmail.com", phone="+33123456789"),
            rec("orders", "w1", 1, 2, "events", email="clemence@sfr.fr", phone="+33612345678"),
            rec("nps", "n1", 1, 3, "events", email="clemence@sfr.fr"),
            rec("crm", "c2", 2, 1, email="noemail@gmail.com", phone="+33123456789"),
            rec("crm", "c3", 3, 1, email="noemail@gmail.com"),
        ]
    )
    build_profiles(engine, CONFIG)
    assert chosen(engine, 1, "email") == "clemence@sfr.fr"
    assert chosen(engine, 1, "phone") == "+33612345678"
    # a person with nothing else keeps the shared value
    assert chosen(engine, 2, "email") == "noemail@gmail.com"


def test_a_phone_in_an_unallocated_range_is_kept_and_flagged(
    engine: Engine, load_records: Loader
) -> None:
    load_records(
        [
            # the person's only phone: phonenumbers calls its range unallocated
            rec("crm", "c1", 1, 1, phone="+33400123456", phone_valid=False),
            # a valid number beats an unallocated one, even from a less trusted source
            rec("crm", "c2", 2, 1, phone="+33700000000", phone_valid=False),
            rec("orders", "w2", 2, 2, "events", phone="+33612345678", phone_valid=True),
            rec("nps", "n2", 2, 3, "events", phone="+33612345678", phone_valid=True),
            rec("crm", "c3", 3, 1, email="x@y.fr"),
        ],
        custom={"phone_valid": "BOOLEAN", "phone_mobile": "BOOLEAN"},
    )
    build_profiles(engine, CONFIG)
    assert (chosen(engine, 1, "phone"), chosen(engine, 1, "phone_valid")) == (
        "+33400123456",
        False,
    )
    assert (chosen(engine, 2, "phone"), chosen(engine, 2, "phone_valid")) == (
        "+33612345678",
        True,
    )
    assert chosen(engine, 3, "phone_valid") is None
    assert chosen(engine, 2, "phones") == ["+33612345678", "+33700000000"]


def test_the_person_s_mobile_beats_a_household_landline_the_account_declares(
    engine: Engine, load_records: Loader
) -> None:
    load_records(
        [
            rec("crm", "c1", 1, 9, phone="+33145678901", phone_valid=True, phone_mobile=False),
            rec("orders", "w1", 1, 2, "events", phone="+33612345678", phone_valid=True,
                phone_mobile=True),
        ],
        custom={"phone_valid": "BOOLEAN", "phone_mobile": "BOOLEAN"},
    )  # fmt: skip
    build_profiles(engine, CONFIG)
    assert chosen(engine, 1, "phone") == "+33612345678"
    assert chosen(engine, 1, "phones") == ["+33145678901", "+33612345678"]
