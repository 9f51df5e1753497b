"""The serving store's name index, which person search reads (:mod:`personae.serving.search`).

A person's name tokens are the words of every first and last name seen for them (the
golden ones and every other value in ``profile_values``: a maiden name, a variant, a
nickname), each as the clean stage's name key (:func:`personae.clean.normalize.name_key`:
lower case, accents stripped, letters ``a``-``z`` only), and, for a name of several
words, the whole name's key: ``Jean-Pierre de la Fontaine`` gives ``jean``, ``pierre``,
``de``, ``la``, ``fontaine``, ``jeanpierre`` and ``delafontaine``.

Two tables of the published generation hold them:

* ``search_tokens`` (``token``, ``person_id``, ``records``: how many records the person
  has, and ``golden``: 1 when the word is in the person's golden first or last name, 0
  when only another value holds it; both rank the hits), keyed by ``(token, person_id)``;
* ``search_vocabulary`` (``token``, ``persons``): the distinct tokens, which fuzzy and
  prefix matching scan in memory.

With ``protect.encryption`` on, a token is stored as its keyed hash, as lookup keys are
(:meth:`personae.serving.store.Codec.lookup_key`, kind ``name``), and the vocabulary stays
empty: a name is found by its exact words only (accents and case still do not matter), no
typo and no prefix.
"""

from __future__ import annotations

import re
import sqlite3

import pyarrow as pa

from personae.catalog import PROFILE_VALUES, PROFILES
from personae.clean.normalize import name_key
from personae.engine import Engine
from personae.serving.store import Codec
from personae.sql import literal

#: the profile fields whose values are indexed
NAME_FIELDS = ("first_name", "last_name")
#: the kind a token is hashed under when the store is encrypted
TOKEN_KIND = "name"
#: scratch tables of the publish (distinct name -> tokens; person tokens)
NAME_TOKENS = "_serving_name_tokens"
PERSON_TOKENS = "_serving_person_tokens"
_WORDS = re.compile(r"[\W_]+")
_STEP = 500_000


def query_tokens(text: str) -> list[str]:
    """The words of a searched name, as name keys, in order, without repeats:
    ``"Hélène  O'Neil"`` -> ``["helene", "o", "neil"]``; digits and symbols are dropped."""
    out: list[str] = []
    for word in _WORDS.split(text):
        key = name_key(word) if word else None
        if key and key not in out:
            out.append(key)
    return out


def name_tokens(value: str) -> list[str]:
    """The tokens a name value is found by: its words' keys, and the whole value's key
    when it has several words (``Jean-Pierre`` -> ``jean``, ``pierre``, ``jeanpierre``)."""
    tokens = query_tokens(value)
    whole = name_key(value)
    if len(tokens) > 1 and whole and whole not in tokens:
        tokens.append(whole)
    return tokens


def _values_sql(engine: Engine) -> str | None:
    """``person_id, value, golden`` for every name value of every live person (``golden``:
    1 for the golden first and last name), or None when the profiles have no name field."""
    present = set(engine.columns(PROFILES))
    fields = [f for f in NAME_FIELDS if f in present]
    if not fields:
        return None
    parts = [
        f"SELECT person_id, CAST({f} AS VARCHAR) AS value, 1 AS golden FROM {PROFILES} "
        f"WHERE {f} IS NOT NULL"
        for f in fields
    ]
    if engine.table_exists(PROFILE_VALUES):
        names = ", ".join(literal(f) for f in fields)
        parts.append(
            f"SELECT v.person_id, CAST(v.value AS VARCHAR) AS value, 0 AS golden "
            f"FROM {PROFILE_VALUES} v "
            f"JOIN {PROFILES} p USING (person_id) WHERE v.field IN ({names}) "
            "AND v.value IS NOT NULL"
        )
    return " UNION ALL ".join(parts)


def write_search_tokens(engine: Engine, db: sqlite3.Connection, codec: Codec) -> int:
    """Fill ``search_tokens`` and ``search_vocabulary`` of the generation ``db`` is
    building (inside its open transaction); returns how many token rows were written.

    The distinct name values are tokenised in Python (as the clean stage maps distinct
    values), written back to the engine, and joined to the persons in SQL."""
    values = _values_sql(engine)
    if values is None:
        return 0
    distinct = engine.query(f"SELECT DISTINCT value FROM ({values}) v").column(0).to_pylist()
    pairs = [(v, t) for v in distinct if v for t in name_tokens(str(v))]
    mapping = pa.table(
        {"value": [v for v, _ in pairs], "token": [t for _, t in pairs]},
        schema=pa.schema([("value", pa.string()), ("token", pa.string())]),
    )
    engine.write_arrow(NAME_TOKENS, mapping, mode="replace")
    records = "p.record_count" if "record_count" in engine.columns(PROFILES) else "1"
    engine.create_table_as(
        PERSON_TOKENS,
        f"SELECT t.token, v.person_id, max(COALESCE({records}, 1)) AS records, "
        "max(v.golden) AS golden "
        f"FROM ({values}) v JOIN {NAME_TOKENS} t ON t.value = v.value "
        f"JOIN {PROFILES} p ON p.person_id = v.person_id GROUP BY t.token, v.person_id",
    )
    table = engine.query(
        f"SELECT token, person_id, records, golden FROM {PERSON_TOKENS} ORDER BY token, person_id"
    )
    columns = [table.column(i) for i in range(table.num_columns)]
    hashed: dict[str, str | bytes] = {}
    count = 0
    for start in range(0, table.num_rows, _STEP):
        tokens, persons, counts, golden = (c.slice(start, _STEP).to_pylist() for c in columns)
        rows = list(zip(tokens, persons, counts, golden, strict=True))
        if codec.encrypted:
            for token in set(tokens):
                if token not in hashed:
                    hashed[token] = codec.lookup_key(TOKEN_KIND, token)
            rows = sorted((hashed[t], p, r, g) for t, p, r, g in rows)
        db.executemany("INSERT INTO search_tokens VALUES (?, ?, ?, ?)", rows)
        count += len(rows)
    if not codec.encrypted:
        vocabulary = engine.rows(
            f"SELECT token, count(*) FROM {PERSON_TOKENS} GROUP BY token ORDER BY token"
        )
        db.executemany("INSERT INTO search_vocabulary VALUES (?, ?)", vocabulary)
    return count
