"""`personae init --template hubspot` on a contacts export and a deals export written
from HubSpot's documented property labels."""

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

CONTACT_COLUMNS = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
    "Street Address", "City", "Postal Code", "Country/Region", "Preferred language",
    "Lifecycle Stage", "Contact owner", "Marketing contact status",
    "Unsubscribed from all email", "Create Date", "Last Modified Date",
]  # fmt: skip

DEAL_COLUMNS = [
    "Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date", "Create Date",
    "Last Modified Date", "Deal owner", "Associated Contact IDs",
]  # fmt: skip


def contact(rid: str, first: str, last: str, email: str, **more: str) -> dict[str, str]:
    row = {"Record ID": rid, "First Name": first, "Last Name": last, "Email": email}
    row.update(more)
    return row


CONTACTS = [
    contact("51", "Hélène", "Girard", "helene.girard@acme.fr", **{
        "Phone Number": "01 44 55 66 77", "Mobile Phone Number": "+33 6 70 80 90 10",
        "City": "Paris", "Postal Code": "75008", "Country/Region": "France",
        "Preferred language": "French", "Lifecycle Stage": "Customer",
        "Contact owner": "Marie Curie", "Marketing contact status": "Marketing contact",
        "Unsubscribed from all email": "false", "Create Date": "2025-01-10 09:15",
        "Last Modified Date": "2026-02-01 17:40",
    }),
    contact("52", "Olivier", "Bernard", "OLIVIER.BERNARD@Acme.FR", **{
        "Mobile Phone Number": "0611223344", "Lifecycle Stage": "Lead",
        "Unsubscribed from all email": "true", "Create Date": "2025-03-02 11:00",
        "Last Modified Date": "2025-03-05 08:00",
    }),
    contact("53", "Emma", "Wilson", "emma.wilson@globex.com", **{
        "Mobile Phone Number": "+1 (415) 555-0134", "City": "San Francisco",
        "Country/Region": "United States", "Preferred language": "English",
        "Lifecycle Stage": "Opportunity", "Create Date": "2025-05-20 14:30",
        "Last Modified Date": "2025-06-01 10:00",
    }),
    # the same person entered twice by two sales reps: HubSpot kept both (no e-mail on one)
    contact("54", "Helene", "GIRARD", "", **{
        "Mobile Phone Number": "06 70 80 90 10", "Lifecycle Stage": "Lead",
        "Create Date": "2025-07-01 16:00", "Last Modified Date": "2025-07-01 16:00",
    }),
    contact("55", "François", "Nguyen", "f.nguyen@initech.fr", **{
        "Mobile Phone Number": "not given", "Lifecycle Stage": "Subscriber",
        "Create Date": "2025-09-09 09:09", "Last Modified Date": "2025-09-09 09:09",
    }),
]  # fmt: skip

DEALS = [
    {"Record ID": "9001", "Deal Name": "Acme - licences 2025", "Deal Stage": "Closed Won",
     "Pipeline": "Sales Pipeline", "Amount": "12000", "Close Date": "2025-02-28",
     "Create Date": "2025-01-15 10:00", "Associated Contact IDs": "51"},
    {"Record ID": "9002", "Deal Name": "Acme - support", "Deal Stage": "Closed Won",
     "Pipeline": "Sales Pipeline", "Amount": "2 500,50", "Close Date": "2025-11-30",
     "Create Date": "2025-10-01 10:00", "Associated Contact IDs": "51"},
    {"Record ID": "9003", "Deal Name": "Globex pilot", "Deal Stage": "Closed Lost",
     "Pipeline": "Sales Pipeline", "Amount": "8000", "Close Date": "2025-07-15",
     "Create Date": "2025-05-21 09:00", "Associated Contact IDs": "53"},
    {"Record ID": "9004", "Deal Name": "Initech renewal", "Deal Stage": "Contract Sent",
     "Pipeline": "Sales Pipeline", "Amount": "3000", "Close Date": "2026-06-30",
     "Create Date": "2026-01-05 12:00", "Associated Contact IDs": "55"},
]  # fmt: skip


def test_hubspot_exports_become_contacts_deals_and_persons(tmp_path: Path) -> None:
    project = init_template(tmp_path, "hubspot")
    run_project(
        project,
        {
            "data/hubspot/contacts-all.csv": csv_text(CONTACT_COLUMNS, CONTACTS),
            "data/hubspot/deals-all.csv": csv_text(DEAL_COLUMNS, DEALS),
        },
    )
    with warehouse(project) as engine:
        assert quarantined(engine) == []
        assert record(engine, "hubspot_contacts", "52", "email", "phone") == (
            "olivier.bernard@acme.fr",
            "+33611223344",
        )
        assert record(
            engine, "hubspot_contacts", "51", "phone", "country", "language", "first_name"
        ) == ("+33670809010", "FR", "fr", "Hélène")
        assert record(engine, "hubspot_contacts", "53", "phone", "country") == (
            "+14155550134",
            "US",
        )
        assert record(engine, "hubspot_contacts", "55", "phone") == (None,)

        events = {
            r[0]: (r[1], r[2], json.loads(r[3]))
            for r in engine.rows("SELECT record_id, event, timestamp, properties FROM events")
        }
        assert {k: v[0] for k, v in events.items()} == {
            "9001": "Deal Won",
            "9002": "Deal Won",
            "9003": "Deal Lost",
            "9004": "Contract Sent",
        }
        assert events["9001"][1] == dt.datetime(2025, 1, 15, 10, 0)
        assert events["9002"][2]["amount"] == 2500.5  # a French-written amount
        assert events["9001"][2]["close_date"].startswith("2025-02-28")

        person = person_of(engine)
        assert person["hubspot_contacts", "51"] == person["hubspot_deals", "9001"]
        assert person["hubspot_contacts", "51"] == person["hubspot_deals", "9002"]
        assert person["hubspot_contacts", "53"] == person["hubspot_deals", "9003"]
        # Hélène's second contact, without an e-mail, holds her mobile written locally
        assert person["hubspot_contacts", "51"] == person["hubspot_contacts", "54"]
        assert len({person["hubspot_contacts", c] for c in ("51", "52", "53", "54", "55")}) == 4

        helene = person["hubspot_contacts", "51"]
        assert engine.rows(
            "SELECT deals_won, won_amount FROM traits WHERE person_id = ?", [helene]
        ) == [(2, 14500.5)]
        members = {r[0] for r in engine.rows("SELECT person_id FROM segment_membership")}
        assert helene in members and person["hubspot_contacts", "52"] not in members
        optout = engine.rows(
            "SELECT c.consent_email_marketing FROM consent_flags c JOIN identity_map m "
            "USING (person_id) WHERE m.source = 'hubspot_contacts' AND m.record_id = '52'"
        )
        assert optout == [(False,)]
