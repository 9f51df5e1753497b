"""The demo generator: deterministic, valid configuration, complete truth, messy on purpose."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import phonenumbers
import pytest

from personae.config import parse_config
from personae.demo import DemoSummary, formats, generate_demo
from personae.demo import names as vocab
from personae.demo.config_file import config_text
from personae.demo.files import BROKEN_ROWS

PEOPLE = 2_000
ANCHOR = dt.datetime(2026, 11, 1)
RECORD_IDS = {
    "crm": "customer_id",
    "orders": "order_id",
    "email_events": "event_id",
    "web_events": "message_id",
    "loyalty_members": "loyalty_id",
    "store_tickets": "ticket_id",
    "support_tickets": "ticket_id",
    "nps_survey": "response_id",
}
JUNK_EMAILS = {"test@test.com", "noemail@gmail.com"}
JUNK_PHONES = {"0000000000", "0123456789"}


class Demo:
    """A generated demo, its rows and ground truth, loaded once."""

    def __init__(self, root: Path, summary: DemoSummary) -> None:
        self.root = root
        self.summary = summary
        self.rows: dict[str, list[dict[str, Any]]] = {
            name: _read(path) for name, path in summary.files.items()
        }
        with (root / "truth" / "records.csv").open(encoding="utf-8", newline="") as handle:
            self.truth_rows = list(csv.DictReader(handle))
        self.truth = {(r["source"], r["record_id"]): r["person"] for r in self.truth_rows}

    def person(self, source: str, row: dict[str, Any]) -> str:
        return self.truth[(source, row[RECORD_IDS[source]])]

    def values(self, column: str) -> list[tuple[str, str, str]]:
        """(source, person, value) of a column across every source that has it."""
        return [
            (source, self.person(source, row), row[column])
            for source, rows in self.rows.items()
            for row in rows
            if row.get(column)
        ]


def _read(path: Path) -> list[dict[str, Any]]:
    """The file's records, without the broken lines the generator adds on purpose."""
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    data = path.read_bytes()
    for broken in BROKEN_ROWS.values():
        data = data.replace(broken, b"")
    lines = data.decode("utf-8").splitlines(keepends=True)
    unique = list(dict.fromkeys(lines))  # the order exported twice
    return list(csv.DictReader(io.StringIO("".join(unique))))


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("demo")
    return Demo(root, generate_demo(PEOPLE, root))


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_the_same_bytes(demo: Demo, tmp_path: Path) -> None:
    generate_demo(PEOPLE, tmp_path)
    assert _files(tmp_path) == _files(demo.root)


def test_another_seed_gives_other_data(demo: Demo, tmp_path: Path) -> None:
    generate_demo(PEOPLE, tmp_path, seed=7)
    ours, theirs = _files(tmp_path), _files(demo.root)
    assert ours.keys() == theirs.keys()
    assert ours["data/crm.csv"] != theirs["data/crm.csv"]
    assert ours["truth/records.csv"] != theirs["truth/records.csv"]


def test_tiny_populations_work(tmp_path: Path) -> None:
    for people in (1, 2, 7, 40):
        summary = generate_demo(people, tmp_path / str(people))
        truth = (tmp_path / str(people) / "truth" / "records.csv").read_text().splitlines()
        assert len(truth) == summary.total_rows + 1


def test_people_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate_demo(0, tmp_path)


# --------------------------------------------------------------------------- config and truth


def test_config_validates_and_declares_every_file(demo: Demo) -> None:
    config = parse_config(demo.summary.config.read_text(encoding="utf-8"))
    assert config.name == "demo"
    assert config.as_of == ANCHOR.date()
    assert set(config.sources) == set(demo.summary.files)
    for name, source in config.sources.items():
        assert (demo.root / source.path) == demo.summary.files[name]
        assert source.record_id == RECORD_IDS[name]
    assert config.sources["crm"].field_specs()["birth_date"].format == "%d/%m/%Y"
    assert config.sources["loyalty_members"].field_specs()["birth_date"].format == "%m/%d/%y"
    assert "vip_accessories" in config.segments
    assert {"order_count", "revenue", "unsubscribed", "rfm", "nps"} <= set(config.traits)


