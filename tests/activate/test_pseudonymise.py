"""Hashes after each platform's normalisation, checked against SHA-256 digests of known
inputs (computed independently with sha256sum), and masks."""

from __future__ import annotations

import pyarrow as pa
import pytest

from personae.activate.pseudonymise import mask, normalise, pseudonymise_table, sha256
from personae.config.destinations import Pseudonymise

# printf '%s' VALUE | sha256sum
KNOWN = {
    "john.doe@example.com": "836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f",
    "janedoe@gmail.com": "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69",
    "jane.doe@gmail.com": "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982",
    "33612345678": "8a3e7886c9335e82e02299fa3e87b46e2de3b0c63d56003e30a5029394a47661",
    "+33612345678": "42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8",
    "jeanpierre": "fbcc8fa66b9a007dc3649ee989950d38f12ed91b9f18a3d215b04ff77546dca0",
    "jean-pierre": "a57fd9d030da0ec1b572403b945bb5a011055dd5124e10af6b80d1fa4c5e99ba",
    "éloïse": "da88a25ab9c8697c7cefed8f98868c8f36eb7dbbb547232099dcc638428ab0ab",
}


@pytest.mark.parametrize(
    ("field", "raw", "platform", "normalised"),
    [
        # e-mail: trimmed, lower case everywhere
        ("email", "  John.Doe@Example.COM ", "meta", "john.doe@example.com"),
        ("email", "  John.Doe@Example.COM ", "google", "john.doe@example.com"),
        # Google (only) drops the dots of gmail.com addresses; Meta documents no such rule
        ("email", "Jane.Doe@GMail.com", "google", "janedoe@gmail.com"),
        ("email", "Jane.Doe@gmail.com", "meta", "jane.doe@gmail.com"),
        # phones: digits with country code for Meta, E.164 with '+' for Google
        ("phone", "+33612345678", "meta", "33612345678"),
        ("phone", "+33612345678", "google", "+33612345678"),
        ("phone", "0033 6 12 34 56 78", "meta", "33612345678"),
        ("phones", "+33612345678", "generic", "+33612345678"),
        # names: Meta removes punctuation and keeps accented letters; Google lower-cases
        ("first_name", " Jean-Pierre ", "meta", "jeanpierre"),
        ("first_name", " Jean-Pierre ", "google", "jean-pierre"),
        ("last_name", "Éloïse", "meta", "éloïse"),
    ],
)
def test_normalisation_then_sha256_matches_known_hashes(
    field: str, raw: str, platform: str, normalised: str
) -> None:
    assert normalise(field, raw, platform) == normalised  # type: ignore[arg-type]
    assert sha256(normalise(field, raw, platform)) == KNOWN[normalised]  # type: ignore[arg-type]


def test_masks_keep_too_little_to_use() -> None:
    assert mask("email", "jane.doe@example.com") == "j***@example.com"
    assert mask("phone", "+33612345678") == "+33*******78"
    assert mask("first_name", "Jeanne") == "J***"
    assert mask("birth_date", "1980-04-02") == "1***"


def test_a_table_is_hashed_column_by_column_lists_included() -> None:
    table = pa.table(
        {
            "person_id": [1, 2],
            "email": [" John.Doe@Example.com", None],
            "phones": [["+33612345678"], None],
            "since": ["2024-01-01", "2024-01-02"],
        }
    )
    spec = Pseudonymise(mode="hash", platform="meta")
    out = pseudonymise_table(table, spec, ["email", "phones"]).to_pydict()
    assert out["email"] == [KNOWN["john.doe@example.com"], None]
    assert out["phones"] == [[KNOWN["33612345678"]], None]
    assert out["person_id"] == [1, 2] and out["since"] == ["2024-01-01", "2024-01-02"]
