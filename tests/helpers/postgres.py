"""A throwaway PostgreSQL server for the database source tests.

It runs Debian's binaries (``initdb``, ``pg_ctl`` under ``/usr/lib/postgresql/*/bin`` or on
the PATH) in a temporary folder, on a free port of 127.0.0.1, with password
authentication (scram-sha-256) for one user. PostgreSQL refuses to run as root: as root
(``.ci/run`` on a fresh machine) the server runs as the ``postgres`` user the package
creates (else ``nobody``), which owns the folder. Without the binaries the tests skip,
saying how to install them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "crm"
PASSWORD = "s3cret-Pa55"
SKIP_REASON = (
    "PostgreSQL is not installed (initdb and pg_ctl not found under /usr/lib/postgresql/*/bin "
    "or on the PATH): apt-get install postgresql to run the database source tests"
)


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str
    database: str = "postgres"

    def url(self, password: str | None = None) -> str:
        """The URL with the password written in (for the tests' own connections)."""
        secret = self.password if password is None else password
        return f"postgresql://{self.user}:{secret}@{self.host}:{self.port}/{self.database}"

    def url_with(self, placeholder: str) -> str:
        """The URL personae.yml holds: the password as a placeholder."""
        return f"postgresql://{self.user}:{placeholder}@{self.host}:{self.port}/{self.database}"

    def execute(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            for statement in statements:
                con.execute(statement.encode())


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first; None when absent."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _runner() -> list[str]:
    """How to run the server's binaries: as ourselves, or as an unprivileged user as root."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    pytest.skip("running as root with neither a postgres nor a nobody user to run PostgreSQL")


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """Start a server in a folder of its own and stop it (and remove the folder) on exit.

    The folder is made directly under the temporary directory: pytest's ``tmp_path`` sits
    below folders only root may enter, which the server's user could not reach."""
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip(SKIP_REASON)
    runner = _runner()
    folder = Path(tempfile.mkdtemp(prefix="personae-pg-"))
    if runner:
        shutil.chown(folder, user=runner[2])
        folder.chmod(0o700)
    data, pwfile = folder / "data", folder / "pwfile"
    pwfile.write_text(PASSWORD + "\n")
    if runner:
        shutil.chown(pwfile, user=runner[2])
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*runner, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    run(
        str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--pwfile", str(pwfile),
        "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
        "-w", "start")  # fmt: skip
    try:
        yield Postgres("127.0.0.1", port, USER, PASSWORD)
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
