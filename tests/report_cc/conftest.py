"""Fixtures for the report tests: the fixture store (tests/report_cc/fixture.py) built once per
session on SQLite, a report over its day, and the same store on PostgreSQL when a server is here."""

from __future__ import annotations

import os
import uuid
from datetime import timezone
from pathlib import Path
from typing import Callable, Iterator

import pytest

from runtime.reports import Report, ReportOptions, build_report, open_source
from tests.report_cc import fixture


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """sqlite:///…/calls.db holding the fixture rows."""
    return fixture.build(f"sqlite:///{tmp_path_factory.mktemp('report_cc') / 'calls.db'}")


def options(**kw) -> ReportOptions:
    """The fixture's day (UTC), service level 80 % in 20 s, short abandons 5 s, unless overridden."""
    base = dict(since=fixture.T0, until=fixture.T0 + fixture.DAY, tz=timezone.utc)
    return ReportOptions(**(base | kw))


@pytest.fixture(scope="session")
def make_report(store_url: str) -> Callable[..., Report]:
    """make_report(sections=None, **options) over the SQLite fixture store."""
    def make(sections=None, url: str | None = None, **kw) -> Report:
        with open_source(url or store_url) as src:
            return build_report(src, options(**kw), sections)
    return make


@pytest.fixture(scope="session")
def report(make_report) -> Report:
    """Every section over the fixture's day, default options."""
    return make_report()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The fixture store on a throwaway PostgreSQL server (skipped when none can be started)."""
    try:
        import psycopg  # noqa: F401
        from tests.runtime.storage.conftest import PgCluster, _pg_bindir
    except ImportError:
        _skip("psycopg is not installed")
    bindir = _pg_bindir()
    if bindir is None:
        _skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    cluster = PgCluster(bindir)
    try:
        name = "r_" + uuid.uuid4().hex[:10]
        cluster.admin(f"CREATE DATABASE {name}")
        yield fixture.build(cluster.url(name))
    finally:
        cluster.stop()


def _skip(reason: str) -> None:
    if os.environ.get("FLOWLANG_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"FLOWLANG_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


GOLDEN = Path(__file__).parent / "golden"
