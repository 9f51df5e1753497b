"""Keyed hashes of identifiers: HMAC-SHA256 under a per-project secret.

The secret is 32 random bytes in ``.personae/hashing.key``, created 0600 on first use.
A keyed hash, unlike a plain SHA-256, cannot be reversed by hashing every e-mail or
phone number one can think of: without the secret, the stored hashes say nothing. The
trade-off: losing the secret makes the stored hashes useless (a new secret starts an
empty list), and anyone holding both the secret and the hashes can test a guess.

Values are normalised lightly before hashing, the same way wherever they come from (a
raw CRM cell, a cleaned record, an SDK message), so ``" Ann@X.com "`` and
``ann@x.com`` hash alike. Ingest sits below clean, so this normalisation lives here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import phonenumbers

KEY_FILE = "hashing.key"
_KEY_BYTES = 32
#: the trailing digits of a phone hashed as a cheap first test (see :func:`phone_tail`)
TAIL_DIGITS = 8
_EMAIL_WRAP = re.compile(r"^(?:mailto:)?[<\"']?(.*?)[>\"']?$")


def load_key(state_dir: Path) -> bytes:
    """The project's hashing secret, created (0600, in a 0700 folder) when absent."""
    path = state_dir / KEY_FILE
    if not path.exists():
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created meanwhile by another process
            return path.read_bytes()
        try:
            os.write(fd, secrets.token_bytes(_KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
    return path.read_bytes()


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``kind`` and a normalised value, as hex."""
    return hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def normalise_email(raw: str) -> str | None:
    """Trimmed, lower-cased, without ``mailto:``, angle brackets or quotes."""
    match = _EMAIL_WRAP.match(raw.strip().lower())
    value = match.group(1).strip() if match else ""
    return value if "@" in value else None


def normalise_phone(raw: str, region: str | None = None) -> str | None:
    """E.164 (``+33612345678``), reading numbers without ``+CC`` in ``region``."""
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_tail(raw: str) -> str | None:
    """The last digits of a phone, whatever its format: a cheap key that lets ingest
    parse only the few phones that may be suppressed, not every distinct phone."""
    digits = "".join(c for c in raw if c.isdigit())
    return digits[-TAIL_DIGITS:] if len(digits) >= TAIL_DIGITS else None


def normalise(kind: str, raw: str, region: str | None = None) -> str | None:
    """The form of a value that is hashed: e-mails and phones as above, any other
    identifier trimmed; None when nothing is left."""
    if kind == "email":
        return normalise_email(raw)
    if kind == "phone":
        return normalise_phone(raw, region)
    value = raw.strip()
    return value or None
