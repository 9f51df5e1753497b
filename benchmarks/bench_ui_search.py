"""Person search (the web UI's search box, ``personae search``) on a published 1M-person
serving store: median, p95 and max latency per kind of query, and how often the person
the query was made from is among the hits, against the 200 ms target; and the seconds
the name index adds to a publish.

The store must hold the name index (``search_tokens``, ``search_vocabulary``). Two ways:

* ``--project DIR`` with ``--index``: a COPY of a project whose store was published
  before the index existed (the build writes scratch tables into the warehouse and the
  tables into the live store file): builds just the index, with the publish's own
  function, and times it (the seconds it adds to ``personae serving publish``);
* ``--project DIR`` alone: the store as published (``personae serving publish`` ran with
  this version).

Queries are drawn from the store's own persons (seeded): their person id, e-mail (case
changed), phone written nationally (``06 12 34 56 78``), user id, loyalty card and
customer id; their name as stored, with one typo per word, last name first without
accents, a 4-letter prefix of the last name with the first name, and the last name alone
(a broad query: every person of that name).

    cp -r /tmp/serving-bench /tmp/bench-ui-search   # or copy its warehouse, personae.yml,
                                                    # .personae/hashing.key and serving/
    .venv/bin/python benchmarks/bench_ui_search.py --project /tmp/bench-ui-search --index
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import phonenumbers

from personae.project import Project
from personae.serving.names import write_search_tokens
from personae.serving.search import PersonSearch
from personae.serving.store import SCHEMA, Codec, ServingPaths

TARGET_MS = 200.0
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def build_index(project: Project, store: Path) -> float:
    """Write the name index into ``store`` as a publish does; the seconds it took."""
    db = sqlite3.connect(store, isolation_level=None)
    try:
        for table in ("search_tokens", "search_vocabulary"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in SCHEMA:
            if "search_" in statement:
                db.execute(statement)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -262144"):
            db.execute(f"PRAGMA {pragma}")
        started = time.perf_counter()
        db.execute("BEGIN")
        rows = write_search_tokens(
            project.engine, db, Codec.for_project(project.state_dir, project.keys)
        )
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()
    size = db_size(store, "search_tokens") + db_size(store, "search_vocabulary")
    print(f"name index: {rows:,} rows, {size / 1e6:,.1f} MB, built in {seconds:.1f} s")
    return seconds


def db_size(store: Path, table: str) -> int:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?", (table,)).fetchone()
        return int(row[0] or 0)
    except sqlite3.OperationalError:  # SQLite built without dbstat
        return 0
    finally:
        db.close()


def typo(word: str, rng: random.Random) -> str:
    """One random edit (substitution, deletion, insertion or transposition) inside a
    word of 4 letters or more (the first letter kept, as people rarely miss it)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("sub", "del", "ins", "swap"))
    if kind == "sub":
        return word[:i] + rng.choice(LETTERS.replace(word[i].lower(), "")) + word[i + 1 :]
    if kind == "del":
        return word[:i] + word[i + 1 :]
    if kind == "ins":
        return word[:i] + rng.choice(LETTERS) + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def national(e164: str) -> str:
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


Query = tuple[str, str, int]  # kind, text, the person it was made from


def draw_queries(store: Path, per_kind: int, seed: int) -> list[Query]:
    """Queries of every kind from persons drawn at random (seeded) from the store."""
    rng = random.Random(seed)
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        names = orjson.loads(
            db.execute("SELECT value FROM meta WHERE key = 'trait_names'").fetchone()[0]
        )
        persons = [int(r[0]) for r in db.execute("SELECT person_id FROM traits")]
        docs: list[tuple[int, dict[str, Any], list[dict[str, Any]]]] = []
        for person in rng.sample(persons, min(len(persons), per_kind * 3)):
            row = db.execute(
                "SELECT t.person_id, t.data, x.data FROM traits t JOIN external_ids x "
                "USING (person_id) WHERE t.person_id = ?",
                (person,),
            ).fetchone()
            if row:
                doc = {names[int(k)]: v for k, v in orjson.loads(row[1]).items()}
                docs.append((int(row[0]), doc, orjson.loads(row[2])))
    finally:
        db.close()
    out: list[Query] = []

    def add(kind: str, make: Callable[[dict[str, Any], list[dict[str, Any]]], str | None]) -> None:
        made = 0
        for person, doc, ids in docs:
            text = make(doc, ids)
            if text:
                out.append((kind, text, person))
                made += 1
                if made == per_kind:
                    return

    def of(kind: str) -> Callable[[dict[str, Any], list[dict[str, Any]]], str | None]:
        return lambda _, ids: next((str(x["i"]) for x in ids if x["t"] == kind), None)

    def named(make: Callable[[str, str], str]) -> Callable[[dict[str, Any], Any], str | None]:
        def go(doc: dict[str, Any], _: Any) -> str | None:
            first, last = doc.get("first_name"), doc.get("last_name")
            return make(str(first), str(last)) if first and last else None

        return go

    out.extend(("person_id", str(person), person) for person, _, _ in docs[:per_kind])
    add("email", lambda doc, _: str(doc["email"]).upper() if doc.get("email") else None)
    add("phone", lambda doc, _: national(str(doc["phone"])) if doc.get("phone") else None)
    for kind in ("user_id", "loyalty_id", "customer_id"):
        add(kind, of(kind))
    add("name", named(lambda f, ln: f"{f} {ln}"))
    add("name_typo", named(lambda f, ln: f"{typo(f, rng)} {typo(ln, rng)}"))
    add("name_swapped_plain", named(lambda f, ln: plain(f"{ln} {f}").upper()))
    add("name_prefix", named(lambda f, ln: f"{ln[:4]} {f}"))
    add("last_name_only", named(lambda _, ln: ln))
    return out


def measure(search: PersonSearch, queries: list[Query], limit: int) -> None:
    started = time.perf_counter()
    search.search("warm up")  # opens the store and loads the vocabulary
    print(f"first search (opens the store, loads the vocabulary): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip
    times: dict[str, list[float]] = {}
    found: dict[str, int] = {}
    for kind, text, person in queries:
        started = time.perf_counter()
        hits = search.search(text, limit=limit)
        times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        found[kind] = found.get(kind, 0) + any(h.person_id == person for h in hits)
    print(f"\n{'query':<20} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'found':>7}")
    worst = 0.0
    for kind, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        worst = max(worst, p95)
        print(
            f"{kind:<20} {len(values):>4} {statistics.median(values):>10.1f} {p95:>8.1f} "
            f"{values[-1]:>8.1f} {found[kind] / len(values):>7.0%}"
        )
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(f"\nworst p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, required=True, help="a COPY of a project")
    parser.add_argument("--index", action="store_true", help="build the name index first")
    parser.add_argument("--queries", type=int, default=100, help="queries per kind")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with Project.load(args.project) as project:
        store = ServingPaths.of(project.state_dir).live()
        if store is None:
            sys.exit(f"{args.project}: no serving store is published")
        print(f"store: {store} ({store.stat().st_size / 1e9:.2f} GB)")
        if args.index:
            build_index(project, store)
        queries = draw_queries(store, args.queries, args.seed)
        search = PersonSearch.for_project(project)
        try:
            measure(search, queries, args.limit)
        finally:
            search.close()


if __name__ == "__main__":
    main()
