"""A throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries, a fresh cluster in a temporary
folder, listening only on a Unix socket in that folder, stopped at the end of the session.

`make postgres` (run by `make test`) installs the binaries when they are missing. Without them the tests that
need the server fail: they are never skipped.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: run `make postgres` (or `apt-get install postgresql`) and test again"
        )
    return Path(found[-1]).parent


class Server:
    """One PostgreSQL cluster in its own temporary folder; `database()` makes a new, empty database in it."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="qm-postgres-"))
        self.data = self.folder / "data"
        self._as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
        self._count = 0
        self._count_lock = threading.Lock()
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        self.admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def start(self) -> None:
        options = f"-k {self.folder} -c listen_addresses='' -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")

    def restart(self) -> None:
        """Stop the server at once, as a crash or a fail-over would (every connection to it is dropped),
        and start it again on the same data."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.start()

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin / program), *arguments]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        completed = subprocess.run(command, capture_output=True, text=True, cwd=self.folder)
        if completed.returncode != 0:
            raise RuntimeError(f"{program} failed: {completed.stdout}\n{completed.stderr}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.folder}"

    def create_database(self) -> str:
        """A new empty database's address."""
        with self._count_lock:
            self._count += 1
            name = f"test_{os.getpid()}_{self._count}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = sa.make_url(url).database
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextmanager
    def database(self) -> Iterator[str]:
        url = self.create_database()
        try:
            yield url
        finally:
            self.drop_database(url)

    def stop(self) -> None:
        self.admin.dispose()
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
