"""Call records storage: SQLite (WAL) by default, PostgreSQL by URL; same schema and migrations.

    store = open_store()                       # $FLOWLANG_DB, else ./flowlang.db
    store = open_store("postgresql://flow@db/flowlang")
    store.call_started(...); store.visit(...); store.call_ended(...)   # microseconds: queued
    store.flush()                              # blocks until committed (use a thread in asyncio)

Contact-centre records (queue stays, survey answers, lost calls, the callback list): contact.py.
See docs/storage.md for the schema, durability and migrations.
"""

from runtime.storage.masking import mask_number, mask_phone_like, mask_secure
from runtime.storage.model import (INPUT_KINDS, STALE_OUTCOME, CallbackRecord, CallRecord, CallStore,
                                   InputRecord, LostCall, QueueStay, SchemaError, StoreError,
                                   StoreStats, SurveyAnswer, VisitRecord)
from runtime.storage.store import SqlCallStore, default_worker, open_store

__all__ = [
    "INPUT_KINDS", "STALE_OUTCOME", "CallRecord", "CallStore", "CallbackRecord", "InputRecord",
    "LostCall", "QueueStay", "SchemaError", "SurveyAnswer",
    "SqlCallStore", "StoreError", "StoreStats", "VisitRecord", "default_worker", "mask_number",
    "mask_phone_like", "mask_secure", "open_store",
]
