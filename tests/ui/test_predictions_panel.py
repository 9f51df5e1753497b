"""The customer 360 shows a customer's predicted traits with the traits, and why they are
what they are (their history beside the customers', the churn model's heaviest
features), in the user's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.ui import client, login, warehouse_rows

pytest.importorskip("pymc_marketing")


def _customer(root: Path) -> int:
    rows = warehouse_rows(
        root,
        "SELECT person_id FROM predictions WHERE frequency >= 1 ORDER BY revenue DESC LIMIT 1",
    )
    return int(rows[0][0])


def test_the_360_explains_the_predictions(ui_project: Path) -> None:
    person = _customer(ui_project)
    english = client(ui_project)
    login(english, "alice")
    page = english.get(f"/ui/persons/{person}").text
    assert "predicted_clv_12m" in page and "churn_risk" in page
    details = english.get(f"/ui/persons/{person}/details").text
    assert "Why these predictions" in details
    assert "days since the last order" in details
    assert "What weighs most in the churn risk" in details
    french = client(ui_project)
    login(french, "marc")
    details = french.get(f"/ui/persons/{person}/details").text
    assert "Pourquoi ces prédictions" in details
    assert "jours depuis la dernière commande" in details
