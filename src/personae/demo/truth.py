"""The ground truth: the real person behind every record of every file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from personae.demo import names as vocab
from personae.demo.arrays import join, take, words
from personae.demo.files import CHUNK_ROWS, SourceData, write_text
from personae.demo.formats import fill_template
from personae.demo.lexicon import lexicon
from personae.demo.population import Population
from personae.demo.products import Tastes
from personae.demo.purchases import Purchases
from personae.demo.rates import NEVER
from personae.demo.render import cities_of, postcodes_of, render_addresses
from personae.engine import Engine, ReadOptions

#: the ground truth, relative to the project folder
TRUTH_FILE = Path("truth") / "records.csv"
#: the true attributes of every person, relative to the project folder
PERSONS_FILE = Path("truth") / "persons.csv"
#: the columns of :data:`PERSONS_FILE` after ``person``: canonical fields of ``records``
PERSON_FIELDS = (
    "first_name", "last_name", "birth_date", "email", "phone", "address", "postcode",
    "city", "country",
)  # fmt: skip
#: every customer's purchase process, relative to the project folder
PURCHASES_FILE = Path("truth") / "purchases.csv"
#: the columns of :data:`PURCHASES_FILE`
PURCHASE_FIELDS = (
    "person", "first_purchase_date", "purchases_per_year", "lifetime_end_date", "spend_level",
    "web_share", "main_style", "next_purchase_date", "purchases_next_365d",
)  # fmt: skip
#: where :func:`load_truth` puts it in the warehouse (never read by the pipeline)
TRUTH_TABLE = "demo_truth"
#: the records of the truth that carry evidence of who they are
PLACEABLE_TABLE = "demo_truth_placeable"
#: where :func:`load_truth` puts the true attributes of every person
PERSONS_TABLE = "demo_truth_persons"
#: where :func:`load_truth` puts every customer's purchase process
PURCHASES_TABLE = "demo_truth_purchases"


def write_truth(sources: Sequence[SourceData], pop: Population, path: Path) -> None:
    """``source,record_id,person`` for every row of every source file."""
    with path.open("wb") as handle:
        handle.write(b"source,record_id,person\n")
        for source in sources:
            record_ids = source.table.column(source.record_id)
            for start in range(0, source.rows, CHUNK_ROWS):
                persons = source.persons[start : start + CHUNK_ROWS]
                ids = record_ids.slice(start, CHUNK_ROWS)
                person_keys = take(pop.key, persons)
                write_text(handle, join(source.name + ",", ids, ",", person_keys, "\n"))


def _true_phones(pop: Population) -> pa.Array:
    """Each person's own mobile in E.164 (``+33612345678``): the number that is theirs."""
    parts = np.empty(pop.size, dtype=object)
    for c, spec in enumerate(vocab.COUNTRIES):
        rows = np.flatnonzero(pop.country == c)
        template = f"+{spec.dial}" + "X" * spec.digits
        parts[rows] = fill_template(template, pop.mobile[rows]).to_pylist()
    return pa.array(parts.tolist(), type=pa.string())


def _csv(values: pa.Array) -> pa.Array:
    """Values as CSV fields: quoted when they hold a comma or a quote."""
    needs_quotes = pc.match_substring_regex(values, '[,"]')
    quoted = join('"', pc.replace_substring(values, '"', '""'), '"')
    return pc.fill_null(pc.if_else(needs_quotes, quoted, values), "")


def write_persons(pop: Population, path: Path) -> None:
    """``person,first_name,…`` : the true value of each field, as ``records`` holds it once
    cleaned (names as written with accents, dates ISO, e-mails lower case, phones E.164,
    the current address). Drawn from the population only, with no random draw, so every
    other file stays byte-identical."""
    lex = lexicon()
    birth = pa.array(pop.birth_day.astype("datetime64[D]")).cast(pa.string())
    columns = {
        "first_name": take(lex.first, pop.first),
        "last_name": take(lex.last, pop.last),
        "birth_date": birth,
        "email": take(pop.emails, np.arange(pop.size)),
        "phone": _true_phones(pop),
        # no abbreviation drawn: the generator's own random stream is not touched
        "address": render_addresses(np.random.default_rng(0), pop.home),
        "postcode": postcodes_of(pop.home),
        "city": cities_of(pop.home),
        "country": take(words(vocab.COUNTRY_CODES), pop.country),
    }
    with path.open("wb") as handle:
        handle.write(("person," + ",".join(PERSON_FIELDS) + "\n").encode())
        for start in range(0, pop.size, CHUNK_ROWS):
            rows = np.arange(start, min(start + CHUNK_ROWS, pop.size))
            parts: list[object] = [take(pop.key, rows)]
            for name in PERSON_FIELDS:
                parts += [",", _csv(take(columns[name], rows))]
            write_text(handle, join(*parts, "\n"))


def _dates(days: npt.NDArray[np.int64]) -> pa.Array:
    """Days since 1970 as ISO dates; NEVER as an empty field."""
    dates = pa.array(np.minimum(days, NEVER - 1).astype("datetime64[D]")).cast(pa.string())
    return pc.if_else(pa.array(days >= NEVER), "", dates)


def _decimals(values: npt.NDArray[np.float64], places: int) -> pa.Array:
    return pa.array(np.round(values, places)).cast(pa.string())


def write_purchases(pop: Population, purchases: Purchases, tastes: Tastes, path: Path) -> None:
    """``person,first_purchase_date,…``: the purchase process behind the orders and till
    tickets of every web buyer and loyalty member (for diagnostics: the pipeline never
    reads it). ``lifetime_end_date`` may lie after the export (the person is still
    buying); ``next_purchase_date`` (empty when none) and ``purchases_next_365d`` are
    what the process did in the year after it, on either channel."""
    c = purchases.customers
    rows = np.flatnonzero(c.customer)
    columns = [
        take(pop.key, rows),
        _dates(c.first_day[rows]),
        _decimals(c.rate[rows] * 365.25, 3),
        _dates(c.end_day[rows]),
        _decimals(c.spend[rows], 3),
        _decimals(c.web_share[rows], 3),
        take(words(vocab.STYLES), tastes.main_style()[rows]),
        _dates(c.next_day[rows]),
        pa.array(c.next_count[rows]).cast(pa.string()),
    ]
    with path.open("wb") as handle:
        handle.write((",".join(PURCHASE_FIELDS) + "\n").encode())
        for start in range(0, len(rows), CHUNK_ROWS):
            parts: list[object] = []
            for column in columns:
                parts += [column.slice(start, CHUNK_ROWS), ","]
            write_text(handle, join(*parts[:-1], "\n"))


def load_truth(engine: Engine, root: Path) -> bool:
    """Load the generator's ground truth beside the warehouse (never read by the pipeline)."""
    path = root / TRUTH_FILE
    if not path.exists():
        return False
    engine.read_file(path, ReadOptions(format="csv"), TRUTH_TABLE)
    persons = root / PERSONS_FILE
    if persons.exists():
        engine.read_file(persons, ReadOptions(format="csv"), PERSONS_TABLE)
    if (root / PURCHASES_FILE).exists():
        engine.read_file(root / PURCHASES_FILE, ReadOptions(format="csv"), PURCHASES_TABLE)
    return True
