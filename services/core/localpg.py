"""Launcher of a private PostgreSQL cluster from Debian's packages (tests, benchmarks, chaos).

``initdb`` a throw-away cluster under ``data_dir``, listening on loopback on a free port with
trust authentication, started and stopped with ``pg_ctl``.  PostgreSQL refuses to run as root,
so when we are root the server runs as the ``postgres`` system user the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from services.core.errors import InfraledgerError
from services.core.localkafka import free_port


class PostgresError(InfraledgerError):
    """The private PostgreSQL cluster could not be created or started."""


def pg_bin() -> Path:
    """The directory of the newest installed PostgreSQL server binaries."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresError(
            "PostgreSQL server binaries not found; install Debian's 'postgresql' package "
            "(make test does this: apt-get install -y postgresql)"
        )
    return Path(found[-1]).parent


def _let_postgres_traverse(path: Path) -> None:
    """Give 'others' search permission on the parents, so the postgres user reaches ``path``."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


@dataclass
class LocalPostgres:
    data_dir: Path
    port: int = 0
    user: str = "postgres"

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        args = list(command)
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, capture_output=True, text=True, check=False)

    def start(self) -> None:
        binaries = pg_bin()
        self.port = self.port or free_port()
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                _let_postgres_traverse(self.data_dir)
                shutil.chown(self.data_dir, "postgres", "postgres")
                self.data_dir.chmod(0o700)
            result = self._run(
                str(binaries / "initdb"), "-D", str(self.data_dir), "-U", self.user,
                "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
            if result.returncode != 0:
                raise PostgresError(f"initdb failed: {result.stderr or result.stdout}")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        result = self._run(
            str(binaries / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
            "-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        if result.returncode != 0:
            log = (self.data_dir / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresError(f"pg_ctl start failed: {result.stderr}\n{log}")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(pg_bin() / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        """Create database ``name`` (dropping an old one) and return its URL."""
        psql = str(pg_bin() / "psql")
        for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
            result = self._run(psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                               "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql)  # fmt: skip
            if result.returncode != 0:
                raise PostgresError(f"{sql}: {result.stderr}")
        return self.url_for(name)
