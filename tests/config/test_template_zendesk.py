"""`personae init --template zendesk` on users and tickets as Zendesk's Support API
returns them (one object per line, nested via, tags and user_fields included)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from helpers.templates import (
    init_template,
    jsonl_text,
    person_of,
    quarantined,
    record,
    run_project,
    warehouse,
)


def user(uid: int, name: str, email: str | None, phone: str | None, **more: Any) -> dict:
    obj = {
        "id": uid, "url": f"https://acme.zendesk.com/api/v2/users/{uid}.json", "name": name,
        "email": email, "created_at": "2025-01-10T09:00:00Z",
        "updated_at": "2025-01-10T09:00:00Z", "time_zone": "Paris",
        "iana_time_zone": "Europe/Paris", "phone": phone, "shared_phone_number": None,
        "locale_id": 16, "locale": "fr", "organization_id": None, "role": "end-user",
        "verified": True, "external_id": None, "tags": [], "active": True,
        "suspended": False, "user_fields": {"vip": False},
    }  # fmt: skip
    obj.update(more)
    return obj


USERS = [
    user(361, "Camille Rousseau", "camille.rousseau@free.fr", "06 12 34 56 78"),
    # Zendesk made a second user when Camille wrote from her work address
    user(362, "camille rousseau", "c.rousseau@acme-corp.fr", "+33 6 12 34 56 78",
         created_at="2025-06-01T08:00:00Z", updated_at="2025-06-02T08:00:00Z"),
    user(363, "GARCIA Antoine", "Antoine.Garcia@Yahoo.fr", None, locale="fr-FR"),
    user(364, "Sarah O'Connor", "sarah.oconnor@gmail.com", "+1 415 555 0199",
         locale="en-US", time_zone="Pacific Time (US & Canada)", tags=["vip"],
         user_fields={"vip": True}),
    user(365, "Support Agent Julie", "julie@acme.zendesk.com", None, role="agent"),
]  # fmt: skip


def ticket(tid: int, requester: int, subject: str, status: str, created: str, **more: Any) -> dict:
    obj = {
        "id": tid, "url": f"https://acme.zendesk.com/api/v2/tickets/{tid}.json",
        "external_id": None, "via": {"channel": "email", "source": {"from": {}, "to": {}}},
        "created_at": created, "updated_at": created, "type": "question",
        "subject": subject, "raw_subject": subject, "description": "…", "priority": "normal",
        "status": status, "recipient": "support@acme.fr", "requester_id": requester,
        "submitter_id": requester, "assignee_id": 365, "organization_id": None,
        "group_id": 20, "collaborator_ids": [], "tags": ["livraison"],
        "custom_fields": [{"id": 27, "value": None}], "satisfaction_rating": None,
        "brand_id": 1,
    }  # fmt: skip
    obj.update(more)
    return obj


TICKETS = [
    ticket(1001, 361, "Colis non reçu", "solved", "2026-01-05T10:00:00Z",
           updated_at="2026-01-07T15:00:00Z"),
    ticket(1002, 362, "Facture en double", "open", "2026-03-10T08:30:00Z", type="problem",
           priority="high", via={"channel": "web", "source": {}}),
    ticket(1003, 363, "Retour d'un article", "pending", "2026-03-20T17:45:00Z"),
    ticket(1004, 364, "Wrong size delivered", "closed", "2025-11-02T12:00:00Z",
           via={"channel": "chat", "source": {}}),
]  # fmt: skip


def test_zendesk_users_and_tickets_become_persons_and_ticket_events(tmp_path: Path) -> None:
    project = init_template(tmp_path, "zendesk")
    config = project / "personae.yml"
    as_of = "name: zendesk\nas_of: 2026-03-31\n"  # the windows' today
    config.write_text(config.read_text().replace("name: zendesk\n", as_of))
    run_project(
        project,
        {
            "data/zendesk/users.jsonl": jsonl_text(USERS),
            "data/zendesk/tickets.jsonl": jsonl_text(TICKETS),
        },
    )
    with warehouse(project) as engine:
        assert quarantined(engine) == []
        assert record(
            engine, "zendesk_users", "363", "email", "first_name", "last_name", "language"
        ) == ("antoine.garcia@yahoo.fr", "Antoine", "Garcia", "fr")
        assert record(engine, "zendesk_users", "362", "first_name", "last_name", "phone") == (
            "Camille",
            "Rousseau",
            "+33612345678",
        )
        assert record(engine, "zendesk_users", "364", "phone", "language", "zendesk_role") == (
            "+14155550199",
            "en",
            "end-user",
        )

        events = {
            r[0]: (r[1], r[2], json.loads(r[3]))
            for r in engine.rows("SELECT record_id, event, timestamp, properties FROM events")
        }
        assert set(events) == {"1001", "1002", "1003", "1004"}
        name, at, props = events["1002"]
        assert (name, at) == ("Ticket Created", dt.datetime(2026, 3, 10, 8, 30))
        assert props["status"] == "open" and props["priority"] == "high"
        assert props["channel"] == "web" and props["subject"] == "Facture en double"
        assert events["1004"][2]["channel"] == "chat"

        person = person_of(engine)
        for user_id, ticket_id in (("361", "1001"), ("362", "1002"), ("363", "1003")):
            assert person["zendesk_users", user_id] == person["zendesk_tickets", ticket_id]
        # Camille's two Zendesk users hold one phone written two ways: one person
        camille = person["zendesk_users", "361"]
        assert camille == person["zendesk_users", "362"]
        assert len(set(person.values())) == 4  # Camille, Antoine, Sarah and the agent

        traits = engine.rows(
            "SELECT tickets, tickets_90d, open_tickets FROM traits WHERE person_id = ?",
            [camille],
        )
        assert traits == [(2, 2, 1)]
        waiting = {r[0] for r in engine.rows("SELECT person_id FROM segment_membership")}
        assert waiting == {camille, person["zendesk_users", "363"]}
