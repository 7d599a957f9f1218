"""The storage tests' backends (an SQLite file, a throwaway PostgreSQL database) for the campaign store."""

from tests.runtime.storage.conftest import db, pg_cluster, pg_db  # noqa: F401
