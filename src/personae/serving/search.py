"""Person search over the serving store: find a person by person id, e-mail, phone, any
external id of the project, or name (fuzzy, accent-insensitive). The CLI (``personae
search``) and the web UI both call :meth:`PersonSearch.search`.

Routing of a query (the first routes that find someone answer):

1. ``123`` or ``#123``: a person id (a retired id answers the person it was merged into);
   ``type:value`` (``user_id:u-12``, ``email:…``): that id type only;
2. with an ``@``: an e-mail, normalised as the clean stage does (lower case …);
3. phone-shaped (digits, spaces, ``+ ( ) . - /``, 6 digits or more): a phone, to E.164
   in ``default_region`` (the project's ``defaults.phone_region`` when None);
4. the query as a value of every id type of the store (``user_id``, ``customer_id``,
   ``loyalty_id`` …);
5. otherwise a name: each word of the query (as a name key: no accents, lower case) must
   match one of the person's name words (:mod:`personae.serving.names`) exactly, as a
   prefix (query words of 3 letters or more), or within Damerau-Levenshtein distance 1
   (2 for words of 8 letters or more; words of 3 letters or more). Words are unordered,
   so ``Martin Jeanne`` finds Jeanne Martin, and a maiden name or variant seen in any
   record finds the person too.

Hits are ranked by score (1.0 for an id; for a name, the mean over the query's words of
1.0 exact, 0.8 prefix, 0.6 one edit, 0.4 two edits), then by how many of the words are
in the person's golden name (a person now called Dubois before one whose maiden name
was), then by how many records the person has, then by person id; one hit per person. A
name word of the query is not matched as a prefix or typo of another word of the query
(``Marie Mar`` asks for two names).

Under ``protect.encryption`` the name words are stored as keyed hashes: a name is found
by its exact words only (accents and case still do not matter), never by a typo or a
prefix. A person the streaming worker created since the last publish is found by its ids,
not by name, until the next publish.
"""

from __future__ import annotations

import bisect
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jellyfish
import numpy as np
import numpy.typing as npt

from personae.clean.normalize import email, phone
from personae.project import Project
from personae.protect.encryption import Keyring
from personae.serving.names import TOKEN_KIND, query_tokens
from personae.serving.profiles import PERSON_ID, ExternalId, ProfileStore
from personae.serving.store import ServingError

EXACT, PREFIX, ONE_EDIT, TWO_EDITS = 1.0, 0.8, 0.6, 0.4
#: query words this long or longer match as a prefix, and with typos
MIN_PREFIX = 3
MIN_FUZZY = 3
#: query words this long or longer match within two edits (one below)
TWO_EDITS_FROM = 8
_PHONE = re.compile(r"\+?[\d\s().\-/]+")
_PERSON = re.compile(r"#\s*(\d+)")
_CHUNK = 500


@dataclass(frozen=True)
class SearchHit:
    """One person found.

    ``matched_on``: ``person_id``, ``retired_person_id`` (an id merged into this
    person), ``email``, ``phone``, an id type (``user_id``, ``loyalty_id`` …) or ``name``;
    ``matched_value``: the value found (normalised: ``+33612345678``), for a name the
    person's name words that matched (``jeanne martin``); ``score``: 1.0 for an id, in
    (0, 1] for a name (see the module's docstring); ``profile``: the person's document
    as the Profile API serves it (golden fields ``first_name``, ``last_name``,
    ``email``, ``phone``, ``city``, ``record_count`` …, and traits), JSON-ready."""

    person_id: int
    matched_on: str
    matched_value: str
    score: float
    profile: dict[str, Any]


@dataclass(frozen=True)
class _Vocabulary:
    """The distinct name words of a generation, sorted, with how many persons hold
    each, their lengths and letter counts (a cheap filter before edit distances)."""

    tokens: list[str]
    persons: list[int]
    lengths: npt.NDArray[np.int16]
    letters: npt.NDArray[np.int16]

    @classmethod
    def load(cls, db: sqlite3.Connection) -> _Vocabulary:
        rows = db.execute("SELECT token, persons FROM search_vocabulary ORDER BY token").fetchall()
        tokens = [str(t) for t, _ in rows]
        return cls(tokens, [int(n) for _, n in rows], *_shapes(tokens))

    def matches(self, word: str) -> dict[str, float]:
        """Vocabulary word -> the best score it matches ``word`` with."""
        found: dict[str, float] = {}
        at = bisect.bisect_left(self.tokens, word)
        if at < len(self.tokens) and self.tokens[at] == word:
            found[word] = EXACT
        if len(word) >= MIN_PREFIX:
            end = bisect.bisect_left(self.tokens, word + "\x7f", at)
            for token in self.tokens[at:end]:
                found.setdefault(token, PREFIX)
        if len(word) >= MIN_FUZZY:
            edits = 2 if len(word) >= TWO_EDITS_FROM else 1
            lengths, letters = _shapes([word])
            near = np.abs(self.lengths - lengths[0]) <= edits
            near &= np.abs(self.letters - letters[0]).sum(axis=1) <= 2 * edits
            for i in np.flatnonzero(near).tolist():
                token = self.tokens[i]
                if token in found:
                    continue
                distance = jellyfish.damerau_levenshtein_distance(word, token)
                if distance <= edits:
                    found[token] = ONE_EDIT if distance == 1 else TWO_EDITS
        return found


