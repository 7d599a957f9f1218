"""Migrations: applied in order at open, once, atomically; a database newer than the code refuses."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from runtime.storage import SchemaError, StoreError, open_store
from runtime.storage.migrate import MIGRATIONS_DIR, _FILE

# The migrations this code ships (other issues add theirs), and the next free number for a test's own.
SHIPPED = sorted({(int(m.group(1)), m.group(2)) for m in map(_FILE.match, (p.name for p in
                  MIGRATIONS_DIR.glob("*.sql"))) if m})
VERSIONS = [v for v, _ in SHIPPED]
NEXT = f"{VERSIONS[-1] + 1:04d}"

TABLES = {
    "calls": ["call_id", "flow", "flow_version", "caller_masked", "dialed", "direction", "language",
              "worker", "started_at", "ended_at", "outcome", "end_node", "end_reason", "caller_key"],
    "visits": ["call_id", "seq", "node_id", "kind", "at", "event"],
    "inputs": ["id", "call_id", "node_id", "kind", "value", "secure", "at"],
    "call_vars": ["call_id", "name", "value"],
    "schema_migrations": ["version", "name", "applied_at"],
}


def columns(db, table: str) -> list[str]:
    conn = db.connect()
    try:
        cur = conn.execute(f"SELECT * FROM {table} WHERE 1 = 0")
        return [c[0] for c in cur.description]
    finally:
        conn.close()


def migrations_with(tmp_path: Path, **files: str) -> Path:
    """A copy of the shipped migrations plus extra files (name -> SQL)."""
    out = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, out)
    for name, sql in files.items():
        (out / name).write_text(sql, encoding="utf-8")
    return out


def test_fresh_database_gets_every_table(db) -> None:
    before = time.time()
    open_store(db.url).close()
    for table, cols in TABLES.items():
        assert columns(db, table) == cols
    rows = db.query("SELECT version, name, applied_at FROM schema_migrations")
    assert [(v, n) for v, n, _ in rows] == SHIPPED
    assert SHIPPED[:2] == [(1, "calls"), (2, "contact_center")]
    assert rows[0][2] >= before - 1


def test_reopening_a_migrated_database_is_a_no_op(db) -> None:
    first = open_store(db.url)
    assert first.migrated == VERSIONS
    first.close()
    applied = db.query("SELECT version, applied_at FROM schema_migrations")
    again = open_store(db.url)
    assert again.migrated == []
    again.close()
    assert db.query("SELECT version, applied_at FROM schema_migrations") == applied


def test_a_database_newer_than_the_code_is_a_clear_error(db) -> None:
    open_store(db.url).close()
    db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
             (9999, "from_the_future", 0.0))
    with pytest.raises(SchemaError, match=rf"schema version 9999.*knows migrations up to {VERSIONS[-1]}.*upgrade"):
        open_store(db.url)


def test_an_applied_migration_this_code_names_differently_is_an_error(db) -> None:
    open_store(db.url).close()
    db.query("UPDATE schema_migrations SET name = 'something_else' WHERE version = 1")
    with pytest.raises(SchemaError, match="0001_something_else"):
        open_store(db.url)


def test_a_new_numbered_migration_is_applied_on_the_next_open(db, tmp_path: Path) -> None:
    open_store(db.url).close()
    extra = migrations_with(tmp_path, **{f"{NEXT}_queue_results.sql": (
        "CREATE TABLE queue_results (\n    id {{id_pk}},\n"
        "    call_id TEXT NOT NULL REFERENCES calls (call_id),\n    waited DOUBLE PRECISION\n);\n"
        "CREATE INDEX queue_results_call ON queue_results (call_id);\n")})
    store = open_store(db.url, migrations_dir=extra)
    assert store.migrated == [int(NEXT)]
    store.close()
    assert columns(db, "queue_results") == ["id", "call_id", "waited"]
    assert [r[0] for r in db.query("SELECT version FROM schema_migrations ORDER BY version")] == VERSIONS + [int(NEXT)]
    # and the code that only knows the shipped migrations now refuses this database
    with pytest.raises(SchemaError, match=f"schema version {int(NEXT)}"):
        open_store(db.url)


def test_a_failing_migration_leaves_nothing_behind(db, tmp_path: Path) -> None:
    open_store(db.url).close()
    extra = migrations_with(tmp_path, **{f"{NEXT}_half.sql": (
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")})
    with pytest.raises(Exception, match="no_such_table"):
        open_store(db.url, migrations_dir=extra)
    assert [r[0] for r in db.query("SELECT version FROM schema_migrations ORDER BY version")] == VERSIONS
    with pytest.raises(Exception):
        columns(db, "half_done")


def test_a_fresh_database_with_a_failing_migration_has_no_tables(db, tmp_path: Path) -> None:
    extra = migrations_with(tmp_path, **{f"{NEXT}_bad.sql": "CREATE TABLE oops (\n"})
    with pytest.raises(StoreError, match="incomplete statement") if db.name == "sqlite" \
            else pytest.raises(Exception):
        open_store(db.url, migrations_dir=extra)
    for table in ("calls", "schema_migrations"):
        with pytest.raises(Exception):
            columns(db, table)


def test_dialect_specific_files_override_the_portable_one(db, tmp_path: Path) -> None:
    extra = migrations_with(tmp_path, **{
        f"{NEXT}_tuned.sqlite.sql": "CREATE TABLE tuned_sqlite (x INTEGER);\n",
        f"{NEXT}_tuned.postgres.sql": "CREATE TABLE tuned_postgres (x INTEGER);\n"})
    open_store(db.url, migrations_dir=extra).close()
    assert columns(db, f"tuned_{db.name}") == ["x"]
    other = "postgres" if db.name == "sqlite" else "sqlite"
    with pytest.raises(Exception):
        columns(db, f"tuned_{other}")


def test_a_migration_missing_for_this_dialect_is_an_error(db, tmp_path: Path) -> None:
    other = "postgres" if db.name == "sqlite" else "sqlite"
    extra = migrations_with(tmp_path, **{f"{NEXT}_only.{other}.sql": "SELECT 1;\n"})
    with pytest.raises(StoreError, match=f"{NEXT}_only has no file for {db.name}"):
        open_store(db.url, migrations_dir=extra)


@pytest.mark.parametrize("name, sql, message", [
    ("2_short.sql", "SELECT 1;\n", "expected NNNN_name"),
    (f"{NEXT}_tok.sql", "CREATE TABLE t (x {{nope}});\n", "unknown token"),
])
def test_bad_migration_files_are_reported(db, tmp_path: Path, name: str, sql: str,
                                          message: str) -> None:
    with pytest.raises(StoreError, match=message):
        open_store(db.url, migrations_dir=migrations_with(tmp_path, **{name: sql}))


def test_workers_opening_a_fresh_database_together_migrate_it_once(db) -> None:
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            open_store(db.url, worker=f"w{i}").close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r[0] for r in db.query("SELECT version FROM schema_migrations ORDER BY version")] == VERSIONS
