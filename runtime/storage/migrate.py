"""Numbered schema migrations, applied in order at open inside one transaction.

Files in `migrations/`: `NNNN_name.sql` (portable SQL, both backends) or a pair
`NNNN_name.sqlite.sql` + `NNNN_name.postgres.sql` when the dialects must differ. `{{id_pk}}`
(auto-numbered primary key) and `{{bytes}}` (BLOB/BYTEA) are replaced per dialect.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.storage.dialects import Dialect
from runtime.storage.model import SchemaError, StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$")
_TOKEN = re.compile(r"\{\{(\w+)\}\}")

BOOTSTRAP = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)"""


@dataclass(frozen=True)
class Migration:
    """One numbered schema change, its SQL already adapted to a dialect."""

    version: int
    name: str
    sql: str


def load_migrations(dialect: Dialect, directory: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    """The migrations for `dialect`, in version order; a bad file name or token is an error."""
    found: dict[int, dict[str | None, Path]] = {}
    names: dict[int, str] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _FILE.match(path.name)
        if not m:
            raise StoreError(f"migration file {path.name!r}: "
                             "expected NNNN_name[.sqlite|.postgres].sql")
        version, name, only = int(m.group(1)), m.group(2), m.group(3)
        if names.setdefault(version, name) != name:
            raise StoreError(f"migration {version:04d} has two names: "
                             f"{names[version]!r} and {name!r}")
        found.setdefault(version, {})[only] = path
    out = []
    for version in sorted(found):
        files = found[version]
        path = files.get(dialect.name) or files.get(None)
        if path is None:
            raise StoreError(f"migration {version:04d}_{names[version]} "
                             f"has no file for {dialect.name}")
        out.append(Migration(version, names[version], _substitute(path, dialect)))
    return tuple(out)


def _substitute(path: Path, dialect: Dialect) -> str:
    tokens = dict(dialect.tokens)

    def one(m: re.Match[str]) -> str:
        if m.group(1) not in tokens:
            raise StoreError(f"{path.name}: unknown token {{{{{m.group(1)}}}}} "
                             f"(known: {sorted(tokens)})")
        return tokens[m.group(1)]

    return _TOKEN.sub(one, path.read_text(encoding="utf-8"))


def migrate(conn: Any, dialect: Dialect, migrations: tuple[Migration, ...]) -> list[int]:
    """Apply the pending migrations in one transaction; the versions applied (none: a no-op)."""
    conn.execute(dialect.begin)
    try:
        dialect.lock_migrations(conn)
        conn.execute(BOOTSTRAP)
        applied = dict(conn.execute("SELECT version, name FROM schema_migrations").fetchall())
        pending = _check(applied, migrations, dialect)
        for mig in pending:
            dialect.run_script(conn, mig.sql)
            conn.execute(dialect.sql("INSERT INTO schema_migrations (version, name, applied_at) "
                                     "VALUES (?, ?, ?)"), (mig.version, mig.name, time.time()))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return [m.version for m in pending]


def _check(applied: dict[int, str], migrations: tuple[Migration, ...],
           dialect: Dialect) -> list[Migration]:
    """The migrations still to apply; SchemaError when the database does not fit this code."""
    known = {m.version: m for m in migrations}
    where = dialect.describe()
    newest_known = max(known, default=0)
    if applied and max(applied) > newest_known:
        raise SchemaError(
            f"call store {where} has schema version {max(applied)}, but this flowlang knows "
            f"migrations up to {newest_known}: upgrade flowlang, or use another database")
    for version, name in sorted(applied.items()):
        if known.get(version) is None or known[version].name != name:
            raise SchemaError(f"call store {where} applied migration {version:04d}_{name}, "
                              f"which this flowlang does not have")
    pending = [m for m in migrations if m.version not in applied]
    if pending and applied and pending[0].version < max(applied):
        raise SchemaError(f"call store {where} lacks migration {pending[0].version:04d}_"
                          f"{pending[0].name} older than its version {max(applied)}")
    return pending