def _shapes(tokens: list[str]) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
    """Each token's length, and its count of each letter ``a``-``z`` (a row of 26)."""
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int16, count=len(tokens))
    letters = np.zeros((len(tokens), 26), dtype=np.int16)
    if tokens:
        codes = np.frombuffer("".join(tokens).encode("ascii"), dtype=np.uint8) - ord("a")
        rows = np.repeat(np.arange(len(tokens)), lengths)
        np.add.at(letters, (rows, codes), 1)
    return lengths, letters


class PersonSearch:
    """Search the persons of a serving store: the live generation of a project (reopened
    when a publish swaps in a new one; the name vocabulary is loaded once per
    generation), or one store file (``generation``). Safe to share between threads."""

    def __init__(
        self, state_dir: Path, keys: Keyring | None = None, generation: Path | None = None
    ) -> None:
        self.store = ProfileStore(state_dir, keys, generation)
        self._lock = threading.Lock()
        self._loaded_from: sqlite3.Connection | None = None
        self._vocabulary: _Vocabulary | None = None
        self._indexed = False

    @classmethod
    def for_project(cls, project: Project) -> PersonSearch:
        """Search the live serving store of ``project`` (it needs no warehouse)."""
        return cls(project.state_dir, project.keys)

    def close(self) -> None:
        with self._lock:
            self.store.close()
            self._loaded_from = self._vocabulary = None

    def search(
        self, query: str, *, limit: int = 20, default_region: str | None = None
    ) -> list[SearchHit]:
        """The persons ``query`` names, best first, at most ``limit``; [] for a blank
        query or when nobody matches. Raises :class:`ServingError` when nothing is
        published yet, or when a name is searched in a store published before search
        existed (the fix: ``personae serving publish``)."""
        text = " ".join(query.split())
        if not text or limit <= 0:
            return []
        with self._lock:
            self._refresh()
            found = self._by_id(text, default_region)
            if not found and _may_be_name(text):
                found = self._by_name(text, limit)
            return self._hits(found, limit)

    # --- generations

    def _refresh(self) -> None:
        db = self.store.refresh()
        if db is self._loaded_from:
            return
        tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master")}
        self._indexed = "search_tokens" in tables
        encrypted = self.store.codec.encrypted
        indexed = self._indexed and not encrypted
        self._vocabulary = _Vocabulary.load(db) if indexed else None
        self._loaded_from = db

    # --- ids

    def _by_id(self, text: str, region: str | None) -> list[tuple[int, str, str, float]]:
        """``(person, matched_on, matched_value, score)`` of the id routes."""
        asked: list[ExternalId] = []
        kinds = [k for k in self.store.id_types if k not in ("email", "phone")]
        person = _PERSON.fullmatch(text)
        kind, sep, value = text.partition(":")
        if person:
            asked = [ExternalId(PERSON_ID, person.group(1))]
        elif sep and kind.strip() in (*self.store.id_types, PERSON_ID) and value.strip():
            asked = [ExternalId(kind.strip(), value.strip())]
        else:
            if text.isdigit():
                asked.append(ExternalId(PERSON_ID, text))
            if "@" in text:
                asked.append(ExternalId("email", text))
            elif _PHONE.fullmatch(text) and sum(c.isdigit() for c in text) >= 6:
                asked.append(ExternalId("phone", text))
            asked.extend(ExternalId(k, text) for k in kinds)
        found = []
        region = region or self.store.meta.get("phone_region")
        for external in asked:
            normal = _normalised(external, region)
            if normal is None:
                continue
            resolved = self.store.resolve(ExternalId(external.kind, normal))
            if resolved is None:
                continue
            on = external.kind
            if external.kind == PERSON_ID and resolved.asked is not None:
                on = "retired_person_id"
            found.append((resolved.person_id, on, normal, EXACT))
        return found

    # --- names

    def _by_name(self, text: str, limit: int) -> list[tuple[int, str, str, float]]:
        words = query_tokens(text)
        if not words:
            return []
        if not self._indexed:
            raise ServingError(
                "this serving store was published before person search existed, so it "
                "holds no name index: run 'personae serving publish'"
            )
        matches = [self._matches(word) for word in words]
        for i, own in enumerate(matches):  # "marie mar": "mar" may not match "marie" too
            for other in words:
                if other != words[i]:
                    own.pop(other, None)
        if any(not m for m in matches):
            return []  # a word matches no name: nobody holds every word
        spare = limit * 2  # some persons may be gone since the publish (merged, erased)
        if len(words) == 1:
            return self._one_word(words[0], matches[0], spare)
        rarest = min(range(len(words)), key=lambda i: self._rows(matches[i]))
        wanted = [(t, i, score) for i, m in enumerate(matches) for t, score in m.items()]
        params = [*(v for triple in wanted for v in triple), rarest, len(words), spare]
        found = []
        for person, score, matched in self.store.db().execute(_ranked_sql(len(wanted)), params):
            held = dict(part.split(":", 1) for part in str(matched).split(","))
            shown = " ".join(held.get(str(i)) or w for i, w in enumerate(words))
            found.append((int(person), "name", shown, round(float(score) / len(words), 4)))
        return found

    def _one_word(
        self, word: str, matches: dict[str | bytes, float], spare: int
    ) -> list[tuple[int, str, str, float]]:
        """One word: the best tier first (exact, prefix, one edit, two edits), each
        ranked by golden name first, then records, until enough persons are found; no
        grouping of every row."""
        found: list[tuple[int, str, str, float]] = []
        seen: set[int] = set()
        db = self.store.db()
        for tier in sorted(set(matches.values()), reverse=True):
            tokens = [t for t, score in matches.items() if score == tier]
            for start in range(0, len(tokens), _CHUNK):
                part = tokens[start : start + _CHUNK]
                marks = ", ".join("?" * len(part))
                rows = db.execute(
                    f"SELECT person_id, token, golden, records FROM search_tokens WHERE token "
                    f"IN ({marks}) ORDER BY golden DESC, records DESC, person_id LIMIT ?",
                    [*part, spare + len(seen)],
                ).fetchall()
                for person, token, _, _ in sorted(rows, key=lambda r: (-r[2], -r[3], r[0])):
                    if person not in seen:
                        seen.add(person)
                        shown = token if isinstance(token, str) else word
                        found.append((int(person), "name", shown, tier))
            if len(found) >= spare:
                break
        return sorted(found, key=lambda f: -f[3])[:spare]

    def _rows(self, matches: dict[str | bytes, float]) -> int:
        """How many (token, person) rows the matches stand for (0 when unknown)."""
        vocabulary = self._vocabulary
        if vocabulary is None:
            return 0
        at = vocabulary.tokens
        return sum(vocabulary.persons[bisect.bisect_left(at, str(t))] for t in matches)

    def _matches(self, word: str) -> dict[str | bytes, float]:
        """Stored token -> score of each token ``word`` matches."""
        if self._vocabulary is None:  # encrypted: exact words only
            return {self.store.codec.lookup_key(TOKEN_KIND, word): EXACT}
        found: dict[str | bytes, float] = {}
        found.update(self._vocabulary.matches(word))
        return found

    # --- hits

    def _hits(self, found: list[tuple[int, str, str, float]], limit: int) -> list[SearchHit]:
        hits: list[SearchHit] = []
        seen: set[int] = set()
        for person, on, value, score in found:
            live = self._live(person)
            if live is None or live in seen:
                continue
            seen.add(live)
            hits.append(SearchHit(live, on, value, score, self.store.traits(live)))
            if len(hits) == limit:
                break
        return hits

    def _live(self, person: int) -> int | None:
        """``person``, or the person it was merged into since (the streaming worker
        merges in place); None when it is gone (erased)."""
        db = self.store.db()
        if db.execute("SELECT 1 FROM traits WHERE person_id = ?", (person,)).fetchone():
            return person
        row = db.execute("SELECT merged_into FROM links WHERE person_id = ?", (person,)).fetchone()
        return int(row[0]) if row else None


