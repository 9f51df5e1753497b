"""Issue 16, "the first hour": what a newcomer meets in the CLI."""

from __future__ import annotations

import csv
import os
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personae.cli.context import hoist_global_options
from personae.cli.main import app
from personae.lock import warehouse_lock

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    project = tmp_path / "my-brand"
    code, out = invoke("init", str(project))
    assert code == 0, out
    return project


def edit(project: Path, old: str, new: str) -> None:
    config = project / "personae.yml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))


def test_the_starter_first_run_gives_one_person_per_customer(starter: Path) -> None:
    code, out = invoke("run", "--project", str(starter))
    assert code == 0, out
    assert "4 records in 2 persons" in out
    ids = starter / "ids.csv"
    assert invoke("export", "identities", "-o", str(ids), "-p", str(starter))[0] == 0
    rows = list(csv.DictReader(ids.open()))
    person = {(r["source"], r["record_id"]): r["person_id"] for r in rows}
    assert person["crm", "1"] == person["orders", "A-1"]
    assert person["crm", "2"] == person["orders", "A-2"]
    assert person["crm", "1"] != person["crm", "2"]


def test_project_is_accepted_before_or_after_the_command(starter: Path) -> None:
    for args in (
        ("--project", str(starter), "validate"),
        ("validate", "--project", str(starter)),
        ("validate", f"--project={starter}"),
        ("validate", "-p", str(starter)),
    ):
        code, out = invoke(*args)
        assert code == 0, (args, out)
        assert "personae.yml is valid: 2 sources, 3 traits, 1 segment, 0 destinations" in out


def test_hoisting_leaves_values_that_look_like_commands_alone() -> None:
    commands = {"run", "status", "export"}
    assert hoist_global_options(["--project", "status", "run"], commands) == [
        "--project",
        "status",
        "run",
    ]
    assert hoist_global_options(["export", "segment", "b", "-p", "x", "--debug"], commands) == [
        "-p",
        "x",
        "--debug",
        "export",
        "segment",
        "b",
    ]


def test_version_and_help_without_bool_metavars() -> None:
    code, out = invoke("--version")
    assert code == 0
    assert out.startswith("personae ")
    for args in (("--help",), ("resolve", "--help"), ("export", "events", "--help")):
        code, out = invoke(*args)
        assert code == 0, out
        assert "<bool>" not in out
    assert "-o" in invoke("export", "events", "--help")[1]


def test_a_misspelled_trait_in_a_segment_fails_before_any_stage(starter: Path) -> None:
    edit(starter, "{trait: order_count,", "{trait: order_cuont,")
    for command in ("validate", "run", "status"):
        code, out = invoke("-p", str(starter), command)
        assert code == 1, out
        assert out.startswith(
            "Error: personae.yml: segments.buyers.all[0].trait: unknown trait or profile "
            "field 'order_cuont' (did you mean 'order_count'?); valid names: "
        )
        assert "__record_id" not in out and "__source" not in out
        assert "revenue" in out and "email" in out
    assert not (starter / ".personae" / "warehouse.duckdb").exists()


def test_expression_traits_are_checked_at_load(starter: Path) -> None:
    edit(
        starter,
        "  last_order_at:",
        "  basket: {expression: revenue / order_cnt}\n  last_order_at:",
    )
    code, out = invoke("-p", str(starter), "validate")
    assert code == 1
    assert "traits.basket.expression: unknown trait or profile field 'order_cnt'" in out
    assert "did you mean 'order_count'?" in out


def test_events_named_by_traits_are_checked_when_known(starter: Path) -> None:
    edit(
        starter,
        "revenue: {aggregate: sum, event: Order Completed",
        "revenue: {aggregate: sum, event: Order Complete",
    )
    code, out = invoke("-p", str(starter), "validate")
    assert code == 1
    assert out.startswith(
        "Error: personae.yml: traits.revenue.event: no source produces event 'Order Complete'; "
        "did you mean 'Order Completed'?; the events sources declare: Order Completed"
    )


def test_sources_in_survivorship_rules_and_destination_fields_are_checked(
    starter: Path,
) -> None:
    edit(
        starter,
        "    address: most_recent",
        "    address: {rule: source_priority, sources: [crm, order]}",
    )
    code, out = invoke("-p", str(starter), "validate")
    assert code == 1
    assert "profiles.fields.address.sources" in out and "'order'" in out
    assert "did you mean 'orders'?" in out
    edit(starter, "[crm, order]", "[crm, orders]")
    edit(
        starter,
        "destinations: {}",
        "destinations:\n  crm_buyers: {type: file, segment: buyers, path: b.csv, "
        "fields: [email, revnue]}",
    )
    code, out = invoke("-p", str(starter), "validate")
    assert code == 1
    assert "destinations.crm_buyers.fields.1: unknown profile field 'revnue'" in out