def test_every_mapped_column_is_in_its_file(demo: Demo) -> None:
    config = parse_config(demo.summary.config.read_text(encoding="utf-8"))
    for name, source in config.sources.items():
        present: set[str] = set().union(*(row.keys() for row in demo.rows[name]))
        columns = [spec.column for spec in source.field_specs().values()]
        if source.updated_at:
            columns.append(source.updated_at.column)
        if source.event:
            columns.append(source.event.timestamp.column)
            columns += [
                c if isinstance(c, str) else c.column for c in source.event.properties.values()
            ]
            if source.event.name_column:
                columns.append(source.event.name_column)
        for column in columns:
            assert column.partition(".")[0] in present, (name, column)


def test_truth_covers_exactly_every_record(demo: Demo) -> None:
    assert len(demo.truth_rows) == len(demo.truth) == demo.summary.total_rows
    for name, rows in demo.rows.items():
        assert len(rows) == demo.summary.rows[name] > 0
        ids = [row[RECORD_IDS[name]] for row in rows]
        assert len(set(ids)) == len(ids), f"{name} record ids repeat"
        assert {r for s, r in demo.truth if s == name} == set(ids)
    # about 8.6 rows a person before product pages got their Product Viewed events (+0.9)
    assert 7 <= demo.summary.total_rows / PEOPLE <= 11


def test_truth_persons_are_people_keys(demo: Demo) -> None:
    persons = {r["person"] for r in demo.truth_rows}
    assert all(re.fullmatch(r"P\d{7}", p) for p in persons)
    assert PEOPLE * 0.8 < len(persons) <= PEOPLE


# --------------------------------------------------------------------------- formats


def test_phones_come_in_every_format(demo: Demo) -> None:
    phones = [value for _, _, value in demo.values("phone")]
    formats = {
        "spaced": r"0[1-9]( \d\d){4}",
        "dotted": r"0[1-9](\.\d\d){4}",
        "compact": r"0[1-9]\d{8}",
        "e164": r"\+33[1-9]\d{8}",
        "paren": r"\+33 \(0\)[1-9]( \d\d){4}",
        "foreign": r"(\+|00)(32|41|49|44|34)[\d ]+",
    }
    for name, pattern in formats.items():
        assert any(re.fullmatch(pattern, p) for p in phones), name


def test_phones_are_valid_numbers(demo: Demo) -> None:
    for source, _, phone in demo.values("phone"):
        if phone in JUNK_PHONES:
            continue
        number = phonenumbers.parse(phone, "FR")
        assert phonenumbers.is_valid_number(number), (source, phone)