def _ranked_sql(matches: int) -> str:
    """Persons holding a match for every query word, best first: ``person_id``, the sum
    of each word's best score, and ``word:token`` of each word's best token (a hashed
    token shows as empty). Parameters: ``(token, word, score)`` per match, the word whose
    persons are fewest (only they are grouped), the number of words, the limit."""
    values = ", ".join(["(?, ?, ?)"] * matches)
    return f"""
        WITH m(token, word, score) AS (VALUES {values}),
        pool AS (
            SELECT s.person_id FROM m JOIN search_tokens s ON s.token = m.token
            WHERE m.word = ?
        ),
        best AS (
            SELECT s.person_id, m.word, max(m.score) AS score, s.token AS token,
                   s.golden AS golden, s.records AS records
            FROM m JOIN search_tokens s ON s.token = m.token
            WHERE +s.person_id IN pool  -- scan by token, probe the pool
            GROUP BY s.person_id, m.word
        )
        SELECT person_id, sum(score) AS total,
               group_concat(word || ':' || iif(typeof(token) = 'text', token, ''), ',')
        FROM best GROUP BY person_id HAVING count(*) = ?
        ORDER BY total DESC, sum(golden) DESC, max(records) DESC, person_id LIMIT ?
    """


def _normalised(external: ExternalId, region: str | None) -> str | None:
    value = external.value.strip()
    if external.kind == PERSON_ID:
        return value if value.isdigit() else None
    if external.kind == "email":
        return email(value)
    if external.kind == "phone":
        return phone(value, region, well_formed=True)
    return value or None


def _may_be_name(text: str) -> bool:
    return "@" not in text and any(c.isalpha() for c in text)
