from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from personae.clean.records import clean
from personae.ingest import ingest
from personae.project import Project

MakeProject = Callable[..., Project]

CONFIG = """
as_of: 2026-11-01
defaults: {country: FR}
sources:
  crm:
    kind: people
    path: data/crm.csv
    record_id: id
    updated_at: {column: updated}
    fields:
      email: email
      phone: {column: tel, region: FR}
      first_name: first
      last_name: last
      birth_date: {column: dob, format: "%d/%m/%Y"}
      postcode: cp
      country: country
  loyalty:
    kind: people
    path: data/loyalty.csv
    record_id: card
    fields:
      loyalty_id: card
      phone: tel
      birth_date: {column: dob, format: "%m/%d/%y"}
  support:
    kind: events
    path: data/support.csv
    record_id: ticket
    fields:
      full_name: {column: name, order: first_last}
      email: email
    event:
      name: Support Ticket Opened
      timestamp: {column: at, format: "%d/%m/%Y %H:%M"}
      properties: {subject: subject, amount: {column: amount, type: number}}
"""

CRM = """\
id,email,tel,first,last,dob,cp,country,updated
1, Jean.Dupont@Gmail.com ,06 12 34 56 78,JEAN,DUPONT,03/04/1985,75011,France,2026-01-01
2,not-an-email,+33612345678,  Hélène ,Lefèvre,31/02/1980,1000,FR,2026-01-02
3,a@b.fr,+33 (0)6 12 34 56 78,léa,martin,1985-04-03,1000,Belgique,2026-01-03
4,,0612345678,,,,,,
"""

LOYALTY = """\
card,tel,dob
L1,06.12.34.56.78,3/4/85
L2,0000000000,13/13/85
L3,04 00 12 34 56,
"""

SUPPORT = """\
ticket,name,email,at,subject,amount
T1,Jean-Pierre de la Fontaine,jp@x.fr,02/10/2026 14:30,Late parcel,"12,50"
T2,DUPONT Marie,m@x.fr,not a date,Refund,
"""


def _project(make_project: MakeProject):  # type: ignore[no-untyped-def]
    project = make_project(
        CONFIG,
        {"data/crm.csv": CRM, "data/loyalty.csv": LOYALTY, "data/support.csv": SUPPORT},
    )
    ingest(project)
    clean(project)
    return project


def _records(project, source: str) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    rows = project.engine.query(
        f"SELECT * FROM records WHERE source = '{source}' ORDER BY record_id"
    ).to_pylist()
    return {row["record_id"]: row for row in rows}


def test_phones_written_four_ways_become_one_e164(make_project: MakeProject) -> None:
    project = _project(make_project)
    crm = _records(project, "crm")
    loyalty = _records(project, "loyalty")
    phones = {crm[i]["phone"] for i in "1234"} | {loyalty["L1"]["phone"]}
    assert phones == {"+33612345678"}
    assert loyalty["L2"]["phone"] is None  # junk is invalid, never guessed
    assert crm["1"]["phone_valid"] is True and loyalty["L2"]["phone_valid"] is None
    assert crm["1"]["phone_mobile"] is True


def test_a_number_in_an_unallocated_range_is_kept_flagged_not_valid(
    make_project: MakeProject,
) -> None:
    # phonenumbers finds +33 4 00… invalid (range not allocated): it used to become NULL,
    # and so was lost as an identifier; it is well formed, so it is kept and flagged
    project = _project(make_project)
    loyalty = _records(project, "loyalty")
    assert (loyalty["L3"]["phone"], loyalty["L3"]["phone_valid"]) == ("+33400123456", False)
    assert loyalty["L3"]["phone_mobile"] is False
    quality = project.engine.rows(
        "SELECT filled, valid, invalid FROM data_quality WHERE source = 'loyalty' "
        "AND field = 'phone'"
    )
    assert quality == [(3, 2, 1)]  # the junk only


def test_emails_names_and_keys(make_project: MakeProject) -> None:
    crm = _records(_project(make_project), "crm")
    assert crm["1"]["email"] == "jean.dupont@gmail.com"
    assert crm["2"]["email"] is None
    assert crm["2"]["first_name"] == "Hélène" and crm["2"]["first_name_key"] == "helene"
    assert crm["2"]["last_name_key"] == "lefevre"
    assert crm["1"]["first_name"] == "Jean" and crm["1"]["last_name"] == "Dupont"


