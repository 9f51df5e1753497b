"""Each person's current consent: latest signal wins, a withdrawal wins a tie, no record
means the purpose's default (opt-in unless legitimate interest)."""

from __future__ import annotations

from typing import Any

from personae.catalog import CONSENT_FLAGS, PROFILE_CONSENT
from personae.pipeline import run
from personae.profile.stage import ProfileReport

CONFIG = """
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {email: email, first_name: first, last_name: last}
    consent:
      - {column: optin_email, purpose: email_marketing, at: optin_at}
      - {column: optin_ads, purpose: advertising, at: optin_at}
  shop:
    kind: people
    path: shop.csv
    record_id: id
    fields: {email: email, first_name: first, last_name: last}
    consent:
      - {column: news, purpose: email_marketing, at: news_at, proof: form}
      - {column: perso_web, purpose: personalisation, channel: web, at: news_at}
consent:
  purposes:
    analytics: {channels: [web], basis: legitimate_interest}
    email_marketing: {channels: [email]}
    advertising: {channels: [ads]}
    personalisation: {channels: [web, email]}
"""

# ann: granted in the CRM, withdrawn later in the shop -> withdrawn
# bob: granted and withdrawn at the same time -> withdrawn
# cat: withdrawn, then granted later -> granted
# dan: no consent at all
CRM = """\
id,email,first,last,optin_email,optin_ads,optin_at
1,ann@corp.fr,Ann,Lee,yes,yes,2024-01-01
2,bob@corp.fr,Bob,Ray,yes,,2024-02-01
3,cat@corp.fr,Cat,Poe,no,,2024-01-01
4,dan@corp.fr,Dan,Kim,,,
"""
SHOP = """\
id,email,first,last,news,perso_web,news_at,form
a,ann@corp.fr,Ann,Lee,no,yes,2024-03-01,shop-footer
b,bob@corp.fr,Bob,Ray,no,,2024-02-01,
c,cat@corp.fr,Cat,Poe,yes,,2024-05-01,checkout
"""


def flags(project: Any) -> dict[str, dict[str, Any]]:
    table = project.engine.query(
        f"SELECT p.email, c.* FROM {CONSENT_FLAGS} c JOIN profiles p USING (person_id)"
    )
    return {row.pop("email"): row for row in table.to_pylist()}


def test_current_state_per_purpose_and_channel(make_project: Any) -> None:
    project = make_project(CONFIG, {"crm.csv": CRM, "shop.csv": SHOP})
    report = run(project).get("profile")
    state = flags(project)
    columns = [c for c in state["ann@corp.fr"] if c != "person_id"]
    assert columns == [
        "consent_analytics",
        "consent_email_marketing",
        "consent_advertising",
        "consent_personalisation",
        "consent_personalisation_web",
        "consent_personalisation_email",
    ]
    email = {k: v["consent_email_marketing"] for k, v in state.items()}
    assert email == {
        "ann@corp.fr": False,  # a later withdrawal
        "bob@corp.fr": False,  # a tie: the withdrawal wins
        "cat@corp.fr": True,  # a later grant
        "dan@corp.fr": False,  # no record: opt-in purposes default to no
    }
    # legitimate interest: everybody until they object
    assert all(v["consent_analytics"] for v in state.values())
    assert state["ann@corp.fr"]["consent_advertising"] is True
    # a purpose on two channels holds for the purpose only when both are granted
    ann = state["ann@corp.fr"]
    assert ann["consent_personalisation_web"] is True
    assert ann["consent_personalisation_email"] is False
    assert ann["consent_personalisation"] is False
    # the winning signal keeps its source, record and proof
    rows = project.engine.rows(
        f"SELECT status, source, record_id, proof FROM {PROFILE_CONSENT} c "
        "JOIN profiles p USING (person_id) "
        "WHERE p.email = 'cat@corp.fr' AND c.purpose = 'email_marketing'"
    )
    assert rows == [("granted", "shop", "c", "checkout")]
    assert isinstance(report, ProfileReport)
    assert report.consent.persons == 3
    assert report.consent.granted is not None
    assert report.consent.granted["consent_email_marketing"] == 1
