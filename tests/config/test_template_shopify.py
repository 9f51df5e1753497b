"""`personae init --template shopify` on a customers export and an orders export written
from Shopify's documented columns (one row per line item, order fields on the first)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from helpers.templates import (
    csv_text,
    init_template,
    person_of,
    quarantined,
    record,
    run_project,
    warehouse,
)

CUSTOMER_COLUMNS = [
    "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
    "Default Address Company", "Default Address Address1", "Default Address Address2",
    "Default Address City", "Default Address Province Code", "Default Address Country Code",
    "Default Address Zip", "Default Address Phone", "Phone", "Accepts SMS Marketing",
    "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags",
]  # fmt: skip

ORDER_COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
    "Discount Code", "Discount Amount", "Shipping Method", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price",
    "Lineitem sku", "Lineitem requires shipping", "Lineitem taxable",
    "Lineitem fulfillment status", "Billing Name", "Billing Street", "Billing Address1",
    "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name",
    "Shipping Street", "Shipping Address1", "Shipping Address2", "Shipping Company",
    "Shipping City", "Shipping Zip", "Shipping Province", "Shipping Country",
    "Shipping Phone", "Notes", "Note Attributes", "Cancelled at", "Payment Method",
    "Payment Reference", "Refunded Amount", "Vendor", "Id", "Tags", "Risk Level", "Source",
    "Phone",
]  # fmt: skip


def customer(cid: str, first: str, last: str, email: str, **more: str) -> dict[str, str]:
    row = {"Customer ID": cid, "First Name": first, "Last Name": last, "Email": email}
    row.update({key.replace("_", " "): value for key, value in more.items()})
    return row


CUSTOMERS = [
    customer(
        "7001", "Jeanne", "Martin", "jeanne.martin@mail.fr", **{
            "Accepts Email Marketing": "yes", "Default Address Address1": "12 rue Oberkampf",
            "Default Address City": "Paris", "Default Address Country Code": "FR",
            "Default Address Zip": "75011", "Phone": "'+33612345678",
            "Accepts SMS Marketing": "no", "Total Spent": "104.80", "Total Orders": "1",
            "Tags": "vip, newsletter",
        },
    ),
    customer(
        "7002", "PAUL", "Durand", "PAUL.DURAND@Mail.fr ", **{
            "Accepts Email Marketing": "no", "Default Address City": "Lyon",
            "Default Address Country Code": "FR", "Default Address Zip": "69003",
            "Phone": "06 98 76 54 32", "Accepts SMS Marketing": "yes", "Total Spent": "35.50",
        },
    ),
    customer(
        "7003", "Léa", "Petit", "lea.petit@mail.fr", **{
            "Accepts Email Marketing": "yes", "Default Address City": "Bordeaux",
            "Default Address Country Code": "FR", "Phone": "+33 6 45 22 33 44",
        },
    ),
    customer(
        "7004", "John", "Smith", "John.Smith@example.co.uk", **{
            "Accepts Email Marketing": "no", "Default Address City": "London",
            "Default Address Country Code": "GB", "Default Address Zip": "SW1A 1AA",
            "Phone": "+44 7700 900123", "Tax Exempt": "no",
        },
    ),
    customer("7005", "Chloé", "Lefèvre", "", **{"Phone": "n/a"}),
]  # fmt: skip


def order(name: str, email: str, created: str, item: str, sku: str, **more: str) -> dict[str, str]:
    row = {
        "Name": name, "Email": email, "Created at": created, "Lineitem quantity": "1",
        "Lineitem name": item, "Lineitem sku": sku,
    }  # fmt: skip
    row.update(more)
    return row


ORDERS = [
    order(
        "#1001", "jeanne.martin@mail.fr", "2026-03-01 10:12:00 +0100", "Sac cabas cuir",
        "SAC-01", **{
            "Financial Status": "paid", "Currency": "EUR", "Subtotal": "94.80",
            "Total": "104.80", "Billing Name": "Jeanne Martin", "Billing City": "Paris",
            "Billing Address1": "12 rue Oberkampf", "Billing Zip": "'75011",
            "Billing Country": "FR", "Billing Phone": "+33612345678", "Lineitem price": "59.90",
        },
    ),
    # the order's second line item: only the line item's columns, and the order's Name
    order("#1001", "jeanne.martin@mail.fr", "2026-03-01 10:12:00 +0100", "Foulard soie",
          "FOU-07", **{"Lineitem price": "34.90"}),
    order(
        "#1002", "paul.durand@mail.fr", "2026-03-04 18:40:00 +0100", "Baskets", "BAS-02", **{
            "Financial Status": "paid", "Currency": "EUR", "Total": "35.50",
            "Billing Name": "Paul Durand", "Billing City": "Lyon", "Billing Country": "FR",
        },
    ),
    # Léa checks out as a guest with another e-mail; her phone is written the French way
    order(
        "#1003", "lea.p@mail.fr", "2026-03-09 09:05:00 +0100", "Robe lin", "ROB-11", **{
            "Financial Status": "paid", "Currency": "EUR", "Total": "249.00",
            "Billing Name": "Léa Petit", "Billing Phone": "06 45 22 33 44",
            "Billing City": "Bordeaux", "Billing Country": "FR",
        },
    ),
    order(
        "#1004", "john.smith@example.co.uk", "2026-03-20 12:30:00 +0000", "Trench coat",
        "TRE-03", **{
            "Financial Status": "partially_refunded", "Currency": "GBP", "Total": "310.00",
            "Billing Name": "John Smith", "Billing Country": "GB",
            "Billing Phone": "07700 900123", "Lineitem quantity": "2",
        },
    ),
    order("#1004", "john.smith@example.co.uk", "2026-03-20 12:30:00 +0000", "Scarf", "SCA-09"),
    order("#1004", "john.smith@example.co.uk", "2026-03-20 12:30:00 +0000", "Belt", "BEL-04"),
    # a guest who has no account
    order(
        "#1005", "MARC.ROUX@mail.fr", "2026-03-28 16:00:00 +0200", "Ceinture", "CEI-05", **{
            "Financial Status": "voided", "Currency": "EUR", "Total": "45.00",
            "Billing Name": "Marc Roux", "Billing Country": "France",
        },
    ),
]  # fmt: skip


def test_shopify_exports_become_customers_orders_and_persons(tmp_path: Path) -> None:
    project = init_template(tmp_path, "shopify")
    out = run_project(
        project,
        {
            "data/shopify/customers_export.csv": csv_text(CUSTOMER_COLUMNS, CUSTOMERS),
            "data/shopify/orders_export_1.csv": csv_text(ORDER_COLUMNS, ORDERS),
        },
    )
    assert "folded" in out and "no table keeps" not in out
    with warehouse(project) as engine:
        # a normal export loads clean: the rows of further line items fold into their order
        assert quarantined(engine) == []
        assert engine.rows(
            "SELECT rows_read, rows_loaded, rows_quarantined, rows_folded FROM loads "
            "WHERE source = 'shopify_orders'"
        ) == [(8, 5, 0, 3)]
        # canonical fields cleaned
        assert record(engine, "shopify_customers", "7002", "email", "phone", "first_name") == (
            "paul.durand@mail.fr",
            "+33698765432",
            "Paul",
        )
        assert record(engine, "shopify_customers", "7004", "phone", "country", "postcode") == (
            "+447700900123",
            "GB",
            "SW1A 1AA",
        )
        assert record(engine, "shopify_customers", "7005", "phone", "last_name") == (
            None,
            "Lefèvre",
        )
        assert record(engine, "shopify_orders", "#1003", "first_name", "last_name", "phone") == (
            "Léa",
            "Petit",
            "+33645223344",
        )
        # Excel's text marker before the zip; a British number written nationally cannot
        # be read as French (defaults.phone_region): counted invalid, never guessed
        assert record(engine, "shopify_orders", "#1001", "postcode", "phone") == (
            "75011",
            "+33612345678",
        )
        assert record(engine, "shopify_orders", "#1004", "phone") == (None,)
        assert engine.rows(
            "SELECT invalid, examples FROM data_quality "
            "WHERE source = 'shopify_orders' AND field = 'phone'"
        ) == [(1, "07700 900123")]
        assert record(engine, "shopify_orders", "#1005", "email", "country") == (
            "marc.roux@mail.fr",
            "FR",
        )
        # one Order Completed per order, at its UTC time, with the order's total
        events = {
            r[0]: (r[1], r[2], json.loads(r[3]))
            for r in engine.rows(
                "SELECT record_id, event, timestamp, properties FROM events ORDER BY 1"
            )
        }
        assert sorted(events) == ["#1001", "#1002", "#1003", "#1004", "#1005"]
        name, at, props = events["#1001"]
        assert name == "Order Completed"
        assert at == dt.datetime(2026, 3, 1, 9, 12)
        assert props["revenue"] == 104.8 and props["currency"] == "EUR"
        assert props["product_id"] == "SAC-01" and props["financial_status"] == "paid"
        # every line item of the order, in Segment's products shape, typed
        assert [(p["sku"], p["name"], p["price"], p["quantity"]) for p in props["products"]] == [
            ("SAC-01", "Sac cabas cuir", 59.9, 1.0),
            ("FOU-07", "Foulard soie", 34.9, 1.0),
        ]
        assert props["products"][0]["product_id"] == "SAC-01"
        # the order's own columns come from its first row
        four = events["#1004"][2]
        assert four["quantity"] == 2 and four["revenue"] == 310.0
        assert four["financial_status"] == "partially_refunded" and four["currency"] == "GBP"
        assert [(p["sku"], p["quantity"]) for p in four["products"]] == [
            ("TRE-03", 2.0),
            ("SCA-09", 1.0),
            ("BEL-04", 1.0),
        ]
        assert [p["sku"] for p in events["#1002"][2]["products"]] == ["BAS-02"]
        assert events["#1005"][1] == dt.datetime(2026, 3, 28, 14, 0)

        person = person_of(engine)
        assert person["shopify_customers", "7001"] == person["shopify_orders", "#1001"]
        assert person["shopify_customers", "7002"] == person["shopify_orders", "#1002"]
        # Léa's guest checkout joins her account through the phone
        assert person["shopify_customers", "7003"] == person["shopify_orders", "#1003"]
        assert person["shopify_customers", "7004"] == person["shopify_orders", "#1004"]
        assert len(set(person.values())) == 6  # five accounts and Marc the guest

        traits = dict(
            engine.rows(
                "SELECT m.record_id, t.revenue FROM traits t JOIN identity_map m "
                "USING (person_id) WHERE m.source = 'shopify_customers'"
            )
        )
        assert traits["7003"] == 249.0 and traits["7001"] == 104.8
        paid = dict(
            engine.rows(
                "SELECT m.record_id, t.paid_revenue FROM traits t JOIN identity_map m "
                "USING (person_id) WHERE m.source = 'shopify_orders'"
            )
        )
        assert paid["#1004"] == 310.0 and paid["#1005"] is None  # voided
        consent = dict(
            engine.rows(
                "SELECT m.record_id, c.consent_email_marketing FROM consent_flags c "
                "JOIN identity_map m USING (person_id) WHERE m.source = 'shopify_customers'"
            )
        )
        assert consent["7001"] is True and consent["7002"] is False


def test_a_later_orders_export_updates_orders_and_adds_new_ones(tmp_path: Path) -> None:
    project = init_template(tmp_path, "shopify")
    customers = csv_text(CUSTOMER_COLUMNS, CUSTOMERS)
    run_project(
        project,
        {
            "data/shopify/customers_export.csv": customers,
            "data/shopify/orders_export_1.csv": csv_text(ORDER_COLUMNS, ORDERS),
        },
    )
    # the next export overlaps: #1002 refunded since, #1001 unchanged, #1006 is new
    refunded = dict(ORDERS[2], **{"Financial Status": "refunded", "Refunded Amount": "35.50"})
    later = [
        ORDERS[0],
        ORDERS[1],
        refunded,
        order("#1006", "lea.petit@mail.fr", "2026-04-02 11:00:00 +0200", "Sandales", "SAN-08",
              **{"Financial Status": "paid", "Currency": "EUR", "Total": "79.00"}),
        order("#1006", "lea.petit@mail.fr", "2026-04-02 11:00:00 +0200", "Chapeau", "CHA-01"),
    ]  # fmt: skip
    run_project(project, {"data/shopify/orders_export_2.csv": csv_text(ORDER_COLUMNS, later)})
    with warehouse(project) as engine:
        orders = dict(
            engine.rows(
                "SELECT record_id, json_extract_string(properties, '$.financial_status') "
                "FROM events"
            )
        )
        assert orders == {
            "#1001": "paid",
            "#1002": "refunded",
            "#1003": "paid",
            "#1004": "partially_refunded",
            "#1005": "voided",
            "#1006": "paid",
        }
        assert engine.scalar("SELECT count(*) FROM events") == 6  # no order twice
        lea = person_of(engine)["shopify_customers", "7003"]
        assert engine.rows(
            "SELECT order_count, revenue FROM traits WHERE person_id = ?", [lea]
        ) == [(2, 328.0)]
        assert quarantined(engine) == []
        # the second export: #1001 (two rows) unchanged, #1002 a new version, #1006 new
        assert engine.rows(
            "SELECT rows_read, rows_loaded, rows_unchanged, rows_new_versions, rows_folded "
            "FROM loads WHERE source = 'shopify_orders' ORDER BY loaded_at DESC LIMIT 1"
        ) == [(5, 2, 1, 1, 2)]
        products = engine.scalar(
            "SELECT json_extract_string(properties, '$.products[*].sku') FROM events "
            "WHERE record_id = '#1006'"
        )
        assert products == ["SAN-08", "CHA-01"]
