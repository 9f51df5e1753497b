"""Value normalisers: one raw value in, its canonical value (or ``None``) out.

Contract
========
Every normaliser takes a raw string (or ``None``) and returns the canonical value or
``None``. A ``None`` result has one of two meanings, and the caller tells them apart
with :func:`is_blank` (or :func:`outcome`, which does it for you):

* **absent** -- the raw value is ``None``, empty or whitespace only
  (``is_blank(raw)``). Not a data-quality problem: it is not counted as invalid.
* **invalid** -- the raw value is not blank but cannot be read with certainty.
  Nothing is ever guessed: ``31/02/1980``, ``0000000000`` or ``jean@`` give ``None``.
* **valid** -- anything else: the canonical value.

Functions are pure (no I/O; the only state is a few internal caches) and cheap. The
clean stage applies them to *distinct* raw values only, stores the mapping and joins it
back in SQL (see ARCHITECTURE.md, "The engine seam"); e-mails are cleaned in SQL
directly with :func:`email_sql`, the twin of :func:`email`.

API
===
==========================================================  =============================
``email(raw) -> str | None``                                ``jean.dupont@gmail.com``
``email_sql(column_sql) -> str``                            DuckDB SQL giving ``email``
``phone(raw, region="FR") -> str | None``                   E.164: ``+33612345678``
``phones(values, region="FR", *, workers=1)``               batch form of ``phone``
``phone_kind(e164) -> str``                                 ``mobile``/``other``/``invalid``
``address(raw) -> str | None``                              ``12 r. Hugo`` -> ``12 rue Hugo``
``name(raw) -> str | None``                                 ``JEAN-PIERRE`` -> ``Jean-Pierre``
``name_key(raw) -> str | None``                             ``Lefèvre`` -> ``lefevre``
``split_full_name(raw, order="first_last")``                ``(first, last)``
``date(raw, fmt=None, *, today=None) -> datetime.date``     strftime format or ISO 8601
``timestamp(raw, fmt=None) -> datetime.datetime``           naive UTC
``postcode(raw, country=None) -> str | None``               per-country written form
``country(raw) -> str | None``                              ISO 3166-1 alpha-2
``gender(raw) -> str | None``                               ``female``/``male``/``other``
``language(raw) -> str | None``                             ISO 639-1
``is_blank(raw) -> bool``, ``outcome(raw, value)``          absent / invalid / valid
``normalize_many(kind, values, **options)``                 batch form, canonical text
==========================================================  =============================

``normalize_many(kind, values, *, region, fmt, country, order, today)`` maps a list of
raw values with one kind (``KINDS``) and returns canonical *text* (dates as
``YYYY-MM-DD``, timestamps as ``YYYY-MM-DD HH:MM:SS[.ffffff]``), ready to be written to a
lookup table; each distinct value is computed once. Phones go through :func:`phones`,
which pre-strips every value to digits, de-duplicates, answers almost every number with
an exact reader of the phonenumbers metadata and hands the rest to ``phonenumbers.parse``
(about 4 us per distinct value instead of 23 us).

Modules
=======
``outcomes`` (absent/invalid/valid), ``text`` (word keys), ``emails``,
``phone_numbers`` and ``phone_metadata`` (its fast reader), ``names``, ``dates``,
``places`` (countries, postcodes), ``addresses`` (street lines), ``codes`` (gender,
language), ``iso_tables`` (the ISO tables shipped in ``data/``) and ``batch``
(``normalize_many``).
"""

from __future__ import annotations

from personae.clean.normalize.addresses import address
from personae.clean.normalize.batch import KINDS, normalize_many
from personae.clean.normalize.codes import LANGUAGE_ALIASES as LANGUAGE_ALIASES
from personae.clean.normalize.codes import gender, language
from personae.clean.normalize.dates import MIN_YEAR as MIN_YEAR
from personae.clean.normalize.dates import date, timestamp
from personae.clean.normalize.emails import EMAIL_PATTERN as EMAIL_PATTERN
from personae.clean.normalize.emails import email, email_sql
from personae.clean.normalize.names import PARTICLES as PARTICLES
from personae.clean.normalize.names import name, name_key, split_full_name
from personae.clean.normalize.outcomes import Outcome as Outcome
from personae.clean.normalize.outcomes import is_blank, outcome
from personae.clean.normalize.phone_numbers import PARALLEL_THRESHOLD as PARALLEL_THRESHOLD
from personae.clean.normalize.phone_numbers import phone, phone_kind, phones
from personae.clean.normalize.places import COUNTRY_ALIASES as COUNTRY_ALIASES
from personae.clean.normalize.places import COUNTRY_CODES as COUNTRY_CODES
from personae.clean.normalize.places import country, postcode

# the public API (also importable: the constants above, read-only; to change one, such
# as PARALLEL_THRESHOLD, set it on the module that defines it)
__all__ = [
    "KINDS",
    "address",
    "country",
    "date",
    "email",
    "email_sql",
    "gender",
    "is_blank",
    "language",
    "name",
    "name_key",
    "normalize_many",
    "outcome",
    "phone",
    "phone_kind",
    "phones",
    "postcode",
    "split_full_name",
    "timestamp",
]
