"""SQL for `lookup` nodes: named parameters only, read-only, bounded in time and rows.

DSNs come from the runtime config (`[sql.dsn] crm = "sqlite:///crm.db"`, or
`FLOWLANG_DSN_CRM=postgresql://…`). SQLite runs in a worker thread (`asyncio.to_thread`) on a
read-only connection, aborted by a progress handler at the deadline. PostgreSQL needs psycopg 3
(`pip install 'psycopg[binary]'`); the query runs in a read-only transaction with a statement
timeout. Queries use `:name` placeholders; positional ones (`?`, `$1`, `%s`) are refused, so
caller input can only ever be a bound value. Parameters and rows are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from typing import Any, Mapping
from urllib.parse import quote

from runtime.commands import Lookup

log = logging.getLogger("runtime.sql")
MAX_ROWS = 1000
Reply = tuple["list[dict] | None", "str | None"]  # (rows, error) as SqlResult wants them

_STRINGS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_POSITIONAL = re.compile(r"\?|\$\d+|%s")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class SqlError(Exception):
    """A lookup that cannot run (unknown DSN, positional parameters, driver missing)."""


def check_query(query: str) -> None:
    """Refuse positional placeholders (named `:name` parameters only)."""
    if _POSITIONAL.search(_STRINGS.sub("''", query)):
        raise SqlError("positional parameters (?, $1, %s) are not allowed; use :name")


def to_pyformat(query: str) -> str:
    """`:name` placeholders as psycopg's `%(name)s` (literal `%` doubled; `::type` casts kept)."""
    return _NAMED.sub(r"%(\1)s", query.replace("%", "%%"))


def _value(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    return str(v)  # dates, decimals, UUIDs: as text


class SqlRunner:
    """Carries out Lookup commands against the configured DSNs."""

    def __init__(self, dsns: Mapping[str, str], *, max_rows: int = MAX_ROWS) -> None:
        self.dsns = dict(dsns)
        self.max_rows = max_rows

    def __repr__(self) -> str:
        return f"SqlRunner(dsns={sorted(self.dsns)!r})"  # URLs may hold passwords

    async def lookup(self, cmd: Lookup) -> Reply:
        """(rows, error) for the engine's SqlResult; never raises."""
        try:
            url = self.dsns.get(cmd.dsn)
            if url is None:
                raise SqlError(f"no DSN {cmd.dsn!r} is configured ([sql.dsn] or FLOWLANG_DSN_{cmd.dsn.upper()})")
            check_query(cmd.query)
            if url.startswith("sqlite:///"):
                rows = await asyncio.to_thread(self._sqlite, url[len("sqlite:///"):], cmd)
            elif url.startswith(("postgresql://", "postgres://")):
                rows = await asyncio.wait_for(self._postgres(url, cmd), cmd.timeout + 1.0)
            else:
                raise SqlError(f"DSN {cmd.dsn!r}: unsupported URL scheme (sqlite:/// or postgresql://)")
        except SqlError as exc:
            log.warning("lookup %s refused: %s", cmd.dsn, exc)
            return None, str(exc)
        except asyncio.TimeoutError:
            return None, f"no reply within {cmd.timeout:g}s"
        except Exception as exc:  # noqa: BLE001 - any driver error is the engine's `error` branch
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            log.warning("lookup %s failed: %s", cmd.dsn, type(exc).__name__)
            return None, f"{type(exc).__name__}: {first}"[:300]
        return rows, None

    def _sqlite(self, path: str, cmd: Lookup) -> list[dict]:
        deadline = time.monotonic() + cmd.timeout
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=cmd.timeout,
                               check_same_thread=False)
        try:
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
            cur = conn.execute(cmd.query, dict(cmd.params))
            names = [d[0] for d in cur.description or ()]
            return [{n: _value(v) for n, v in zip(names, row)} for row in cur.fetchmany(self.max_rows)]
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise asyncio.TimeoutError from None
            raise
        finally:
            conn.close()

    async def _postgres(self, url: str, cmd: Lookup) -> list[dict]:
        try:
            import psycopg
        except ImportError:
            raise SqlError("PostgreSQL DSNs need psycopg 3: pip install 'psycopg[binary]'") from None
        conn = await psycopg.AsyncConnection.connect(url, connect_timeout=max(1, int(cmd.timeout)))
        try:
            await conn.set_read_only(True)
            async with conn.cursor() as cur:
                await cur.execute(f"SET LOCAL statement_timeout = {int(cmd.timeout * 1000)}")
                await cur.execute(to_pyformat(cmd.query), dict(cmd.params))
                names = [d.name for d in cur.description or ()]
                rows = await cur.fetchmany(self.max_rows)
            await conn.rollback()
            return [{n: _value(v) for n, v in zip(names, row)} for row in rows]
        finally:
            await conn.close()