def test_dates_follow_each_sources_format(make_project: MakeProject) -> None:
    project = _project(make_project)
    crm, loyalty = _records(project, "crm"), _records(project, "loyalty")
    assert crm["1"]["birth_date"] == dt.date(1985, 4, 3)  # dd/mm/yyyy
    assert loyalty["L1"]["birth_date"] == dt.date(1985, 3, 4)  # m/d/yy
    assert crm["2"]["birth_date"] is None  # 31 February
    assert crm["3"]["birth_date"] is None  # ISO date in a dd/mm/yyyy source: wrong format
    assert crm["1"]["observed_at"] == dt.datetime(2026, 1, 1)


def test_postcodes_by_country(make_project: MakeProject) -> None:
    crm = _records(_project(make_project), "crm")
    assert crm["1"]["country"] == "FR" and crm["1"]["postcode"] == "75011"
    assert crm["2"]["postcode"] == "01000"  # French 4-digit postcode lost its leading zero
    assert crm["3"]["country"] == "BE" and crm["3"]["postcode"] == "1000"


def test_full_name_is_split_and_events_are_typed(make_project: MakeProject) -> None:
    project = _project(make_project)
    support = _records(project, "support")
    assert (support["T1"]["first_name"], support["T1"]["last_name"]) == (
        "Jean-Pierre",
        "de la Fontaine",
    )
    assert (support["T2"]["first_name"], support["T2"]["last_name"]) == ("Marie", "Dupont")
    events = project.engine.query(
        "SELECT record_id, event, timestamp, properties FROM events ORDER BY record_id"
    ).to_pylist()
    assert events[0]["event"] == "Support Ticket Opened"
    assert events[0]["timestamp"] == dt.datetime(2026, 10, 2, 14, 30)
    assert events[0]["properties"] == '{"subject":"Late parcel","amount":12.5}'
    assert events[1]["timestamp"] is None


def test_data_quality_counts_invalid_values_with_examples(make_project: MakeProject) -> None:
    project = _project(make_project)
    rows = project.engine.query(
        "SELECT * FROM data_quality WHERE source = 'crm' AND field = 'birth_date'"
    ).to_pylist()
    assert rows[0]["rows"] == 4 and rows[0]["filled"] == 3
    assert rows[0]["valid"] == 1 and rows[0]["invalid"] == 2
    assert "31/02/1980" in rows[0]["examples"]
    ts = project.engine.query(
        "SELECT invalid, examples FROM data_quality "
        "WHERE source = 'support' AND field = 'timestamp'"
    ).to_pylist()[0]
    assert ts == {"invalid": 1, "examples": "not a date"}


def test_clean_is_rebuilt_from_raw_on_each_run(make_project: MakeProject) -> None:
    project = _project(make_project)
    before = project.engine.count("records")
    clean(project)
    assert project.engine.count("records") == before == 9


MIXED_CONFIG = """
sources:
  support:
    kind: events
    path: data/support.csv
    record_id: ticket
    fields:
      contact: {column: contact, as: [email, phone]}
    event:
      name: Support Ticket Opened
      timestamp: {column: at}
"""

MIXED = """\
ticket,contact,at
T1, Jean.Dupont@Gmail.com ,2026-01-01
T2,06 12 34 56 78,2026-01-01
T3,call me maybe,2026-01-01
T4,,2026-01-01
T5,jean@,2026-01-01
"""


def test_a_mixed_contact_column_routes_each_value_by_its_shape(
    make_project: MakeProject,
) -> None:
    project = make_project(MIXED_CONFIG, {"data/support.csv": MIXED})
    ingest(project)
    clean(project)
    support = _records(project, "support")
    assert (support["T1"]["email"], support["T1"]["phone"]) == ("jean.dupont@gmail.com", None)
    assert (support["T2"]["email"], support["T2"]["phone"]) == (None, "+33612345678")
    assert support["T2"]["phone_valid"] is True
    assert all(support[t]["email"] is None and support[t]["phone"] is None for t in ("T3", "T4"))
    quality = {
        field: (filled, invalid, examples)
        for field, filled, invalid, examples in project.engine.rows(
            "SELECT field, filled, invalid, examples FROM data_quality WHERE source = 'support'"
        )
    }
    # an e-mail is never an invalid phone, nor a phone an invalid e-mail
    assert quality["email"] == (2, 1, "jean@")
    assert quality["phone"] == (2, 1, "call me maybe")
    assert "contact" not in quality
