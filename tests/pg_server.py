"""A throwaway PostgreSQL server for the tests, and fresh databases on it.

The tests that need PostgreSQL use the server named by the environment variable
`USAGE_ANALYTICS_TEST_POSTGRES` (a postgresql:// URL; `.ci/run` starts one and sets it).
Without it, `ThrowawayServer.start()` starts one from the installed PostgreSQL binaries
(Debian's `postgresql` package: /usr/lib/postgresql/*/bin) in a temporary directory, on
a free port, as the `postgres` user when running as root (initdb refuses root), and
`stop()` removes it. Without binaries it raises with a message saying what to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

ENV = "USAGE_ANALYTICS_TEST_POSTGRES"


def _binary(name: str) -> Path | None:
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if versions:
        return versions[-1]
    found = shutil.which(name)
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ThrowawayServer:
    """A PostgreSQL cluster in a temporary directory (see the module docstring)."""

    directory: Path
    port: int
    pg_ctl: Path
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql://postgres@localhost:{self.port}/postgres"

    def _run(self, *command: str | Path) -> None:
        argv = [str(part) for part in command]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")

    @classmethod
    def start(cls, password: str | None = None) -> ThrowawayServer:
        """A server trusting every connection; with `password`, one asking the postgres
        user for it (scram-sha-256)."""
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise RuntimeError(
                "the PostgreSQL tests need a server: set "
                f"{ENV}=postgresql://USER@HOST:PORT/DB, or install PostgreSQL "
                "(Debian: apt-get install postgresql) so the tests can start one"
            )
        as_postgres = hasattr(os, "geteuid") and os.geteuid() == 0
        directory = Path(tempfile.mkdtemp(prefix="ua-pg-"))
        if as_postgres:
            shutil.chown(directory, "postgres")
        server = cls(directory, _free_port(), pg_ctl, as_postgres)
        data = directory / "data"
        auth: list[str | Path] = ["-A", "trust"]
        if password is not None:
            secret = directory / "password"
            secret.write_text(password)
            if as_postgres:
                shutil.chown(secret, "postgres")
            auth = ["-A", "scram-sha-256", f"--pwfile={secret}"]
        server._run(initdb, "-D", data, *auth, "-U", "postgres", "-E", "UTF8",
                    "--locale=C", "--no-sync")  # fmt: skip
        options = (
            f"-p {server.port} -k {directory} -c listen_addresses=localhost "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        server._run(pg_ctl, "-D", data, "-o", options, "-l", directory / "log", "-w", "start")
        return server

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run(self.pg_ctl, "-D", self.directory / "data", "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def _admin(url: str, statement: str) -> None:
    import adbc_driver_postgresql.dbapi as dbapi

    with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(statement)


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database of the same server."""
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path="/" + database))


def create_database(url: str) -> tuple[str, str]:
    """A new, empty database on the server of `url`: (its name, its URL)."""
    name = f"ua_test_{uuid.uuid4().hex[:12]}"
    _admin(url, f'CREATE DATABASE "{name}"')
    return name, with_database(url, name)


def drop_database(url: str, name: str) -> None:
    with contextlib.suppress(Exception):
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
