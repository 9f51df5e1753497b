"""`personae init --template brevo` on a contacts export (attributes as columns, ';'
between them) and marketing webhook payloads, written from Brevo's documentation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from helpers.templates import (
    csv_text,
    init_template,
    jsonl_text,
    person_of,
    quarantined,
    record,
    run_project,
    warehouse,
)

CONTACT_COLUMNS = [
    "EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "ADDED_TIME", "MODIFIED_TIME",
    "EMAIL_BLACKLISTED", "SMS_BLACKLISTED",
]  # fmt: skip

CONTACTS = [
    {"EMAIL": "marie.curie@labo.fr", "FIRSTNAME": "Marie", "LASTNAME": "Curie",
     "SMS": "+33612345678", "ADDED_TIME": "2025-01-05 10:00:00",
     "MODIFIED_TIME": "2026-01-10 08:00:00", "EMAIL_BLACKLISTED": "No",
     "SMS_BLACKLISTED": "No"},
    {"EMAIL": "louis.pasteur@institut.fr", "FIRSTNAME": "louis", "LASTNAME": "PASTEUR",
     "SMS": "+33 7 81 22 33 44", "ADDED_TIME": "2025-02-01 09:00:00",
     "MODIFIED_TIME": "2026-03-15 12:00:00", "EMAIL_BLACKLISTED": "Yes",
     "SMS_BLACKLISTED": "No"},
    {"EMAIL": "ada@lovelace.co.uk", "FIRSTNAME": "Ada", "LASTNAME": "Lovelace",
     "SMS": "447700900456", "ADDED_TIME": "2025-03-01 09:00:00",
     "MODIFIED_TIME": "2025-03-01 09:00:00", "EMAIL_BLACKLISTED": "No",
     "SMS_BLACKLISTED": "Yes"},
    # without its +: read as French all the same, since 33 is France's code
    {"EMAIL": "noemie.lefebvre@gmail.com", "FIRSTNAME": "Noémie", "LASTNAME": "Lefebvre",
     "SMS": "33698765432", "ADDED_TIME": "2025-06-01 09:00:00",
     "MODIFIED_TIME": "2025-06-01 09:00:00",
     "EMAIL_BLACKLISTED": "No", "SMS_BLACKLISTED": "No"},
]  # fmt: skip


def event(kind: str, email: str, at: str, campaign: str = "Soldes d'hiver", **more: str) -> dict:
    payload = {
        "id": 1234567, "camp_id": 12, "email": email, "campaign name": campaign,
        "date_sent": "2026-03-01 09:00:00", "date_event": at, "ts_event": 1772442900,
        "event": kind, "tag": "soldes",
    }  # fmt: skip
    payload.update(more)
    return payload


EVENTS = [
    event("delivered", "marie.curie@labo.fr", "2026-03-01 09:00:05"),
    event("opened", "Marie.Curie@Labo.fr", "2026-03-02 10:15:00"),
    event("click", "marie.curie@labo.fr", "2026-03-02 10:16:30",
          URL="https://shop.example.fr/soldes?utm_source=brevo"),
    event("opened", "marie.curie@labo.fr", "2026-03-20 21:00:00", campaign="Nouveautés"),
    event("proxy_open", "ada@lovelace.co.uk", "2026-03-01 09:00:07"),
    event("opened", "louis.pasteur@institut.fr", "2026-03-03 08:00:00"),
    event("unsubscribe", "louis.pasteur@institut.fr", "2026-03-03 08:01:00"),
    # Brevo retried the unsubscribe webhook: the same payload twice
    event("unsubscribe", "louis.pasteur@institut.fr", "2026-03-03 08:01:00"),
    event("hard_bounce", "old.address@wanadoo.fr", "2026-03-01 09:00:09"),
    event("opened", "noemie.lefebvre@gmail.com", "2025-10-01 12:00:00"),
]  # fmt: skip


def test_brevo_contacts_and_webhooks_become_people_events_and_consent(tmp_path: Path) -> None:
    project = init_template(tmp_path, "brevo")
    config = project / "personae.yml"
    as_of = "name: brevo\nas_of: 2026-03-31\n"  # the windows' today
    config.write_text(config.read_text().replace("name: brevo\n", as_of))
    run_project(
        project,
        {
            "data/brevo/contacts_export.csv": csv_text(CONTACT_COLUMNS, CONTACTS, ";"),
            "data/brevo/events_2026-03.jsonl": jsonl_text(EVENTS),
        },
    )
    with warehouse(project) as engine:
        reasons = quarantined(engine)
        assert len(reasons) == 1 and reasons[0][0] == "brevo_email_events"
        assert reasons[0][1].startswith("duplicate record id")
        assert record(
            engine, "brevo_contacts", "louis.pasteur@institut.fr", "first_name", "last_name",
            "phone",
        ) == ("Louis", "Pasteur", "+33781223344")  # fmt: skip
        # a British number without its + is not French: counted invalid, never guessed
        assert record(engine, "brevo_contacts", "ada@lovelace.co.uk", "phone") == (None,)
        assert record(engine, "brevo_contacts", "noemie.lefebvre@gmail.com", "phone") == (
            "+33698765432",
        )
        assert record(engine, "brevo_contacts", "marie.curie@labo.fr", "phone") == ("+33612345678",)
        assert engine.rows(
            "SELECT invalid, examples FROM data_quality "
            "WHERE source = 'brevo_contacts' AND field = 'phone'"
        ) == [(1, "447700900456")]

        events = engine.rows(
            "SELECT event, timestamp, properties FROM events WHERE event = 'Email Link Clicked'"
        )
        assert len(events) == 1
        assert events[0][1] == dt.datetime(2026, 3, 2, 10, 16, 30)
        props = json.loads(events[0][2])
        assert props["url"].startswith("https://shop.example.fr/soldes")
        assert props["campaign"] == "Soldes d'hiver" and props["campaign_id"] == "12"
        names = {r[0] for r in engine.rows("SELECT DISTINCT event FROM events")}
        assert names == {
            "Email Delivered", "Email Opened", "Email Link Clicked", "Email Proxy Opened",
            "Unsubscribed", "Email Bounced",
        }  # fmt: skip

        person = person_of(engine)
        marie = person["brevo_contacts", "marie.curie@labo.fr"]
        marie_events = engine.rows(
            "SELECT count(*) FROM events e JOIN identity_map m USING (source, record_id) "
            "WHERE m.person_id = ?",
            [marie],
        )
        assert marie_events == [(4,)]  # the open written in capitals is hers too
        assert len(set(person.values())) == 5  # four contacts, and the bounced address

        traits = {
            r[0]: r[1:]
            for r in engine.rows(
                "SELECT m.record_id, t.email_opens_30d, t.email_opens_90d, t.unsubscribed "
                "FROM traits t JOIN identity_map m USING (person_id) "
                "WHERE m.source = 'brevo_contacts'"
            )
        }
        assert traits["marie.curie@labo.fr"] == (2, 2, False)
        assert traits["ada@lovelace.co.uk"] == (0, 0, False)  # a proxy open is no open
        assert traits["louis.pasteur@institut.fr"] == (1, 1, True)
        assert traits["noemie.lefebvre@gmail.com"] == (0, 0, False)  # opened in October

        engaged = {r[0] for r in engine.rows("SELECT person_id FROM segment_membership")}
        assert engaged == {marie}
        withdrawn = dict(
            engine.rows(
                "SELECT purpose, status FROM profile_consent WHERE person_id = ? "
                "AND channel IN ('email', 'sms')",
                [person["brevo_contacts", "louis.pasteur@institut.fr"]],
            )
        )
        assert withdrawn["email_marketing"] == "withdrawn"
        ada = engine.rows(
            "SELECT purpose, status FROM profile_consent WHERE person_id = ?",
            [person["brevo_contacts", "ada@lovelace.co.uk"]],
        )
        assert ada == [("sms_marketing", "withdrawn")]
