"""E-mail addresses, in Python and in DuckDB SQL: the same answer."""

from __future__ import annotations

import random

import duckdb
import pytest

from personae.clean.normalize import email, email_sql

# --------------------------------------------------------------------------- e-mails


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jean.dupont@gmail.com", "jean.dupont@gmail.com"),
        (" Jean.Dupont@Gmail.COM ", "jean.dupont@gmail.com"),
        ("mailto:jean@x.fr", "jean@x.fr"),
        ("MailTo:Jean@X.fr", "jean@x.fr"),
        ("<jean@x.fr>", "jean@x.fr"),
        ('"jean@x.fr"', "jean@x.fr"),
        ("'jean@x.fr'", "jean@x.fr"),
        ("<mailto:jean@x.fr>", "jean@x.fr"),
        ("o'neil@x.fr", "o'neil@x.fr"),
        ("jean+promo@x.fr", "jean+promo@x.fr"),
        ("a@sub.domain.example.org", "a@sub.domain.example.org"),
        ("a@x.xn--p1ai", "a@x.xn--p1ai"),
        ("a" * 64 + "@x.fr", "a" * 64 + "@x.fr"),
    ],
)
def test_valid_emails(raw: str, expected: str) -> None:
    assert email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "not-an-email",
        "jean@",
        "@x.fr",
        "jean@x",
        "jean@x.f",
        "jean@x.f1",
        "jean@@x.fr",
        "je an@x.fr",
        "jean@x .fr",
        "jean..dupont@x.fr",
        ".jean@x.fr",
        "jean.@x.fr",
        "jean@x..fr",
        "jean@-x.fr",
        "jean@x-.fr",
        "jean@x.fr.",
        "jean@[192.168.0.1]",
        '"jean dupont"@x.fr',
        "jéan@x.fr",
        "jean@exämple.fr",
        "\u212aelvin@x.fr",
        "a@x.fr,b@x.fr",
        "a" * 65 + "@x.fr",
        "a@" + "b" * 64 + ".fr",
        "a@" + ("b" * 62 + ".") * 4 + "fr",  # 256 characters
    ],
)
def test_invalid_emails(raw: str) -> None:
    assert email(raw) is None


EMAIL_PARITY = [
    None,
    "",
    "   ",
    "jean.dupont@gmail.com",
    " Jean.Dupont@Gmail.COM ",
    "\tjean@x.fr\n",
    "\u00a0jean@x.fr\u00a0",
    "\ufeffjean@x.fr",
    "jean@x.fr\u200b",
    "mailto:jean@x.fr",
    "MAILTO:Jean@X.fr",
    "mailto: jean@x.fr",
    "<jean@x.fr>",
    ' "jean@x.fr" ',
    "'jean@x.fr'",
    "<mailto:jean@x.fr>",
    "mailto:<jean@x.fr>",
    " < jean@x.fr > ",
    "<jean@x.fr",
    "jean@x.fr>",
    "<<jean@x.fr>>",
    "o'neil@x.fr",
    "'o'neil@x.fr'",
    "j_d-x!#$%&*/=?^`{|}~@x.fr",
    "a@b.co",
    "a@xn--bcher-kva.de",
    "a@x.xn--p1ai",
    "a@1-2.fr",
    "JEAN@X.FR",
    "jean@",
    "jean@x",
    "jean@x.f",
    "jean@@x.fr",
    "je an@x.fr",
    "jean..dupont@x.fr",
    ".jean@x.fr",
    "jean@x..fr",
    "jean@-x.fr",
    "jean@x-.fr",
    "jean@x.fr.",
    "jean@[192.168.0.1]",
    '"jean dupont"@x.fr',
    "jéan@x.fr",
    "\u212aelvin@x.fr",
    "ſam@x.fr",
    "jean@x.fr\nother",
    "a@x.fr,b@x.fr",
    "a" * 64 + "@x.fr",
    "a" * 65 + "@x.fr",
    "a" * 64 + "@" + ("b" * 62 + ".") * 3 + "b" * 57 + ".fr",  # 254 characters
    "a" * 64 + "@" + ("b" * 62 + ".") * 3 + "b" * 58 + ".fr",  # 255 characters
    "a@" + "b" * 63 + ".fr",
    "a@" + "b" * 64 + ".fr",
]


def _sql_emails(values: list[str | None], wrap: str = "{}") -> list[str | None]:
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (i INTEGER, raw VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
        sql = email_sql(wrap.format("raw"))
        return [row[0] for row in con.execute(f"SELECT {sql} FROM t ORDER BY i").fetchall()]
    finally:
        con.close()


def test_email_sql_gives_the_python_result_on_tricky_inputs() -> None:
    assert len(EMAIL_PARITY) >= 40
    assert _sql_emails(EMAIL_PARITY) == [email(v) for v in EMAIL_PARITY]
    # as the clean stage calls it: over the trimmed raw text, blank as NULL
    trimmed = _sql_emails(EMAIL_PARITY, "nullif(trim({}), '')")
    assert trimmed == [email(v) for v in EMAIL_PARITY]
    assert sum(v is not None for v in trimmed) >= 15


def test_email_sql_gives_the_python_result_on_random_strings() -> None:
    rng = random.Random(5)
    alphabet = [*"ab.@-_ <>\"'+xnfr0é\t", "mailto:", ".fr", "@x", "xn--"]
    values: list[str | None] = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(4000)
    ]
    assert _sql_emails(values) == [email(v) for v in values]