def test_dates_are_written_each_source_s_way(demo: Demo) -> None:
    crm = [r["birth_date"] for r in demo.rows["crm"] if r["birth_date"]]
    assert all(re.fullmatch(r"\d\d/\d\d/(19|20)\d\d", d) for d in crm)
    loyalty = [r["birth_date"] for r in demo.rows["loyalty_members"] if r["birth_date"]]
    assert all(re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d", d) for d in loyalty)
    assert any(re.fullmatch(r"\d/\d/\d\d", d) for d in loyalty), "no unpadded m/d/yy date"
    assert any(int(d.split("/")[1]) > 12 for d in loyalty), "not month first"
    checks = {
        ("orders", "ordered_at"): r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
        ("email_events", "occurred_at"): r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        ("web_events", "timestamp"): r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        ("store_tickets", "purchased_at"): r"\d\d/\d\d/\d{4} \d\d:\d\d",
        ("nps_survey", "answered_at"): r"\d\d/\d\d/\d{4}",
    }
    for (source, column), pattern in checks.items():
        assert all(re.fullmatch(pattern, r[column]) for r in demo.rows[source]), source


def test_events_happen_before_the_anchor(demo: Demo) -> None:
    last = max(dt.datetime.fromisoformat(r["ordered_at"]) for r in demo.rows["orders"])
    assert ANCHOR - dt.timedelta(days=2) < last < ANCHOR
    web = max(r["timestamp"] for r in demo.rows["web_events"])
    assert web < "2026-11-01"


def test_amounts_use_a_dot(demo: Demo) -> None:
    for source, column in (("orders", "total"), ("store_tickets", "amount")):
        assert all(re.fullmatch(r"\d+\.\d\d", r[column]) for r in demo.rows[source])


def test_format_helpers_agree_with_strftime() -> None:
    seconds = np.random.default_rng(1).integers(-2 * 10**9, 2 * 10**9, 500)
    epoch = dt.datetime(1970, 1, 1)
    moments = [epoch + dt.timedelta(seconds=int(s)) for s in seconds]
    for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%y%m"):
        assert formats.format_times(seconds, fmt).to_pylist() == [m.strftime(fmt) for m in moments]
    days = seconds // 86_400
    expected = [f"{m.month}/{m.day}/{m:%y}" for m in moments]
    assert formats.us_short_dates(days).to_pylist() == expected
    assert formats.fill_template("CXXXX", np.array([42, 7])).to_pylist() == ["C0042", "C0007"]


# --------------------------------------------------------------------------- messiness


def test_households_share_a_landline_across_persons(demo: Demo) -> None:
    persons = defaultdict(set)
    for _, person, phone in demo.values("phone"):
        digits = re.sub(r"\D", "", phone)[-9:]
        if digits[0] in "12345" and phone not in JUNK_PHONES:
            persons[digits].add(person)
    shared = [p for p in persons.values() if len(p) > 1]
    assert shared and all(len(p) <= 4 for p in shared)


def test_mobiles_are_never_shared(demo: Demo) -> None:
    persons = defaultdict(set)
    for _, person, phone in demo.values("phone"):
        digits = re.sub(r"\D", "", phone)[-9:]
        if digits[0] in "67" and phone not in JUNK_PHONES:
            persons[digits].add(person)
    assert all(len(p) == 1 for p in persons.values())


def test_only_family_and_junk_emails_are_shared(demo: Demo) -> None:
    persons = defaultdict(set)
    for _, person, email in demo.values("email"):
        persons[email.strip().lower()].add(person)
    shared = {email for email, p in persons.items() if len(p) > 1}
    assert shared >= JUNK_EMAILS
    for email in shared - JUNK_EMAILS:
        assert "famille" in email or email.startswith("les"), email
        assert len(persons[email]) <= 4


def test_guest_orders_use_a_second_email(demo: Demo) -> None:
    known = defaultdict(set)
    for r in demo.rows["crm"]:
        if r["email"]:
            known[demo.person("crm", r)].add(r["email"].strip().lower())
    orders = demo.rows["orders"]
    guests = [r for r in orders if not r["customer_id"]]
    assert 0.05 < len(guests) / len(orders) < 0.15
    other = [
        r
        for r in guests
        if demo.person("orders", r) in known
        and r["email"].strip().lower() not in known[demo.person("orders", r)] | JUNK_EMAILS
    ]
    assert other, "no guest order with another e-mail of a known customer"


def test_junk_identifiers_are_typed(demo: Demo) -> None:
    emails = {value.strip().lower() for _, _, value in demo.values("email")}
    phones = {value for _, _, value in demo.values("phone")}
    assert emails >= JUNK_EMAILS
    assert phones >= JUNK_PHONES


def test_names_are_upper_case_in_the_loyalty_file(demo: Demo) -> None:
    rows = demo.rows["loyalty_members"]
    assert all(r["last_name"] == r["last_name"].upper() for r in rows)
    assert any(not r["email"] for r in rows)


def test_some_crm_names_are_swapped(demo: Demo) -> None:
    first = set(vocab.first_names().words)
    last = set(vocab.last_names().words) - first
    swapped = [
        r
        for r in demo.rows["crm"]
        if r["first_name"].strip() in last and r["last_name"].strip() in first
    ]
    assert 0 < len(swapped) < 0.05 * len(demo.rows["crm"])


def test_names_carry_typos_and_lost_accents(demo: Demo) -> None:
    words = set(vocab.first_names().words) | set(vocab.last_names().words)
    folded = {vocab.ascii_fold(w) for w in words} - words
    names = [r["first_name"].strip() for r in demo.rows["orders"]]
    names += [r["last_name"].strip() for r in demo.rows["orders"]]
    assert any(n in folded for n in names), "no name without its accents"
    assert any(n not in words and n not in folded for n in names), "no typo"
    assert any(n.startswith(" ") or n.endswith(" ") for r in demo.rows["crm"] for n in r.values())


def test_emails_carry_case_and_space_noise(demo: Demo) -> None:
    emails = [r["email"] for r in demo.rows["email_events"]]
    assert any(e != e.lower() for e in emails)
    assert any(e != e.strip() for e in emails)


def test_namesakes_and_crm_duplicates_exist(demo: Demo) -> None:
    by_name = defaultdict(set)
    rows_per_person = defaultdict(int)
    for r in demo.rows["crm"]:
        by_name[(r["first_name"].strip(), r["last_name"].strip())].add(demo.person("crm", r))
        rows_per_person[demo.person("crm", r)] += 1
    assert any(len(p) > 1 for p in by_name.values()), "no namesakes"
    assert any(n == 2 for n in rows_per_person.values()), "no duplicate CRM account"


def test_some_people_moved(demo: Demo) -> None:
    crm = {demo.person("crm", r): r["postcode"] for r in demo.rows["crm"]}
    moved = {
        demo.person("orders", r)
        for r in demo.rows["orders"]
        if r["customer_id"]
        and crm.get(demo.person("orders", r), r["shipping_postcode"]) != r["shipping_postcode"]
    }
    assert len(moved) > 5


def test_store_tickets_can_be_anonymous(demo: Demo) -> None:
    tickets = demo.rows["store_tickets"]
    anonymous = [t for t in tickets if not t["loyalty_id"]]
    assert 0.2 < len(anonymous) / len(tickets) < 0.4


def test_sign_ins_carry_the_crm_customer_id(demo: Demo) -> None:
    accounts = {r["customer_id"]: demo.person("crm", r) for r in demo.rows["crm"]}
    events = demo.rows["web_events"]
    signed_in = [e for e in events if e["event"] == "Signed In"]
    assert signed_in and all(e.get("user_id") for e in signed_in)
    for event in events:
        if event.get("user_id"):
            assert accounts[event["user_id"]] == demo.person("web_events", event)
    assert any("user_id" not in e for e in events)
    assert any("device_id" in e["context"] for e in events)


def test_support_names_are_in_one_field(demo: Demo) -> None:
    names = [r["customer_name"] for r in demo.rows["support_tickets"]]
    assert all(" " in n.strip() for n in names)
    assert any(n.split(" ")[0].isupper() and len(n.split(" ")[0]) > 1 for n in names)


# --------------------------------------------------------------------------- segments


def test_enough_people_fit_the_segments(demo: Demo) -> None:
    month, week = ANCHOR - dt.timedelta(days=30), ANCHOR - dt.timedelta(days=7)
    accessories = {
        demo.person("orders", r)
        for r in demo.rows["orders"]
        if r["category"] == "accessories" and dt.datetime.fromisoformat(r["ordered_at"]) >= month
    }
    signed_in_devices = {e["anonymous_id"] for e in demo.rows["web_events"] if e.get("user_id")}
    browsing = {
        demo.person("web_events", e)
        for e in demo.rows["web_events"]
        if e["anonymous_id"] in signed_in_devices
        and dt.datetime.fromisoformat(e["timestamp"].rstrip("Z")) >= week
    }
    unsubscribed = {
        demo.person("email_events", r)
        for r in demo.rows["email_events"]
        if r["event_type"] == "unsubscribe"
    }
    assert len((accessories & browsing) - unsubscribed) >= 0.01 * PEOPLE
    assert unsubscribed

    revenue: dict[str, float] = defaultdict(float)
    last: dict[str, dt.datetime] = {}
    for r in demo.rows["orders"]:
        person, at = demo.person("orders", r), dt.datetime.fromisoformat(r["ordered_at"])
        revenue[person] += float(r["total"])
        last[person] = max(last.get(person, at), at)
    at_risk = [p for p in revenue if revenue[p] > 300 and (ANCHOR - last[p]).days > 180]
    assert len(at_risk) >= 0.005 * PEOPLE


def test_the_demo_config_names_the_engine_asked_for() -> None:
    day = dt.date(2026, 11, 1)
    assert parse_config(config_text(day)).engine.type == "duckdb"
    spark = parse_config(config_text(day, "spark")).engine
    assert spark.type == "spark" and spark.master == "local[2]"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="unknown engine 'oracle'"):
        config_text(day, "oracle")


def test_true_attributes_of_every_person(demo: Demo) -> None:
    with (demo.root / "truth" / "persons.csv").open(encoding="utf-8", newline="") as handle:
        persons = {row["person"]: row for row in csv.DictReader(handle)}
    assert len(persons) == PEOPLE
    assert {r["person"] for r in demo.truth_rows} <= set(persons)
    for row in persons.values():
        assert re.fullmatch(r"\+\d{10,13}", row["phone"]), row
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", row["birth_date"]), row
        assert row["email"] == row["email"].lower() and "@" in row["email"], row
        assert row["first_name"] and row["last_name"] and row["address"], row
    # the CRM writes most people's true names and personal e-mail
    crm = demo.rows["crm"]
    same_email = sum(
        r["email"].strip().lower() == persons[demo.person("crm", r)]["email"]
        for r in crm
        if r["email"]
    )
    same_first = sum(r["first_name"] == persons[demo.person("crm", r)]["first_name"] for r in crm)
    assert same_email > 0.7 * len(crm) and same_first > 0.7 * len(crm)
