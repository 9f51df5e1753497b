"""Encryption at rest: the master key, the keys derived from it, and sealed bytes.

One master key (32 random bytes) is given through ``PERSONAE_ENCRYPTION_KEY`` or a key
file outside the project folder (``protect.key_file``). personae never uses it directly:
each kind of file gets its own key, derived with HKDF-SHA256 (RFC 5869; salt
``personae/v1``, info ``personae/<kind>``), so a key recovered from one kind of file
says nothing about the others:

=============  ============================================================
kind           protects
=============  ============================================================
``warehouse``  the DuckDB warehouse, its WAL and its spill files (DuckDB's own AES-GCM)
``wal``        each record of the collector's write-ahead log
``events``     the collected Parquet files
``models``     the matching model's term-frequency tables
``serving``    each value of the serving store the Profile API reads (``personae.serving``)
=============  ============================================================

Sealed bytes are AES-256-GCM with a random 96-bit nonce, tagged with the key's id (an
HKDF output too, never the key) so a file names the key it needs. A sealed file is
``MAGIC | key id (8) | nonce (12) | ciphertext and tag``, the header authenticated with
the content; a sealed WAL record is ``RECORD_MAGIC | key id | nonce | ciphertext``.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from personae.errors import PersonaeError

#: the environment variable holding the master key (base64 or hex of 32 bytes)
KEY_ENV = "PERSONAE_ENCRYPTION_KEY"
#: the new master key during ``personae protect rotate-key``
NEW_KEY_ENV = "PERSONAE_NEW_ENCRYPTION_KEY"

Kind = Literal["warehouse", "wal", "events", "models", "serving"]

#: first bytes of a sealed file, and of a sealed WAL record (a plain record is JSON: "{")
MAGIC = b"PRSNENC1"
RECORD_MAGIC = b"\x00PE1"
_ID = 8
_NONCE = 12
_SALT = b"personae/v1"


class EncryptionError(PersonaeError):
    """A key is missing, malformed or not the one the data was encrypted with."""


def new_master_key() -> str:
    """A fresh master key, as the base64 text ``PERSONAE_ENCRYPTION_KEY`` takes."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def parse_master_key(text: str, *, origin: str) -> bytes:
    """32 bytes from base64 or hex text; ``origin`` names where it came from."""
    text = text.strip()
    for decode in (_from_hex, _from_base64):
        key = decode(text)
        if key is not None and len(key) == 32:
            return key
    raise EncryptionError(
        f"{origin}: not a 32-byte key in base64 or hex; make one with 'personae protect new-key'"
    )


