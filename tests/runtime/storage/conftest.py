"""Backends for the storage tests: an SQLite file per test, and a throwaway PostgreSQL cluster.

The cluster (initdb + pg_ctl, as the `postgres` user when we are root, since initdb refuses root)
lives in a temp dir on a free loopback port for the whole session; each test gets a fresh database.
The PostgreSQL half is skipped, with the reason, only when the server binaries or psycopg are
missing; FLOWLANG_REQUIRE_POSTGRES=1 turns that skip into a failure (for CI).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

BACKENDS = ["sqlite", "postgres"]


def _missing(reason: str) -> None:
    if os.environ.get("FLOWLANG_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"FLOWLANG_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return next((d for d in candidates if (d / "initdb").exists() and (d / "postgres").exists()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A private PostgreSQL server: data, socket and log in one temp dir."""

    def __init__(self, bindir: Path) -> None:
        self.bindir, self.dir = bindir, Path(tempfile.mkdtemp(prefix="flowlang-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        for _ in range(3):
            # fsync=off: the tests kill clients, never the server or the machine, so it changes
            # nothing they check, and halves their time (CREATE DATABASE syncs a whole template).
            self.port = _free_port()
            opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                             "-o", opts, "start", check=False)
            if done.returncode == 0:
                return
        raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}{done.stderr}\n{self._log_tail()}")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*self.prefix, str(self.bindir / tool), *args], capture_output=True,
                              text=True, timeout=120)
        if check and done.returncode:
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def url(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def admin(self, sql: str) -> None:
        import psycopg
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install 'psycopg[binary]>=3.1')")
    bindir = _pg_bindir()
    if bindir is None:
        _missing("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    cluster = PgCluster(bindir)
    try:
        yield cluster
    finally:
        cluster.stop()


@dataclass
class Db:
    """One test database: its URL, a raw connection for checks, the files that hold its bytes."""

    name: str
    url: str
    path: Path | None = None
    cluster: PgCluster | None = None

    def connect(self) -> Any:
        if self.name == "sqlite":
            return sqlite3.connect(self.path, isolation_level=None)
        import psycopg
        return psycopg.connect(self.url, autocommit=True)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = self.connect()
        try:
            sql = sql if self.name == "sqlite" else sql.replace("?", "%s")
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def files(self) -> list[Path]:
        """Every file that may hold the database's bytes (PostgreSQL: checkpointed first)."""
        if self.name == "sqlite":
            return [p for p in (self.path, Path(f"{self.path}-wal")) if p.exists()]
        self.query("CHECKPOINT")
        return [p for p in self.cluster.dir.rglob("*") if p.is_file()]


@pytest.fixture
def pg_db(pg_cluster: PgCluster) -> Iterator[Db]:
    """A fresh PostgreSQL database in the session's cluster."""
    name = "t_" + uuid.uuid4().hex[:12]
    pg_cluster.admin(f"CREATE DATABASE {name}")
    try:
        yield Db("postgres", pg_cluster.url(name), cluster=pg_cluster)
    finally:
        pg_cluster.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """Each test using it runs twice: on an SQLite file, and on a PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "calls.db"
        yield Db("sqlite", f"sqlite:///{path}", path=path)
    else:
        yield request.getfixturevalue("pg_db")
