"""Lookups against a real PostgreSQL (the storage tests' throwaway cluster on loopback): named
parameters, a read-only transaction, the statement timeout. Skipped, with the reason, without
PostgreSQL binaries or psycopg (FLOWLANG_REQUIRE_POSTGRES=1 makes that a failure)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from runtime.adapters.sql import SqlRunner
from runtime.commands import Lookup
from tests.runtime.storage.conftest import pg_cluster  # noqa: F401 - the session fixture

pytestmark = pytest.mark.timeout(20)  # starts the cluster if no other test has


def test_postgres_lookups(pg_cluster):  # noqa: F811
    import psycopg

    name = f"lookup_{uuid.uuid4().hex[:8]}"
    pg_cluster.admin(f"CREATE DATABASE {name}")
    url = pg_cluster.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (msisdn text, tier text, since date)")
        conn.execute("INSERT INTO customers VALUES ('+8613512345678', 'gold', '2020-01-02')")
    sql = SqlRunner({"crm": url})

    def run(query: str, params: dict, timeout: float = 3.0):
        return asyncio.run(sql.lookup(Lookup("r1", "crm", query, params, timeout)))

    rows, error = run("SELECT tier, since, 100 % 7 AS rest FROM customers WHERE msisdn = :n AND :one::int = 1",
                      {"n": "+8613512345678", "one": "1"})
    assert (rows, error) == ([{"tier": "gold", "since": "2020-01-02", "rest": 2}], None)
    rows, error = run("INSERT INTO customers VALUES (:n, 'x', NULL)", {"n": "1"})
    assert rows is None and "read-only" in error
    rows, error = run("SELECT pg_sleep(5)", {}, timeout=0.5)
    assert rows is None and error