def _from_hex(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def _from_base64(text: str) -> bytes | None:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def _derive(master: bytes, info: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info.encode()).derive(master)


@dataclass
class Keyring:
    """The keys derived from one master key."""

    master: bytes = field(repr=False)
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    @property
    def key_id(self) -> str:
        """16 hex digits naming the master key (an HKDF output, not the key)."""
        return self.key_id_bytes.hex()

    @property
    def key_id_bytes(self) -> bytes:
        return _derive(self.master, "personae/key-id")[:_ID]

    def key(self, kind: Kind) -> bytes:
        return _derive(self.master, f"personae/{kind}")

    def warehouse_secret(self) -> str:
        """The text given to DuckDB's ``ENCRYPTION_KEY`` for the warehouse."""
        return base64.b64encode(self.key("warehouse")).decode("ascii")

    def _cipher(self, kind: Kind) -> AESGCM:
        if kind not in self._ciphers:
            self._ciphers[kind] = AESGCM(self.key(kind))
        return self._ciphers[kind]

    # --- whole files

    def seal(self, kind: Kind, data: bytes) -> bytes:
        header = MAGIC + self.key_id_bytes
        nonce = os.urandom(_NONCE)
        return header + nonce + self._cipher(kind).encrypt(nonce, data, header + kind.encode())

    def open(self, kind: Kind, sealed: bytes, *, where: str) -> bytes:
        """The plaintext of :meth:`seal`'s output; ``where`` names the file in errors."""
        header = sealed[: len(MAGIC) + _ID]
        _check_key(self, header[len(MAGIC) :], where)
        nonce = sealed[len(header) : len(header) + _NONCE]
        try:
            return self._cipher(kind).decrypt(
                nonce, sealed[len(header) + _NONCE :], header + kind.encode()
            )
        except InvalidTag:
            raise EncryptionError(
                f"{where}: the content does not authenticate: the file was altered or is truncated"
            ) from None

    # --- records (the WAL)

    def seal_record(self, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        head = RECORD_MAGIC + self.key_id_bytes
        return head + nonce + self._cipher("wal").encrypt(nonce, data, head)

    def open_record(self, sealed: bytes, *, where: str) -> bytes:
        head = sealed[: len(RECORD_MAGIC) + _ID]
        _check_key(self, head[len(RECORD_MAGIC) :], where)
        nonce = sealed[len(head) : len(head) + _NONCE]
        try:
            return self._cipher("wal").decrypt(nonce, sealed[len(head) + _NONCE :], head)
        except InvalidTag:
            raise EncryptionError(f"{where}: a record does not authenticate") from None


def _check_key(keys: Keyring, key_id: bytes, where: str) -> None:
    if key_id != keys.key_id_bytes:
        raise EncryptionError(
            f"{where} is encrypted with key {key_id.hex()}, but the key given is "
            f"{keys.key_id}: set {KEY_ENV} (or protect.key_file) to the key it was written "
            "with, or finish an interrupted rotation with 'personae protect rotate-key'"
        )


def is_sealed(data: bytes) -> bool:
    return data.startswith(MAGIC)


def is_sealed_record(data: bytes) -> bool:
    return data.startswith(RECORD_MAGIC)


def sealed_key_id(data: bytes) -> str | None:
    """The key id a sealed file or record names; None for plaintext."""
    for magic in (MAGIC, RECORD_MAGIC):
        if data.startswith(magic):
            return data[len(magic) : len(magic) + _ID].hex()
    return None


def open_any(keys: Keyring | None, kind: Kind, data: bytes, *, where: str) -> bytes:
    """``data`` in plaintext: opened when sealed (which needs ``keys``), as is otherwise."""
    if not is_sealed(data):
        return data
    if keys is None:
        raise EncryptionError(
            f"{where} is encrypted: set protect.encryption: true in personae.yml and give "
            f"the key through {KEY_ENV} or protect.key_file"
        )
    return keys.open(kind, data, where=where)


#: written when a key rotation starts, removed when it ends (under ``.personae/``)
ROTATION_MARKER = "rotation.json"


def rotation_marker(project_root: Path) -> Path:
    return project_root / ".personae" / ROTATION_MARKER


def load_master_key(
    project_root: Path,
    key_file: str | None,
    environ: Mapping[str, str] | None = None,
    *,
    env: str = KEY_ENV,
    rotating: bool = False,
) -> Keyring:
    """The project's keys, from ``env`` or else from ``key_file``; a key file inside the
    project folder is refused (it would sit beside the data it protects, and be copied,
    backed up or committed with it). While a rotation is unfinished only the rotation
    itself (``rotating``) gets keys: the project's files are under two keys then."""
    environ = os.environ if environ is None else environ
    marker = rotation_marker(project_root)
    if marker.exists() and not rotating:
        raise EncryptionError(
            f"a key rotation was interrupted ({marker} is there): finish it with "
            f"'personae protect rotate-key', giving the current key in {KEY_ENV} and the "
            f"new one in {NEW_KEY_ENV} as when it started"
        )
    text = environ.get(env)
    if text:
        return Keyring(parse_master_key(text, origin=env))
    if key_file:
        path = Path(key_file).expanduser()
        path = path if path.is_absolute() else project_root / path
        path = path.resolve()
        root = project_root.resolve()
        if path == root or root in path.parents:
            raise EncryptionError(
                f"protect.key_file: {path} is inside the project folder {root}; a key kept "
                "beside the data it protects is copied, backed up and committed with it. "
                "Move it outside the project (e.g. ~/.config/personae/<project>.key) or use "
                f"{KEY_ENV}"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise EncryptionError(
                f"protect.key_file: cannot read {path}: {exc.strerror}; "
                "make one with 'personae protect new-key > FILE'"
            ) from None
        return Keyring(parse_master_key(text, origin=str(path)))
    raise EncryptionError(
        f"protect.encryption is on but no key is given: set {env} (base64 of 32 random "
        "bytes; 'personae protect new-key' prints one) or protect.key_file (a file outside "
        "the project folder)"
    )
