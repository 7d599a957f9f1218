"""Call records storage: SQLite (WAL) by default, PostgreSQL by URL; same schema and migrations.

    store = open_store()                       # $FLOWLANG_DB, else ./flowlang.db
    store = open_store("postgresql://flow@db/flowlang")
    store.call_started(...); store.visit(...); store.call_ended(...)   # microseconds: queued
    store.flush()                              # blocks until committed (use a thread in asyncio)

See docs/storage.md for the schema, durability and migrations.
"""

from runtime.storage.masking import mask_number, mask_phone_like, mask_secure
from runtime.storage.model import (INPUT_KINDS, STALE_OUTCOME, CallRecord, CallStore, InputRecord,
                                   SchemaError, StoreError, StoreStats, VisitRecord)
from runtime.storage.store import SqlCallStore, default_worker, open_store

__all__ = [
    "INPUT_KINDS", "STALE_OUTCOME", "CallRecord", "CallStore", "InputRecord", "SchemaError",
    "SqlCallStore", "StoreError", "StoreStats", "VisitRecord", "default_worker", "mask_number",
    "mask_phone_like", "mask_secure", "open_store",
]
