from __future__ import annotations

from pathlib import Path

import pytest

from personae.config import load_config, parse_config
from personae.config.starter import write_starter_project
from personae.errors import ConfigError

SOURCE = """
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields:
{fields}
"""


def _source(fields: str) -> str:
    return SOURCE.format(fields="\n".join("      " + line for line in fields.splitlines()))


def test_unknown_canonical_field_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(_source("emial: mail"))
    assert str(err.value) == (
        "personae.yml: sources.crm.fields.emial: unknown canonical field; did you mean 'email'?"
    )


def test_unknown_key_is_forbidden_with_a_suggestion() -> None:
    text = _source("email: mail").replace("record_id: id", "record_id: id\n    delimter: ';'")
    with pytest.raises(ConfigError, match=r"sources\.crm\.delimter: unknown key; did you mean"):
        parse_config(text)


def test_per_source_date_formats_and_phone_regions() -> None:
    config = parse_config(
        _source(
            'birth_date: {column: dob, format: "%d/%m/%Y"}\n'
            "phone: {column: tel, region: BE}\n"
            "full_name: {column: name, order: last_first}"
        )
    )
    specs = config.sources["crm"].field_specs()
    assert specs["birth_date"].format == "%d/%m/%Y"
    assert specs["phone"].region == "BE"
    assert specs["full_name"].order == "last_first"


def test_custom_fields_extend_the_canonical_ones() -> None:
    text = "custom_fields:\n  vip_tier: {type: string}\n  sap_id: {identity: true}\n" + _source(
        "vip_tier: tier\nsap_id: sap"
    )
    config = parse_config(text)
    assert "sap_id" in config.identity_fields
    assert "vip_tier" not in config.identity_fields


def test_events_source_needs_an_event_section() -> None:
    text = "sources:\n  orders: {kind: events, path: o.csv}\n"
    with pytest.raises(ConfigError, match=r"sources\.orders: an events source needs"):
        parse_config(text)


def test_unknown_source_in_priority_is_named() -> None:
    text = _source("email: mail") + "profiles:\n  source_priority: [crn]\n"
    with pytest.raises(ConfigError, match=r"profiles\.source_priority\.0: unknown source 'crn'"):
        parse_config(text)


def test_segment_operator_must_be_known() -> None:
    text = "segments:\n  s:\n    all:\n      - {trait: x, '~': 1}\n"
    with pytest.raises(ConfigError, match="unknown operator"):
        parse_config(text)


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        parse_config("sources:\n  crm: [unclosed\n")


def test_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="personae init"):
        load_config(tmp_path)


def test_starter_project_validates(tmp_path: Path) -> None:
    write_starter_project(tmp_path)
    config = load_config(tmp_path)
    assert set(config.sources) == {"crm", "orders"}
    assert (tmp_path / "data" / "customers.csv").exists()


def test_a_destination_without_a_known_type_says_what_to_write() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("destinations:\n  a: {segment: b, path: x.csv}")
    assert str(err.value) == "personae.yml: destinations.a: needs 'type:' to say which kind it is"
    with pytest.raises(ConfigError) as err:
        parse_config("destinations:\n  a: {type: ftp, segment: b, path: x.csv}")
    assert str(err.value) == (
        "personae.yml: destinations.a: needs 'type:' to say which kind it is; one of: file, webhook"
    )


MIXED = """
sources:
  support:
    kind: events
    path: data/support.csv
    fields:
{fields}
    event: {{name: Ticket, timestamp: {{column: at}}}}
"""


def test_a_mixed_column_is_declared_once_with_the_fields_it_routes_to() -> None:
    config = parse_config(MIXED.format(fields="      contact: {column: c, as: [email, phone]}"))
    spec = config.sources["support"].field_specs()["contact"]
    assert (spec.column, spec.mixed) == ("c", ("email", "phone"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("      contact: {column: c, as: [email]}", r"fields.contact.as must list .* each once"),
        ("      contact: {column: c, as: [email, name]}", r"among email, phone"),
        ("      contact: {column: c, as: [email, phone], format: x}", r"not format; write"),
        ("      email: {column: c, as: [email, phone]}", r"a name of its own, e.g. contact:"),
        (
            "      contact: {column: c, as: [email, phone]}\n      email: e",
            r"email is mapped twice, by fields.contact .* and by fields.email; map each field",
        ),
    ],
)
def test_a_mixed_column_is_checked_strictly(fields: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(MIXED.format(fields=fields))
