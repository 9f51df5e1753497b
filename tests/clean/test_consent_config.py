"""``consent:`` in personae.yml: defaults, and references checked with a fix."""

from __future__ import annotations

import pytest

from personae.config import parse_config
from personae.errors import ConfigError

SOURCE = """
sources:
  crm:
    kind: people
    path: crm.csv
    consent:
      - {column: optin, purpose: %s}
"""


def test_defaults_declare_the_usual_purposes_all_opt_in() -> None:
    consent = parse_config("sources: {}").consent
    assert list(consent.purposes) == [
        "analytics",
        "email_marketing",
        "sms_marketing",
        "advertising",
        "personalisation",
    ]
    assert {p.basis for p in consent.purposes.values()} == {"consent"}
    assert consent.purposes["personalisation"].channels == ("web", "email")
    assert ("email_marketing", "email") in consent.pairs()


def test_a_source_column_names_a_declared_purpose() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(SOURCE % "emailing")
    assert str(err.value) == (
        "personae.yml: sources.crm.consent.0: no purpose 'emailing'; use one of analytics, "
        "email_marketing, sms_marketing, advertising, personalisation, or declare it under "
        "consent.purposes"
    )


def test_a_channel_must_be_one_of_the_purposes() -> None:
    text = SOURCE.replace("purpose: %s}", "purpose: email_marketing, channel: sms}")
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert str(err.value) == (
        "personae.yml: sources.crm.consent.0: purpose 'email_marketing' does not reach people "
        "by 'sms'; its channels are email (add sms to consent.purposes.email_marketing.channels "
        "if it should)"
    )


def test_purposes_and_categories_are_checked() -> None:
    with pytest.raises(ConfigError, match="channel 'fax' is not one of"):
        parse_config(
            "consent:\n  purposes:\n    promo: {channels: [fax]}\n  categories: {}\n"
            "  unsubscribe: {purpose: promo, channel: fax}"
        )
    with pytest.raises(ConfigError, match=r"consent.categories.C0002: no purpose 'stats'"):
        parse_config("consent:\n  categories: {C0002: stats}")
    with pytest.raises(ConfigError, match="lower-case letters"):
        parse_config("consent:\n  purposes:\n    Email-Marketing: {channels: [email]}")


def test_legitimate_interest_and_one_channel_written_alone() -> None:
    consent = parse_config(
        "consent:\n  purposes:\n    analytics: {channels: web, basis: legitimate_interest}\n"
        "    email_marketing: {channels: [email]}\n  categories: {}"
    ).consent
    assert consent.purposes["analytics"].channels == ("web",)
    assert consent.purposes["analytics"].basis == "legitimate_interest"


def test_a_destination_for_a_purpose_on_several_channels_names_its_channel() -> None:
    text = (
        "segments:\n  s: {all: [{trait: country, '=': FR}]}\n"
        "destinations:\n  d: {type: file, segment: s, path: d.csv, purpose: personalisation}\n"
    )
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert str(err.value) == (
        "personae.yml: destinations.d.channel: purpose 'personalisation' reaches people on "
        "several channels (web, email); say which one this destination uses, e.g. channel: web"
    )
    fixed = text.replace("purpose: personalisation}", "purpose: personalisation, channel: web}")
    assert parse_config(fixed).destinations["d"].channel == "web"
