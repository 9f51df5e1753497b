"""``personae init``: a commented starter project that runs as written."""

from __future__ import annotations

from pathlib import Path

from personae.config.loader import CONFIG_FILE
from personae.errors import ProjectError

STARTER_CONFIG = """\
# personae.yml: everything personae does with your customer data, as code.
# Docs: the README and docs/tutorial.md of personae. Check it with `personae validate`.
name: my-brand

# engine: where the warehouse lives. DuckDB, embedded in one file, is the default.
engine:
  type: duckdb
  path: .personae/warehouse.duckdb

# Reference date for time windows ("last 30 days"). Omit it to use today.
# as_of: 2026-11-01

defaults:
  phone_region: FR      # phones written without +CC are read as French numbers

# Extra canonical fields beside the built-in ones (email, phone, customer_id, user_id,
# anonymous_id, loyalty_id, device_id, first_name, last_name, gender, birth_date,
# address, postcode, city, country, language).
custom_fields: {}
#   vip_tier: {type: string}
#   sap_id: {type: string, identity: true}

# sources: one entry per system. kind: people (CRM rows, loyalty members) or events
# (orders, tickets, email opens…). fields maps canonical field -> your column.
sources:
  crm:
    kind: people
    path: data/customers.csv      # a path or a glob such as data/customers_*.csv
    format: csv                   # csv, tsv, json, jsonl or parquet
    delimiter: ","
    encoding: utf-8
    record_id: id                 # the column that identifies a row in this source
    updated_at: {column: updated_at}
    fields:
      customer_id: id             # the same id as customer_id in orders.csv
      email: email
      phone: {column: phone, region: FR}
      first_name: first_name
      last_name: last_name
      birth_date: {column: birth_date, format: "%d/%m/%Y"}
      postcode: postcode
      city: city
      country: country
  orders:
    kind: events
    path: data/orders.csv
    record_id: order_id
    fields:
      email: email
      customer_id: customer_id
    event:
      name: Order Completed
      timestamp: {column: ordered_at}              # ISO 8601, or give a format
      properties:
        revenue: {column: total, type: number}
        category: category

# identity: how records are stitched into persons. The defaults block junk values
# (test@test.com, 0000000000…), keep households apart and cap identifiers per person.
identity:
  generic_threshold: 5
#   types:
#     customer_id: {priority: 1, limit: 1, per_source: true}
#     email: {priority: 4, limit: 5, household_safe: true}

# profiles: which value wins in the golden record.
profiles:
  source_priority: [crm, orders]
  fields:
    email: source_priority
    address: most_recent

# traits: aggregates over events, expressions over other traits, and RFM.
traits:
  order_count: {aggregate: count, event: Order Completed}
  revenue: {aggregate: sum, event: Order Completed, of: revenue}
  last_order_at: {aggregate: max, event: Order Completed, of: timestamp}

# segments: readable conditions on traits and events.
segments:
  buyers:
    description: Ordered at least once
    all:
      - {trait: order_count, ">=": 1}

# destinations: where segments go (files for now).
destinations: {}
"""

STARTER_CUSTOMERS = """\
id,email,phone,first_name,last_name,birth_date,postcode,city,country,updated_at
1,jeanne.martin@mail.fr,06 12 34 56 78,Jeanne,Martin,03/04/1985,75011,Paris,France,2026-01-05
2,PAUL.DURAND@mail.fr ,+33 (0)6 98 76 54 32,Paul,Durand,21/11/1979,69003,Lyon,FR,2026-02-11
"""

STARTER_ORDERS = """\
order_id,email,customer_id,ordered_at,total,category
A-1,jeanne.martin@mail.fr,1,2026-03-01 10:12:00,59.90,accessories
A-2,paul.durand@mail.fr,2,2026-03-04 18:40:00,120.00,shoes
"""


def write_starter_project(directory: Path) -> Path:
    config = directory / CONFIG_FILE
    if config.exists():
        raise ProjectError(f"{config} already exists; choose an empty folder or edit it")
    (directory / "data").mkdir(parents=True, exist_ok=True)
    config.write_text(STARTER_CONFIG, encoding="utf-8")
    for name, text in (("customers.csv", STARTER_CUSTOMERS), ("orders.csv", STARTER_ORDERS)):
        path = directory / "data" / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(".personae/\n", encoding="utf-8")
    return config
