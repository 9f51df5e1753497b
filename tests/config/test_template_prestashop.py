"""`personae init --template prestashop` on PrestaShop's tables (ps_customer, ps_address,
ps_country, ps_orders, ps_currency, with their documented columns). PrestaShop lives in
MySQL; the template's queries are plain SQL, so they run here on SQLite, the template's
URL pointed at a file built from the same schema."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from helpers.templates import init_template, invoke, person_of, quarantined, record, warehouse

SCHEMA = """
CREATE TABLE ps_customer (
  id_customer INTEGER PRIMARY KEY, id_shop_group INTEGER DEFAULT 1, id_shop INTEGER DEFAULT 1,
  id_gender INTEGER, id_default_group INTEGER DEFAULT 3, id_lang INTEGER DEFAULT 1,
  id_risk INTEGER DEFAULT 0, company TEXT, siret TEXT, ape TEXT, firstname TEXT NOT NULL,
  lastname TEXT NOT NULL, email TEXT NOT NULL, passwd TEXT NOT NULL DEFAULT '',
  last_passwd_gen TEXT, birthday TEXT, newsletter INTEGER DEFAULT 0,
  ip_registration_newsletter TEXT, newsletter_date_add TEXT, optin INTEGER DEFAULT 0,
  website TEXT, outstanding_allow_amount REAL DEFAULT 0, show_public_prices INTEGER DEFAULT 0,
  max_payment_days INTEGER DEFAULT 60, secure_key TEXT DEFAULT '-1', note TEXT,
  active INTEGER DEFAULT 1, is_guest INTEGER DEFAULT 0, deleted INTEGER DEFAULT 0,
  date_add TEXT NOT NULL, date_upd TEXT NOT NULL, reset_password_token TEXT,
  reset_password_validity TEXT
);
CREATE TABLE ps_address (
  id_address INTEGER PRIMARY KEY, id_country INTEGER NOT NULL, id_state INTEGER,
  id_customer INTEGER DEFAULT 0, id_manufacturer INTEGER DEFAULT 0,
  id_supplier INTEGER DEFAULT 0, id_warehouse INTEGER DEFAULT 0, alias TEXT NOT NULL,
  company TEXT, lastname TEXT NOT NULL, firstname TEXT NOT NULL, address1 TEXT NOT NULL,
  address2 TEXT, postcode TEXT, city TEXT NOT NULL, other TEXT, phone TEXT,
  phone_mobile TEXT, vat_number TEXT, dni TEXT, date_add TEXT NOT NULL,
  date_upd TEXT NOT NULL, active INTEGER DEFAULT 1, deleted INTEGER DEFAULT 0
);
CREATE TABLE ps_country (id_country INTEGER PRIMARY KEY, iso_code TEXT NOT NULL);
CREATE TABLE ps_currency (id_currency INTEGER PRIMARY KEY, iso_code TEXT NOT NULL);
CREATE TABLE ps_orders (
  id_order INTEGER PRIMARY KEY, reference TEXT, id_shop_group INTEGER DEFAULT 1,
  id_shop INTEGER DEFAULT 1, id_carrier INTEGER, id_lang INTEGER, id_customer INTEGER,
  id_cart INTEGER, id_currency INTEGER, id_address_delivery INTEGER,
  id_address_invoice INTEGER, current_state INTEGER, secure_key TEXT, payment TEXT,
  conversion_rate REAL DEFAULT 1, module TEXT, total_discounts REAL DEFAULT 0,
  total_paid REAL, total_paid_tax_incl REAL, total_paid_tax_excl REAL,
  total_paid_real REAL, total_products REAL, total_products_wt REAL,
  total_shipping REAL, invoice_number INTEGER DEFAULT 0, delivery_number INTEGER DEFAULT 0,
  valid INTEGER DEFAULT 0, date_add TEXT NOT NULL, date_upd TEXT NOT NULL
);
INSERT INTO ps_country VALUES (8, 'FR'), (3, 'BE'), (19, 'CH');
INSERT INTO ps_currency VALUES (1, 'EUR'), (2, 'CHF');
"""

CUSTOMERS = [
    # id, gender, first, last, email, birthday, newsletter, newsletter_date_add, optin,
    # is_guest, deleted, date_add, date_upd
    (1, 2, "Amélie", "Dupont", "amelie.dupont@orange.fr", "1984-05-12", 1,
     "2024-01-03 10:00:00", 0, 0, 0, "2024-01-03 10:00:00", "2025-06-01 09:00:00"),
    (2, 1, "JEAN-PIERRE", "LE GOFF", "JP.LEGOFF@Gmail.com", "0000-00-00", 0, None, 1, 0, 0,
     "2024-02-10 08:30:00", "2024-02-10 08:30:00"),
    (3, 1, "Thomas", "Müller", "thomas.muller@bluewin.ch", "1975-11-30", 1,
     "2024-03-01 12:00:00", 1, 0, 0, "2024-03-01 12:00:00", "2024-03-01 12:00:00"),
    # a guest checkout, then an account of the same person with the same e-mail
    (4, 2, "Sophie", "Lambert", "sophie.lambert@laposte.net", None, 0, None, 0, 1, 0,
     "2024-04-02 15:00:00", "2024-04-02 15:00:00"),
    (5, 2, "Sophie", "Lambert", "Sophie.Lambert@laposte.net", "1990-08-21", 1,
     "2024-09-09 20:00:00", 0, 0, 0, "2024-09-09 20:00:00", "2024-09-09 20:00:00"),
    # deleted in the back office: never loaded
    (6, 1, "Marc", "Roux", "marc.roux@free.fr", None, 0, None, 0, 0, 1,
     "2024-05-05 10:00:00", "2025-01-01 10:00:00"),
]  # fmt: skip

ADDRESSES = [
    # id, country, customer, alias, last, first, address1, postcode, city, phone, mobile,
    # deleted, date_add
    (10, 8, 1, "Domicile", "Dupont", "Amélie", "3 rue des Lilas", "35000", "Rennes",
     "02 99 11 22 33", "06 11 22 33 44", 1, "2024-01-03 10:00:00"),
    (11, 8, 1, "Nouveau", "Dupont", "Amélie", "18 bd de la Liberté", "59000", "Lille",
     "", "06.11.22.33.44", 0, "2025-06-01 09:00:00"),
    (12, 3, 2, "Maison", "Le Goff", "Jean-Pierre", "Rue Haute 4", "1000", "Bruxelles",
     "+32 2 123 45 67", "", 0, "2024-02-10 08:30:00"),
    (13, 19, 3, "Home", "Müller", "Thomas", "Bahnhofstrasse 1", "8001", "Zürich",
     "", "+41 79 123 45 67", 0, "2024-03-01 12:00:00"),
    (14, 8, 5, "Maison", "Lambert", "Sophie", "7 place Bellecour", "69002", "Lyon",
     "", "0698765432", 0, "2024-09-09 20:00:00"),
]  # fmt: skip

ORDERS = [
    # id, reference, customer, currency, state, payment, total, products_wt, shipping,
    # valid, date_add, date_upd
    (100, "XKBKNABJK", 1, 1, 5, "Carte bancaire", 89.90, 84.90, 5.0, 1,
     "2025-05-02 14:03:11", "2025-05-04 09:00:00"),
    (101, "OHSATSERP", 1, 1, 6, "Chèque", 45.00, 40.00, 5.0, 0,
     "2025-06-10 10:00:00", "2025-06-11 10:00:00"),
    (102, "FFATNOMMJ", 3, 2, 2, "PayPal", 120.00, 110.00, 10.0, 1,
     "2025-07-01 18:30:00", "2025-07-01 18:31:00"),
    (103, "UOYEVOLI0", 4, 1, 2, "Carte bancaire", 32.50, 27.50, 5.0, 1,
     "2024-04-02 15:05:00", "2024-04-02 15:06:00"),
]  # fmt: skip


def build_shop(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO ps_customer (id_customer, id_gender, firstname, lastname, email, "
            "birthday, newsletter, newsletter_date_add, optin, is_guest, deleted, date_add, "
            "date_upd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            CUSTOMERS,
        )
        db.executemany(
            "INSERT INTO ps_address (id_address, id_country, id_customer, alias, lastname, "
            "firstname, address1, postcode, city, phone, phone_mobile, deleted, date_add, "
            "date_upd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, row[-1]) for row in ADDRESSES],
        )
        db.executemany(
            "INSERT INTO ps_orders (id_order, reference, id_customer, id_currency, "
            "current_state, payment, total_paid_tax_incl, total_products_wt, total_shipping, "
            "valid, date_add, date_upd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ORDERS,
        )


def point_at_sqlite(project: Path) -> None:
    """The template's MySQL URL, replaced by the SQLite file holding the same tables."""
    config = project / "personae.yml"
    text = config.read_text()
    url = "mysql://personae:${PRESTASHOP_DB_PASSWORD}@localhost:3306/prestashop"
    assert text.count(url) == 2
    config.write_text(text.replace(url, "sqlite:///data/prestashop.db"))


