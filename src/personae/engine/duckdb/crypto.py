"""What DuckDB needs to write encrypted databases: OpenSSL, which the httpfs extension brings.

DuckDB encrypts a database, its WAL and its spill files with AES-GCM. Reading works with
the mbedTLS built into DuckDB, but writing needs a cryptographically secure random source
for the nonces, which DuckDB takes from OpenSSL through the ``httpfs`` extension
(DuckDB's own mbedTLS build refuses to write: its nonces could repeat, and a repeated
nonce breaks GCM). :func:`load_secure_crypto` finds ``httpfs`` wherever it can be had
offline: DuckDB's extension folder (``INSTALL httpfs`` once, online), or the
``duckdb-extension-httpfs`` package from PyPI built for the installed DuckDB.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import duckdb

from personae.errors import EngineError
from personae.sql import literal

#: tests only: accept DuckDB's built-in mbedTLS for writing when httpfs cannot be had
#: (files are encrypted the same way, but nonces come from a weaker random source).
#: Never set by personae itself; tests set it through monkeypatch.
ALLOW_INSECURE_CRYPTO_FOR_TESTS = False


def load_secure_crypto(con: Any) -> None:
    """Load ``httpfs`` into ``con`` so DuckDB can write encrypted files, or explain how to
    get it."""
    try:
        con.execute("LOAD httpfs")
        return
    except duckdb.Error:
        pass
    packaged = packaged_httpfs()
    if packaged is not None:
        try:
            con.execute(f"LOAD {literal(str(packaged))}")
            return
        except duckdb.Error:
            pass
    if ALLOW_INSECURE_CRYPTO_FOR_TESTS:
        con.execute("SET force_mbedtls_unsafe = true")
        return
    version = duckdb.__version__
    raise EngineError(
        "protect.encryption: DuckDB needs its httpfs extension (OpenSSL) to write an "
        f"encrypted warehouse, and none was found for DuckDB {version}. Install it once "
        "with internet access: python -c \"import duckdb; duckdb.sql('INSTALL httpfs')\", "
        f"or pip install 'duckdb-extension-httpfs=={version}' where PyPI has a build for "
        "this DuckDB version"
    )


def packaged_httpfs() -> Path | None:
    """httpfs from the ``duckdb_extension_httpfs`` package, for this DuckDB version."""
    spec = importlib.util.find_spec("duckdb_extension_httpfs")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = (
            Path(location) / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
        )
        if candidate.exists():
            return candidate
    return None
