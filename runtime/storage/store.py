"""SqlCallStore: the CallStore over SQLite or PostgreSQL, and open_store(url)."""

from __future__ import annotations

import atexit
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from runtime.storage import contact, queries
from runtime.storage.contact import ContactCenterStore
from runtime.storage.dialects import Dialect, dialect_for
from runtime.storage.masking import mask_number, mask_phone_like, mask_secure
from runtime.storage.migrate import MIGRATIONS_DIR, load_migrations, migrate
from runtime.storage.model import (INPUT_KINDS, STALE_OUTCOME, CallRecord, StoreError,
                                   StoreStats)
from runtime.storage.writer import BatchWriter, Job


def open_store(url: str | None = None, *, worker: str | None = None,
               migrations_dir: Path | None = None, max_batch: int = 200,
               max_delay: float = 0.005) -> "SqlCallStore":
    """Open (creating and migrating if needed) the call store a URL names; see dialect_for()."""
    return SqlCallStore(dialect_for(url), worker=worker, migrations_dir=migrations_dir,
                        max_batch=max_batch, max_delay=max_delay)


def default_worker() -> str:
    """This runtime's name in `calls.worker`: $FLOWLANG_WORKER, else the host name."""
    return os.environ.get("FLOWLANG_WORKER") or socket.gethostname()


# Every write the writer knows, and the order a batch runs its groups in (parents first).
WRITES = {**queries.WRITES, **contact.WRITES}
ORDER = tuple(op for op in queries.ORDER if op != "end") + contact.ORDER + ("end",)


class SqlCallStore(ContactCenterStore):
    """Call records in SQL: writes queued to the writer thread, reads on per-thread connections.
    The contact-centre records (queue stays, surveys, lost calls, callbacks) are in contact.py."""

    def __init__(self, dialect: Dialect, *, worker: str | None = None,
                 migrations_dir: Path | None = None, max_batch: int = 200,
                 max_delay: float = 0.005) -> None:
        self.dialect = dialect
        self.worker = worker or default_worker()
        conn = dialect.connect("writer")
        try:
            migrations = load_migrations(dialect, migrations_dir or MIGRATIONS_DIR)
            self.migrated = migrate(conn, dialect, migrations)
        except BaseException:
            conn.close()
            raise
        self.opened_at = time.time()
        self._writer = BatchWriter(dialect, conn, WRITES, ORDER, max_batch, max_delay)
        self._local = threading.local()
        self._readers: list[Any] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        atexit.register(self.close)

    # ---- writes: queued, never blocking -------------------------------------------------------
    def call_started(self, call_id: str, flow: str, version: str, caller: str, dialed: str,
                     direction: str, started_at: float, language: str | None,
                     caller_key: str | None = None) -> None:
        """A call began; the caller number (and, outbound, the dialed one) is masked here.
        `caller_key` is the caller's pseudonymous key (runtime/storage/caller_key.py), if any."""
        shown_dialed = mask_number(dialed) if direction == "outbound" else dialed
        self._put("call", (call_id, flow, version, mask_number(caller), shown_dialed, direction,
                           language, self.worker, started_at,
                           (caller_key or None) if direction == "inbound" else None))

    def visit(self, call_id: str, seq: int, node_id: str, kind: str, at: float,
              event: str | None = None) -> None:
        """The call entered a node (`seq` from 0); `event` must never carry secure input."""
        self._put("visit", (call_id, seq, node_id, kind, at,
                            None if event is None else mask_phone_like(event)))

    def input(self, call_id: str, node_id: str, kind: str, value: str, secure: bool,
              at: float) -> None:
        """Caller input: secure values become asterisks, phone-number-like digits are masked."""
        if kind not in INPUT_KINDS:
            raise ValueError(f"input kind must be one of {INPUT_KINDS}, not {kind!r}")
        stored = mask_secure(value) if secure else mask_phone_like(value)
        self._put("input", (call_id, node_id, kind, stored, 1 if secure else 0, at))

    def variables(self, call_id: str, values: Mapping[str, str]) -> None:
        """The call's chosen variables (upsert by name); phone-number-like digits are masked."""
        for name, value in values.items():
            self._put("var", (call_id, name, mask_phone_like(str(value))))

    def call_ended(self, call_id: str, ended_at: float, outcome: str, node_id: str | None,
                   reason: str | None) -> None:
        """The call ended; only the first end of a call is kept."""
        self._put("end", (ended_at, outcome, node_id, reason, call_id))

    def _put(self, op: str, params: tuple[Any, ...]) -> None:
        if self._closed:
            raise StoreError("the call store is closed")
        self._writer.put(op, params)

    # ---- barriers -------------------------------------------------------------------------------
    def flush(self, timeout: float = 5.0) -> None:
        """Block until everything queued so far is committed; StoreError if some was refused."""
        job = self._writer.submit(Job(), timeout)
        _raise_for(job)

    def close_stale(self, reason: str = STALE_OUTCOME, *, before: float | None = None,
                    worker: str | None = None) -> list[str]:
        """End this worker's calls left open by a dead runtime (outcome `reason`); their ids."""
        before = self.opened_at if before is None else before
        worker = worker or self.worker
        job = self._writer.submit(Job(lambda conn: queries.close_stale(
            conn, self.dialect, worker, before, reason)), timeout=30.0)
        _raise_for(job)
        return job.result

    def stats(self) -> StoreStats:
        return self._writer.stats()

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, stop the writer, close every connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        lost, refused = self._writer.stop(timeout)
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        if lost:
            raise StoreError(f"call store closed with {lost} records not written "
                             f"({self.dialect.describe()} unreachable or locked)")
        if refused:
            raise StoreError(f"call store refused {refused} record(s) since the last flush")

    def __enter__(self) -> "SqlCallStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reads: blocking, committed data only -------------------------------------------------
    def get_call(self, call_id: str) -> CallRecord | None:
        return queries.get_call(self._reader(), self.dialect, call_id)

    def calls(self, since: float | None = None, until: float | None = None,
              flow: str | None = None) -> Iterator[CallRecord]:
        """Calls started in [since, until) (of `flow`), oldest first, fetched a page at a time."""
        return queries.iter_pages(lambda after: queries.page_calls(
            self._reader(), self.dialect, since, until, flow, after))

    def open_calls(self) -> list[str]:
        return queries.open_calls(self._reader(), self.dialect)

    def _reader(self) -> Any:
        if self._closed:
            raise StoreError("the call store is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None or self.dialect.is_broken(conn):
            conn = self._local.conn = self.dialect.connect("reader")
            with self._readers_lock:
                self._readers.append(conn)
        return conn


def _raise_for(job: Job) -> None:
    if job.error is not None:
        raise StoreError(f"call store: {job.error}") from job.error
    if job.dropped:
        raise StoreError(f"call store refused {job.dropped} record(s); last error: {job.drop_error}")