def test_the_template_reads_mysql_with_the_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = init_template(tmp_path, "prestashop")
    assert "${PRESTASHOP_DB_PASSWORD}@" in (project / "personae.yml").read_text()
    monkeypatch.delenv("PRESTASHOP_DB_PASSWORD", raising=False)
    code, out = invoke("--project", str(project), "validate")
    assert code == 1 and "PRESTASHOP_DB_PASSWORD is not set" in " ".join(out.split()), out
    monkeypatch.setenv("PRESTASHOP_DB_PASSWORD", "from-the-secrets-manager")
    code, out = invoke("--project", str(project), "validate")
    assert code == 0, out


def test_prestashop_tables_become_customers_orders_and_persons(tmp_path: Path) -> None:
    project = init_template(tmp_path, "prestashop")
    (project / "data").mkdir()
    build_shop(project / "data" / "prestashop.db")
    point_at_sqlite(project)
    code, out = invoke("--project", str(project), "run")
    assert code == 0, out

    with warehouse(project) as engine:
        assert quarantined(engine) == []
        loaded = {r[0] for r in engine.rows("SELECT record_id FROM records")}
        assert "6" not in loaded  # deleted in the back office
        # the newest address that is not deleted, its mobile phone first
        assert record(
            engine, "prestashop_customers", "1", "address", "postcode", "city", "phone"
        ) == ("18 boulevard de la Liberté", "59000", "Lille", "+33611223344")
        assert record(
            engine, "prestashop_customers", "2", "email", "first_name", "last_name",
            "birth_date", "gender", "country", "phone", "postcode",
        ) == (
            "jp.legoff@gmail.com", "Jean-Pierre", "Le Goff", None, "male", "BE",
            "+3221234567", "1000",
        )  # fmt: skip
        assert record(engine, "prestashop_customers", "3", "phone", "birth_date", "city") == (
            "+41791234567",
            dt.date(1975, 11, 30),
            "Zürich",
        )
        assert engine.rows(
            "SELECT invalid, examples FROM data_quality "
            "WHERE source = 'prestashop_customers' AND field = 'birth_date'"
        ) == [(1, "0000-00-00")]

        events = {
            r[0]: (r[1], r[2], json.loads(r[3]))
            for r in engine.rows("SELECT record_id, event, timestamp, properties FROM events")
        }
        assert set(events) == {"100", "101", "102", "103"}
        name, at, props = events["100"]
        assert (name, at) == ("Order Completed", dt.datetime(2025, 5, 2, 14, 3, 11))
        assert props["revenue"] == 89.9 and props["currency"] == "EUR"
        assert props["reference"] == "XKBKNABJK" and props["valid"] == 1
        assert events["102"][2]["currency"] == "CHF"

        person = person_of(engine)
        assert person["prestashop_customers", "1"] == person["prestashop_orders", "100"]
        assert person["prestashop_customers", "1"] == person["prestashop_orders", "101"]
        assert person["prestashop_customers", "4"] == person["prestashop_orders", "103"]
        # Sophie's guest checkout and her later account: one e-mail, one person
        assert person["prestashop_customers", "4"] == person["prestashop_customers", "5"]
        assert len(set(person.values())) == 4

        amelie = person["prestashop_customers", "1"]
        traits = engine.rows(
            "SELECT order_count, revenue FROM traits WHERE person_id = ?", [amelie]
        )
        assert traits == [(1, 89.9)]  # the cheque never cleared: not a valid order
        consent = dict(
            engine.rows(
                "SELECT m.record_id, c.consent_email_marketing FROM consent_flags c "
                "JOIN identity_map m USING (person_id) WHERE m.source = 'prestashop_customers'"
            )
        )
        assert consent["1"] is True and consent["5"] is True
        flags = engine.rows(
            "SELECT c.consent_email_marketing, c.consent_advertising FROM consent_flags c "
            "JOIN identity_map m USING (person_id) "
            "WHERE m.source = 'prestashop_customers' AND m.record_id = '2'"
        )
        assert flags == [(False, True)]
