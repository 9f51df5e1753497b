"""Fixtures of encryption at rest: a master key in the environment, and DuckDB able to
write encrypted files."""

from __future__ import annotations

import os
from collections.abc import Iterator

import duckdb
import pytest

from personae.engine.duckdb import crypto
from personae.protect.encryption import KEY_ENV, new_master_key


def _httpfs_loads() -> bool:
    try:
        duckdb.connect().execute("LOAD httpfs")
        return True
    except duckdb.Error:
        return crypto.packaged_httpfs() is not None


@pytest.fixture
def secure_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB writes encrypted files: with httpfs (OpenSSL) where it can be loaded; where
    it cannot (no internet, no PyPI build for this DuckDB version), with DuckDB's built-in
    mbedTLS, which writes the same format with weaker nonces: fine for tests only."""
    if not _httpfs_loads():
        monkeypatch.setattr(crypto, "ALLOW_INSECURE_CRYPTO_FOR_TESTS", True)


@pytest.fixture
def master_key(monkeypatch: pytest.MonkeyPatch, secure_duckdb: None) -> str:
    key = new_master_key()
    monkeypatch.setenv(KEY_ENV, key)
    return key


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A permissive umask (022), as on most machines, restored after the test."""
    old = os.umask(0o022)
    yield
    os.umask(old)