def test_export_profiles_defaults_to_golden_fields_and_traits(starter: Path) -> None:
    assert invoke("-p", str(starter), "run")[0] == 0
    out_file = starter / "profiles.csv"
    code, out = invoke("-p", str(starter), "export", "profiles", "-o", str(out_file))
    assert code == 0, out
    assert "Wrote 2 profiles to" in out
    header = out_file.read_text().splitlines()[0].split(",")
    assert header[:3] == ["person_id", "email", "phone"]
    assert {"order_count", "revenue", "last_order_at"} <= set(header)
    assert not any("__" in column for column in header)
    code, out = invoke("-p", str(starter), "export", "profiles", "-o", str(out_file), "--lineage")
    assert code == 0, out
    assert "email__source" in out_file.read_text().splitlines()[0]


def test_export_fields_error_lists_the_fields(starter: Path) -> None:
    assert invoke("-p", str(starter), "run")[0] == 0
    code, out = invoke(
        "-p", str(starter), "export", "profiles", "-o", "x.csv", "--fields", "email,rfm_segment"
    )
    assert code == 1
    assert "Error: --fields: no field 'rfm_segment'; the fields are: email, phone," in out
    assert "order_count, revenue, last_order_at" in out
    assert "__" not in out


def test_a_waiting_process_says_at_once_who_holds_the_lock(tmp_path: Path) -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with warehouse_lock(tmp_path):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    heard: list[tuple[float, str]] = []
    start = time.monotonic()
    threading.Timer(0.5, release.set).start()
    with warehouse_lock(tmp_path, on_wait=lambda m: heard.append((time.monotonic(), m))):
        pass
    holder.join()
    assert len(heard) == 1
    when, message = heard[0]
    assert when - start < 0.4  # said at once, not after the wait
    assert message.startswith(f"pid {os.getpid()}, ")
    assert ", since 20" in message and "UTC holds " in message
    assert "warehouse.lock; waiting up to 600s" in message


def test_status_after_an_appended_file_reads_as_a_person_would(starter: Path) -> None:
    assert invoke("-p", str(starter), "run")[0] == 0
    customers = starter / "data" / "customers.csv"
    # an appended latin-1 line: its reason and fix must be shown whole
    customers.write_bytes(
        customers.read_bytes() + "3,zoé@mail.fr,,Zoé,Roy,,,,FR,2026-03-01\n".encode("latin-1")
    )
    code, out = invoke("-p", str(starter), "run")
    assert code == 0, out
    code, out = invoke("-p", str(starter), "status")
    assert code == 0, out
    flat = " ".join(out.split())
    assert "│ crm │ 1 │ 2 │ 1 │" in flat  # one file, though loaded twice
    # the whole reason, its fix included, though the table wraps it
    assert "set 'encoding: latin-1'" in flat and "This file is not utf-8 encoded.)" in flat
    assert "Data quality: no invalid values in the 12 fields checked" in flat
    assert "Persons: 2" in flat and "Segment buyers: 2 members" in flat


def test_counts_of_one_are_singular(tmp_path: Path) -> None:
    project = tmp_path / "one"
    assert invoke("init", str(project))[0] == 0
    (project / "data" / "customers.csv").write_text(
        "id,email,phone,first_name,last_name,birth_date,postcode,city,country,updated_at\n"
    )
    (project / "data" / "orders.csv").write_text(
        "order_id,email,customer_id,ordered_at,total,category\n"
        "A-1,ann@mail.fr,1,2026-03-01 10:12:00,59.90,shoes\n"
    )
    code, out = invoke("-p", str(project), "run")
    assert code == 0, out
    assert "Identity: 1 record in 1 person (1 new, 0 merges, 0 splits, 0 links" in out
    code, out = invoke("-p", str(project), "export", "profiles", "-o", str(project / "p.csv"))
    assert "Wrote 1 profile to" in out


def test_explaining_an_unknown_record_names_no_internal_table(starter: Path) -> None:
    assert invoke("-p", str(starter), "run")[0] == 0
    code, out = invoke("-p", str(starter), "explain", "--records", "crm:99", "orders:A-1")
    assert code == 1
    assert out.startswith(
        "Error: no record '99' in source 'crm' among the resolved records; write "
        "source:record_id (see `personae export identities`), and run `personae resolve` "
        "after loading new files"
    )
    assert "identity_map" not in out
