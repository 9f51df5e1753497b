"""The demo data generator: a messy multi-source customer dataset with its ground truth.

``generate_demo(people, out_dir)`` invents the customers of a French fashion retailer
(about 92 % living in France, the rest in Belgium, Switzerland, Germany, the UK and
Spain) and writes what eight of the retailer's systems know about them:

===================  ========  ============================================================
file (``data/``)     kind      what it holds
===================  ========  ============================================================
crm.csv              people    customer accounts (dd/mm/yyyy birth dates, ``06 12 34 56 78``)
orders.csv           events    web orders, some by guests with another e-mail (``+336…``);
                               the main item: product id and name, category
email_events.csv     events    opens, clicks and unsubscribes of the e-mail tool (e-mail only)
web_events.jsonl     events    page views of anonymous devices; sign-ins carry the user id;
                               product pages followed by ``Product Viewed``
loyalty_members.csv  people    store loyalty cards: UPPER CASE names, m/d/yy birth dates
store_tickets.csv    events    till receipts, by loyalty card or anonymous; the main item
support_tickets.csv  events    help-desk tickets with the full name in one field
nps_survey.csv       events    satisfaction scores, known by e-mail only
===================  ========  ============================================================

The data is messy on purpose, at rates set by ``rates`` and ``styles``: each source writes
phones and dates its own way; names carry typos, lost accents, swapped or upper-case
parts and stray spaces; values are missing; some people moved house; households share a
surname, an address, a landline and sometimes an e-mail; guests check out with a second
e-mail; people type junk identifiers (``test@test.com``, ``0123456789``); popular names
make namesakes. ``truth/records.csv`` names the person behind every record of every file
(``source,record_id,person``; the pipeline never reads it), ``truth/persons.csv`` their
true attributes, ``truth/purchases.csv`` the purchase process of every customer (rate,
lifetime, spend level, what came next) and ``personae.yml`` declares the sources,
survivorship rules, traits and segments.

Web orders and till tickets come from one purchase process per customer (``purchases``):
acquisition, a rate of their own, gaps more regular than chance, seasons, a lifetime
after which they buy on neither channel, a spend level; what they buy and browse follows
their taste (``products``).

Everything is drawn from seeded numpy generators (tastes and purchases from a stream of
their own) and formatted with vectorised numpy/pyarrow operations (no Python loop over
rows), so a million people — about ten million rows — take well under a minute, and the
same seed gives byte-identical files.

The generator is split by idea, each module depending only on the ones before it:

===================  ======================================================================
module               what it holds
===================  ======================================================================
``arrays``           the array types and row-by-row string operations
``rates``            units, and the rates at which people appear and behave
``styles``           how each source writes people, and its mistakes
``formats``          digits, dates, times, identifiers and amounts as text
``draws``            random draws: weighted choices, chances, days and times of day
``lexicon``          the vocabulary of ``names`` as arrays
``households``       who lives with whom
``emails``           everyone's e-mail addresses
``population``       the real people (the ground truth)
``memberships``      which systems know each person
``products``         the product catalogue, and every person's taste
``purchases``        one purchase process per customer, for web orders and till tickets
``render``           names, phones, e-mails and addresses as one source writes them
``files``            writing CSV and JSON lines files, and the broken rows
``truth``            writing ``truth/records.csv``, ``persons.csv`` and ``purchases.csv``
``crm`` …            one module per source or group of sources: ``crm``, ``orders``,
                     ``engagement`` (e-mail and web), ``stores`` (loyalty and tickets),
                     ``service`` (support and NPS)
``config_file``      ``personae.yml``, from the package data file ``data/personae.yml``
===================  ======================================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from personae.config import CONFIG_FILE, parse_config
from personae.demo.config_file import config_text
from personae.demo.crm import build_crm, with_consent_flags
from personae.demo.engagement import build_email_events, build_web_events
from personae.demo.files import add_broken_rows, write_source
from personae.demo.memberships import draw_memberships
from personae.demo.orders import build_orders
from personae.demo.population import build_population
from personae.demo.products import draw_tastes
from personae.demo.purchases import draw_purchases
from personae.demo.service import build_nps_survey, build_support_tickets
from personae.demo.stores import build_loyalty, build_store_tickets
from personae.demo.truth import (
    PERSONS_FILE,
    PURCHASES_FILE,
    TRUTH_FILE,
    write_persons,
    write_purchases,
    write_truth,
)


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` wrote."""

    people: int
    config: Path
    truth: Path
    #: source name -> data file
    files: dict[str, Path]
    #: source name -> rows written
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generate_demo(
    people: int,
    out_dir: Path,
    seed: int = 42,
    anchor: dt.date = dt.date(2026, 11, 1),
    *,
    engine: str | None = None,
) -> DemoSummary:
    """Write a demo project into ``out_dir``: ``personae.yml``, ``data/`` and ``truth/``.

    ``anchor`` is the day the data is exported (the project's ``as_of``): every event
    happens before it. The same ``people``, ``seed`` and ``anchor`` give the same bytes.
    ``engine`` is the engine ``personae.yml`` names (default: the default engine)."""
    if people < 1:
        raise ValueError(f"people must be at least 1, got {people}")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    anchor_day = (anchor - dt.date(1970, 1, 1)).days
    pop = build_population(rng, people, anchor_day)
    who = draw_memberships(rng, pop)
    crm, accounts = build_crm(rng, pop, who, anchor_day)
    loyalty, cards = build_loyalty(rng, pop, who, anchor_day)
    # tastes and the purchase process (one for both channels) have streams of their own
    tastes = draw_tastes(np.random.default_rng([seed, 3]), people)
    buying = np.random.default_rng([seed, 2])
    purchases = draw_purchases(buying, who, cards.joined_day, tastes, anchor_day)
    sources = [
        crm,
        build_orders(rng, pop, accounts, purchases),
        build_email_events(rng, pop, who, anchor_day),
        build_web_events(rng, pop, who, accounts, tastes, anchor_day),
        loyalty,
        build_store_tickets(rng, pop, cards, purchases, tastes, anchor_day),
        build_support_tickets(rng, pop, who, anchor_day),
        build_nps_survey(rng, pop, who, anchor_day),
    ]
    # consent check boxes come last, from their own stream: the other values stay as they were
    sources[0] = with_consent_flags(np.random.default_rng([seed, 1]), crm, who)
    text = config_text(anchor, engine)
    parse_config(text)  # the generated configuration must always be valid
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    files = {s.name: out_dir / "data" / s.file for s in sources}
    for source in sources:
        write_source(source, files[source.name])
    add_broken_rows(files)
    truth = out_dir / TRUTH_FILE
    write_truth(sources, pop, truth)
    write_persons(pop, out_dir / PERSONS_FILE)
    write_purchases(pop, purchases, tastes, out_dir / PURCHASES_FILE)
    config = out_dir / CONFIG_FILE
    config.write_text(text, encoding="utf-8")
    rows = {s.name: s.rows for s in sources}
    return DemoSummary(people=people, config=config, truth=truth, files=files, rows=rows)
