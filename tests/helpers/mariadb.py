"""A throwaway MariaDB server for the database source tests.

It runs Debian's binaries (``mariadb-install-db`` and ``mariadbd``, from the
``mariadb-server`` package) in a temporary folder, on a free port of 127.0.0.1, with
password authentication for one user (``crm``, granted everything). The server's root
account is reached only through the folder's Unix socket. As root (``.ci/run`` on a fresh
machine) the server runs as the ``mysql`` user the package creates, which owns the folder.
Without the binaries the tests skip, saying how to install them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

USER = "crm"
PASSWORD = "s3cret-Pa55"
SKIP_REASON = (
    "MariaDB is not installed (mariadb-install-db and mariadbd not found on the PATH or "
    "under /usr/sbin): apt-get install mariadb-server to run the MariaDB database source tests"
)


@dataclass(frozen=True)
class MariaDB:
    host: str
    port: int
    user: str
    password: str
    database: str = "mysql"
    #: the server's Unix socket (root connects through it)
    socket: str = ""

    def url(self, password: str | None = None) -> str:
        """The URL with the password written in (for the tests' own connections)."""
        secret = self.password if password is None else password
        return f"mariadb://{self.user}:{secret}@{self.host}:{self.port}/{self.database}"

    def url_with(self, placeholder: str) -> str:
        """The URL personae.yml holds: the password as a placeholder."""
        return f"mariadb://{self.user}:{placeholder}@{self.host}:{self.port}/{self.database}"

    def connect(self) -> Any:
        import pymysql

        return pymysql.connect(
            host=self.host, port=self.port, user=self.user, password=self.password,
            database=self.database, autocommit=True, charset="utf8mb4",
        )  # fmt: skip

    def execute(self, *statements: str) -> None:
        con = self.connect()
        try:
            with con.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            con.close()


def binaries() -> tuple[Path, Path] | None:
    """``mariadb-install-db`` and ``mariadbd``; None when absent."""
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/libexec")
    if install and server:
        return Path(install), Path(server)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> str | None:
    """The user the server runs as: ourselves, or ``mysql`` as root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("mysql")
    except KeyError:
        pytest.skip("running as root with no mysql user to run MariaDB (apt-get install it)")
    return "mysql"


def _wait(sock: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    import pymysql

    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mariadbd exited:\n{log.read_text(errors='replace')}")
        try:
            pymysql.connect(unix_socket=str(sock), user="root").close()
            return
        except pymysql.err.OperationalError:
            if time.monotonic() > deadline:
                log_text = log.read_text(errors="replace")
                raise RuntimeError(f"mariadbd did not start:\n{log_text}") from None
            time.sleep(0.2)


@contextmanager
def mariadb_server() -> Iterator[MariaDB]:
    """Start a server in a folder of its own and stop it (and remove the folder) on exit."""
    found = binaries()
    if found is None:
        pytest.skip(SKIP_REASON)
    install, server = found
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="personae-mariadb-"))
    if user:
        shutil.chown(folder, user=user)
    folder.chmod(0o700)
    data, sock, log = folder / "data", folder / "mariadb.sock", folder / "log"
    as_user = [f"--user={user}"] if user else []
    done = subprocess.run(
        [str(install), "--no-defaults", f"--datadir={data}", "--skip-test-db",
         "--auth-root-authentication-method=normal", "--skip-name-resolve", *as_user],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"mariadb-install-db failed:\n{done.stdout}\n{done.stderr}")
    port = _free_port()
    process = subprocess.Popen(
        [str(server), "--no-defaults", f"--datadir={data}", f"--socket={sock}",
         f"--port={port}", "--bind-address=127.0.0.1", f"--log-error={log}",
         f"--pid-file={folder / 'mariadb.pid'}", "--skip-name-resolve",
         "--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=256M",
         "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci", *as_user],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(sock, process, log)
        import pymysql

        root = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
        with root.cursor() as cur:
            for host in ("127.0.0.1", "localhost"):
                cur.execute(f"CREATE USER '{USER}'@'{host}' IDENTIFIED BY '{PASSWORD}'")
                cur.execute(f"GRANT ALL ON *.* TO '{USER}'@'{host}' WITH GRANT OPTION")
        root.close()
        yield MariaDB("127.0.0.1", port, USER, PASSWORD, socket=str(sock))
    finally:
        process.kill()  # a throwaway server: no clean shutdown to wait for
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)
