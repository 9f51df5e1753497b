"""What consent costs: the ledger (clean), each person's state (profile) and a
consent-checked, hashed destination, on the demo plus an opt-in file of its own.

    python benchmarks/bench_consent.py --people 100000 [--dir /tmp/bench-consent] [--keep]

The demo's e-mail tool already sends unsubscribe events; this adds ``optins.csv``: one row
per CRM customer with an e-mail opt-in flag (yes/no/blank, a date and a proof) and an SMS
opt-out flag, then declares a segment of everybody and a Meta destination for advertising
(its consent granted to about half the customers). It prints the seconds of each step
once the pipeline has run, and the whole clean and profile stages for scale.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
import time
from pathlib import Path

from personae.activate import sync_destinations
from personae.catalog import CONSENT_LEDGER, PROFILE_CONSENT
from personae.clean.consent import build_ledger
from personae.demo.generator import generate_demo
from personae.ingest.tables import raw_table
from personae.pipeline import run
from personae.profile.consent import build_consent
from personae.project import Project

EXTRA = """
  optins:
    kind: people
    path: data/optins.csv
    record_id: customer_id
    fields: {customer_id: customer_id}
    consent:
      - {column: optin_email, purpose: email_marketing, at: optin_at, proof: proof}
      - {column: optin_ads, purpose: advertising, at: optin_at}
      - {column: stop_sms, purpose: sms_marketing, meaning: opt_out}
"""
TAIL = """
destinations:
  meta_everyone:
    type: file
    segment: everyone_bench
    path: out/meta.csv
    fields: [email, phone, first_name, last_name]
    purpose: advertising
    pseudonymise: {mode: hash, platform: meta}
"""


def write_optins(directory: Path, seed: int) -> int:
    rng = random.Random(seed)
    with (directory / "data" / "crm.csv").open(encoding="utf-8", newline="") as handle:
        ids = [row["customer_id"] for row in csv.DictReader(handle)]
    with (directory / "data" / "optins.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["customer_id", "optin_email", "optin_ads", "optin_at", "proof", "stop_sms"]
        )
        for i, customer in enumerate(ids):
            day = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
            writer.writerow(
                [
                    customer,
                    rng.choice(["yes", "no", ""]),
                    rng.choice(["1", "0"]),
                    day,
                    f"form-{i % 7}",
                    rng.choice(["", "", "1"]),
                ]
            )
    return len(ids)


def add_config(directory: Path) -> None:
    path = directory / "personae.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("\nsources:\n", "\nsources:" + EXTRA, 1)
    if "\nsegments:\n" in text:
        text = text.replace(
            "\nsegments:\n",
            '\nsegments:\n  everyone_bench:\n    all:\n      - {trait: record_count, ">=": 1}\n',
            1,
        )
    path.write_text(text + TAIL, encoding="utf-8")


def timed(label: str, fn: object) -> object:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    print(f"{label:<34} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="bench-consent-"))
    try:
        generate_demo(args.people, directory, seed=args.seed)
        rows = write_optins(directory, args.seed)
        add_config(directory)
        print(f"{args.people:,} people, {rows:,} opt-in rows")
        with Project.load(directory) as project:
            report = run(project)
            for stage in report.stages:
                print(f"stage {stage.command:<28} {stage.seconds:8.2f} s")
            engine, config = project.engine, project.config
            sources = {n: s for n, s in config.sources.items() if engine.table_exists(raw_table(n))}
            timed("consent ledger (clean)", lambda: build_ledger(engine, config, sources))
            timed("consent state (profile)", lambda: build_consent(engine, config))
            reports = timed(
                "destination: consent + SHA-256",
                lambda: sync_destinations(engine, config, project.root),
            )
            ledger = engine.count(CONSENT_LEDGER)
            persons = engine.scalar(f"SELECT count(DISTINCT person_id) FROM {PROFILE_CONSENT}")
            sent = reports["meta_everyone"]  # type: ignore[index]
            print(f"ledger rows {ledger:,}; persons with a consent record {persons:,}")
            print(f"meta_everyone: {sent.rows:,} sent, {sent.held_back:,} held back")
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
