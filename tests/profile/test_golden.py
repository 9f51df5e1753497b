"""Golden profiles: survivorship rules, lineage and profile_values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlglot

from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, ProjectError
from personae.profile import build_profiles
from personae.profile.golden import profile_columns, profile_values_sql, profiles_sql

D = dt.datetime


def rec(source: str, rid: str, pid: int, at: dt.datetime | None, **fields: Any) -> dict[str, Any]:
    return {"source": source, "record_id": rid, "person_id": pid, "observed_at": at, **fields}


def profile(engine: Engine, person_id: int) -> dict[str, Any]:
    table = engine.query(f"SELECT * FROM profiles WHERE person_id = {person_id}")
    assert table.num_rows == 1
    return {name: table.column(name)[0].as_py() for name in table.column_names}


def values(engine: Engine, person_id: int, field: str) -> list[tuple[Any, ...]]:
    return engine.rows(
        "SELECT value, records, source, record_id, observed_at, chosen FROM profile_values "
        f"WHERE person_id = {person_id} AND field = '{field}' ORDER BY value"
    )


RECORDS = [
    # person 1: four records from three sources
    {
        "source": "crm",
        "record_id": "c1",
        "person_id": 1,
        "observed_at": D(2024, 1, 1),
        "email": "anna@crm.fr",
        "first_name": "Anna",
        "last_name": "Martin",
        "city": "Paris",
        "country": "FR",
        "birth_date": dt.date(1990, 5, 1),
    },
    {
        "source": "shop",
        "record_id": "s1",
        "person_id": 1,
        "observed_at": D(2024, 3, 1),
        "email": "anna@shop.fr",
        "first_name": "Anne",
        "last_name": "Martin-Dupont",
        "city": "Lyon",
        "country": "BE",
    },
    {
        "source": "web",
        "record_id": "w1",
        "person_id": 1,
        "observed_at": D(2024, 2, 1),
        "email": "anna@shop.fr",
        "first_name": "Anne",
        "last_name": "Dupont",
        "city": "Lille",
        "country": "BE",
    },
    {
        "source": "shop",
        "record_id": "s2",
        "person_id": 1,
        "observed_at": D(2024, 4, 1),
        "city": "Nice",
    },
    # person 2: one record
    {
        "source": "web",
        "record_id": "w2",
        "person_id": 2,
        "observed_at": D(2024, 1, 5),
        "email": "bob@web.fr",
        "phone": "+33611111111",
    },
]

CONFIG = {
    "profiles": {
        "source_priority": ["crm", "shop"],
        "fields": {
            "email": "source_priority",
            "city": "most_recent",
            "first_name": "most_frequent",
            "country": "first_non_null",
            "last_name": {"rule": "source_priority", "sources": ["web", "shop"]},
        },
    }
}


def test_each_rule_picks_the_declared_value_with_lineage(engine: Engine, load_records) -> None:
    load_records(RECORDS)
    report = build_profiles(engine, ProjectConfig.model_validate(CONFIG))
    assert report.persons == 2
    p = profile(engine, 1)
    # source_priority: crm before shop, although shop's email is more frequent and newer
    assert (p["email"], p["email__source"], p["email__record_id"]) == ("anna@crm.fr", "crm", "c1")
    # most_recent: the latest record (s2, April), even with only a city
    assert (p["city"], p["city__source"], p["city__record_id"]) == ("Nice", "shop", "s2")
    # most_frequent: Anne (2 records) beats Anna (1); lineage = the latest of the two (s1)
    assert (p["first_name"], p["first_name__record_id"]) == ("Anne", "s1")
    # first_non_null: the oldest record with a country (c1, January)
    assert (p["country"], p["country__record_id"]) == ("FR", "c1")
    # per-field sources: web first, then shop; crm is not listed so it ranks last
    assert (p["last_name"], p["last_name__source"]) == ("Dupont", "web")
    # default rule (most_frequent) for a field held by one record
    assert p["birth_date"] == dt.date(1990, 5, 1)
    assert p["birth_date__record_id"] == "c1"
    assert p["phone"] is None and p["phone__source"] is None
    assert report.filled["email"] == 2
    assert report.filled["phone"] == 1


def test_person_statistics_and_lists(engine: Engine, load_records) -> None:
    load_records(RECORDS)
    build_profiles(engine, ProjectConfig.model_validate(CONFIG))
    p = profile(engine, 1)
    assert p["emails"] == ["anna@crm.fr", "anna@shop.fr"]
    assert p["phones"] is None
    assert p["record_count"] == 4
    assert p["sources"] == "crm,shop,web"
    assert p["first_seen_at"] == D(2024, 1, 1)
    assert p["last_seen_at"] == D(2024, 4, 1)
    assert profile(engine, 2)["phones"] == ["+33611111111"]


def test_profile_values_keep_every_value(engine: Engine, load_records) -> None:
    load_records(RECORDS)
    build_profiles(engine, ProjectConfig.model_validate(CONFIG))
    # both emails, with the number of records holding each and the chosen flag
    emails = values(engine, 1, "email")
    assert [(v, n, chosen) for v, n, _, _, _, chosen in emails] == [
        ("anna@crm.fr", 1, True),
        ("anna@shop.fr", 2, False),
    ]
    # the best record for anna@shop.fr under source_priority: shop (s1) before web (w1)
    assert emails[1][2:5] == ("shop", "s1", D(2024, 3, 1))
    # dates as ISO text
    assert values(engine, 1, "birth_date")[0][0] == "1990-05-01"
    cities = values(engine, 1, "city")
    assert [c[0] for c in cities] == ["Lille", "Lyon", "Nice", "Paris"]
    assert [c[0] for c in cities if c[5]] == ["Nice"]
    assert engine.scalar("SELECT count(*) FROM profile_values WHERE value IS NULL") == 0
    assert engine.scalar("SELECT count(*) FROM profile_values WHERE person_id = 2") == 2


def test_ties(engine: Engine, load_records) -> None:
    same = D(2024, 6, 1)
    load_records(
        [
            # most_recent tie on observed_at -> source priority (shop before web)
            rec("web", "a", 1, same, city="Web"),
            rec("shop", "b", 1, same, city="Shop"),
            # most_frequent tie on count -> most recent
            rec("web", "c", 1, D(2024, 1, 1), gender="F"),
            rec("web", "d", 1, D(2024, 2, 1), gender="M"),
            # source_priority: two unlisted sources rank equally -> most recent
            rec("pos", "e", 1, D(2024, 1, 1), language="fr"),
            rec("app", "f", 1, D(2024, 3, 1), language="en"),
            # first_non_null tie on observed_at -> source priority
            rec("web", "g", 1, same, postcode="75001"),
            rec("shop", "h", 1, same, postcode="69001"),
        ]
    )
    config = ProjectConfig.model_validate(
        {
            "profiles": {
                "source_priority": ["shop", "web"],
                "fields": {
                    "city": "most_recent",
                    "gender": "most_frequent",
                    "language": "source_priority",
                    "postcode": "first_non_null",
                },
            }
        }
    )
    build_profiles(engine, config)
    p = profile(engine, 1)
    assert (p["city"], p["city__record_id"]) == ("Shop", "b")
    assert (p["gender"], p["gender__record_id"]) == ("M", "d")
    assert (p["language"], p["language__record_id"]) == ("en", "f")
    assert (p["postcode"], p["postcode__record_id"]) == ("69001", "h")


def test_full_ties_are_deterministic(engine: Engine, load_records) -> None:
    rows = [rec("web", f"r{i}", 1, D(2024, 1, 1), city=f"C{i}") for i in range(8)]
    load_records(rows)
    config = ProjectConfig.model_validate({"profiles": {"default_rule": "most_recent"}})
    build_profiles(engine, config)
    first = profile(engine, 1)["city__record_id"]
    for _ in range(3):
        build_profiles(engine, config)
        assert profile(engine, 1)["city__record_id"] == first
    assert first == "r" + profile(engine, 1)["city"][1:]


def test_missing_observed_at_loses(engine: Engine, load_records) -> None:
    load_records(
        [
            rec("web", "a", 1, None, city="Undated"),
            rec("web", "b", 1, D(2020, 1, 1), city="Dated"),
        ]
    )
    for rule in ("most_recent", "first_non_null"):
        build_profiles(engine, ProjectConfig.model_validate({"profiles": {"default_rule": rule}}))
        assert profile(engine, 1)["city"] == "Dated"


def test_merged_persons_and_persons_without_records(engine: Engine, load_records) -> None:
    load_records(
        [
            rec("crm", "a", 1, D(2024, 1, 1), email="x@a.fr"),
            # still mapped to person 2, which was merged into person 1
            rec("crm", "b", 2, D(2024, 2, 1), email="y@a.fr"),
        ],
        merged={2: 1},
        extra_persons=[3],
    )
    report = build_profiles(engine, ProjectConfig())
    assert report.persons == 2
    assert engine.rows("SELECT person_id FROM profiles ORDER BY 1") == [(1,), (3,)]
    assert profile(engine, 1)["emails"] == ["x@a.fr", "y@a.fr"]
    assert profile(engine, 1)["record_count"] == 2
    lonely = profile(engine, 3)
    assert lonely["record_count"] == 0 and lonely["email"] is None and lonely["sources"] is None


def test_custom_fields(engine: Engine, load_records) -> None:
    load_records(
        [
            {
                "source": "crm",
                "record_id": "a",
                "person_id": 1,
                "observed_at": D(2024, 1, 1),
                "score": 12.5,
                "vip": True,
                "crm_ref": "X1",
            },
            {
                "source": "crm",
                "record_id": "b",
                "person_id": 1,
                "observed_at": D(2024, 2, 1),
                "score": 7.0,
                "vip": None,
                "crm_ref": "X2",
            },
        ],
        custom={"score": "DOUBLE", "vip": "BOOLEAN", "crm_ref": "VARCHAR"},
    )
    config = ProjectConfig.model_validate(
        {
            "custom_fields": {
                "score": {"type": "number"},
                "vip": {"type": "boolean"},
                "crm_ref": {"identity": True},
            },
            "profiles": {"default_rule": "most_recent"},
        }
    )
    build_profiles(engine, config)
    p = profile(engine, 1)
    assert p["score"] == 7.0 and isinstance(p["score"], float)
    assert p["vip"] is True
    # custom identity fields are collected but not chosen into the profile
    assert "crm_ref" not in p
    assert [v[0] for v in values(engine, 1, "crm_ref")] == ["X1", "X2"]
    assert [v[0] for v in values(engine, 1, "vip")] == ["true"]
    assert list(p) == profile_columns(config)


def test_missing_columns_give_null_fields(engine: Engine, load_records) -> None:
    load_records([{"source": "crm", "record_id": "a", "person_id": 1, "email": "x@a.fr"}])
    engine.execute("ALTER TABLE records DROP COLUMN city")
    build_profiles(engine, ProjectConfig())
    assert profile(engine, 1)["city"] is None


def test_unknown_field_in_rules(engine: Engine, load_records) -> None:
    load_records(RECORDS)
    config = ProjectConfig.model_validate({"profiles": {"fields": {"emial": "most_recent"}}})
    with pytest.raises(ConfigError, match=r"profiles\.fields\.emial.*did you mean 'email'"):
        build_profiles(engine, config)


def test_requires_the_earlier_stages(engine: Engine) -> None:
    with pytest.raises(ProjectError, match="records"):
        build_profiles(engine, ProjectConfig())


def test_sql_is_portable_to_spark() -> None:
    config = ProjectConfig.model_validate(CONFIG)
    columns = ["records", *[c for c in profile_columns(config) if c != "person_id"]]
    for sql in (profile_values_sql(config, columns), profiles_sql(config)):
        spark = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
        assert "ARRAY_SORT(COLLECT_LIST" in spark or "MIN_BY" in spark
