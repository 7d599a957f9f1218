"""The batching writer: one thread, one connection, records from a queue committed in batches.

`put()` costs a deque append (well under a microsecond), so the asyncio loop never waits on the
database. The thread sleeps until a record arrives, lets more gather for `max_delay` (it is woken
once per batch, not once per record), then commits up to `max_batch` records in one transaction,
grouped by operation in `order` (so a call row precedes its visits); a job (flush, close) cuts the
wait short. A transient error (database locked, connection lost) rolls back and retries the
batch with backoff; a permanent one (a constraint) replays the batch record by record under
savepoints and drops only the records refused, which the next flush() reports.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.storage.dialects import Dialect
from runtime.storage.masking import mask_phone_like
from runtime.storage.model import StoreError, StoreStats

log = logging.getLogger("flowlang.storage")
Record = tuple[str, tuple[Any, ...]]
BACKOFF_FIRST, BACKOFF_MAX = 0.05, 2.0


@dataclass
class Job:
    """A barrier in the queue: runs `fn(conn)` in its own transaction after all earlier records."""

    fn: Callable[[Any], Any] | None = None
    stop: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    dropped: int = 0              # records refused since the previous job
    drop_error: str = ""


class BatchWriter:
    """Owns the writer connection and thread; see the module docstring."""

    def __init__(self, dialect: Dialect, conn: Any, statements: Mapping[str, str],
                 order: tuple[str, ...], max_batch: int = 200, max_delay: float = 0.005) -> None:
        self.dialect, self.max_batch, self.max_delay = dialect, max_batch, max_delay
        self._conn: Any = conn
        self._sql = {op: dialect.sql(statements[op]) for op in order}
        self._order = order
        self._q: deque[Record | Job] = deque()  # appends and pops are atomic: no lock needed
        self._wake = threading.Event()   # set: something was queued since the thread last looked
        self._hurry = threading.Event()  # set: a job is queued, do not wait out max_delay
        self._lock = threading.Lock()
        self._queued = self._committed = self._dropped = self._batches = self._retries = 0
        self._unreported, self._last_error, self._drop_error = 0, "", ""
        self._abandon = threading.Event()
        self._fatal: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="flowlang-store-writer", daemon=True)
        self._thread.start()

    # ---- caller side ------------------------------------------------------------------------
    def put(self, op: str, params: tuple[Any, ...]) -> None:
        """Queue one record; never blocks."""
        with self._lock:
            self._queued += 1
        self._q.append((op, params))
        if not self._wake.is_set():  # (a wake-up missed here is impossible: see _collect)
            self._wake.set()

    def submit(self, job: Job, timeout: float) -> Job:
        """Queue a job and wait for it; StoreError when the writer is dead or too slow."""
        if self._fatal is not None or not self._thread.is_alive():
            raise StoreError(f"the call store writer has stopped: {self._fatal or 'closed'}")
        self._enqueue_job(job)
        if not job.done.wait(timeout):
            raise StoreError(f"call store did not commit within {timeout:g} s "
                             f"({self.stats().pending} records pending; last error: "
                             f"{self._last_error or 'none'})")
        return job

    def stop(self, timeout: float) -> tuple[int, int]:
        """Commit what is queued and end the thread: (records not written, refused unreported)."""
        job = Job(stop=True)
        self._enqueue_job(job)
        self._thread.join(timeout)
        dropped_before = self._dropped
        if self._thread.is_alive():
            self._abandon.set()
            self._thread.join(1.0)
        lost = self.stats().pending + self._dropped - dropped_before
        return lost, job.dropped if job.done.is_set() else 0

    def _enqueue_job(self, job: Job) -> None:
        self._q.append(job)
        self._hurry.set()
        self._wake.set()

    def stats(self) -> StoreStats:
        with self._lock:
            queued = self._queued
        return StoreStats(queued, self._committed, self._dropped, self._batches, self._retries,
                          queued - self._committed - self._dropped)

    # ---- writer thread ----------------------------------------------------------------------
    def _main(self) -> None:
        try:
            while True:
                records, job = self._collect()
                if records:
                    self._commit(records)
                if job is not None:
                    self._finish(job)
                    if job.stop:
                        break
        except BaseException as exc:  # noqa: BLE001 - reported to every waiter, then logged
            self._fatal = exc
            log.exception("call store writer failed")
        finally:
            self._close_conn()
            self._release_waiters()

    def _collect(self) -> tuple[list[Record], Job | None]:
        """The next batch: up to max_batch records, cut short by a job. When nothing is queued,
        sleep until something is, then give more records max_delay to arrive (unless a job is
        waiting). `_wake` is cleared before the queue is read, so a record appended after the read
        sets it again and is never left behind unseen."""
        q = self._q
        while not q:
            self._wake.wait()
            self._wake.clear()
            if q and not self._hurry.is_set():
                self._hurry.wait(self.max_delay)
        self._hurry.clear()
        records: list[Record] = []
        while q and len(records) < self.max_batch:
            item = q.popleft()
            if isinstance(item, Job):
                return records, item
            records.append(item)
        return records, None

    def _commit(self, records: list[Record]) -> None:
        """Write one batch: whole, else record by record under savepoints, else drop it."""
        error: BaseException | None = None
        for savepoints in (False, True):
            ok, result, error = self._retrying(
                lambda conn, sp=savepoints: self._write(conn, records, sp))
            if ok:
                written, drops = result
                self._committed += written
                for record, message in drops:
                    self._drop([record], message)
                return
            if self._abandon.is_set():
                break
        self._drop(records, str(error))

    def _write(self, conn: Any, records: list[Record], savepoints: bool) -> tuple[int, list]:
        """Execute the batch grouped by operation; (rows written, [(record, error) refused])."""
        groups: dict[str, list[tuple[Any, ...]]] = {}
        for op, params in records:
            groups.setdefault(op, []).append(params)
        cur = conn.cursor()
        drops: list[tuple[Record, str]] = []
        for op in self._order:
            rows = groups.get(op, [])
            if not savepoints:
                if rows:
                    cur.executemany(self._sql[op], rows)
                continue
            for row in rows:
                message = self._write_guarded(cur, op, row)
                if message is not None:
                    drops.append(((op, row), message))
        return len(records) - len(drops), drops

    def _write_guarded(self, cur: Any, op: str, row: tuple[Any, ...]) -> str | None:
        """One record under a savepoint; the error message if the database refused it."""
        cur.execute("SAVEPOINT record")
        try:
            cur.execute(self._sql[op], row)
        except Exception as exc:  # noqa: BLE001
            if self._transient(exc):
                raise
            cur.execute("ROLLBACK TO SAVEPOINT record")
            cur.execute("RELEASE SAVEPOINT record")
            return str(exc)
        cur.execute("RELEASE SAVEPOINT record")
        return None

    def _retrying(self, fn: Callable[[Any], Any]) -> tuple[bool, Any, BaseException | None]:
        """Run fn in a transaction, retrying transient errors: (ok, result, last error)."""
        delay = BACKOFF_FIRST
        while True:
            try:
                return True, self._transaction(fn), None
            except Exception as exc:  # noqa: BLE001 - classified here
                if not self._transient(exc) or self._retry_wait(exc, delay):
                    return False, None, exc
                delay = min(delay * 2, BACKOFF_MAX)

    def _transaction(self, fn: Callable[[Any], Any]) -> Any:
        conn = self._connection()
        conn.execute(self.dialect.begin)
        try:
            result = fn(conn)
            conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        self._batches += 1
        return result

    def _finish(self, job: Job) -> None:
        """Run a job's function (with the same retries), hand over the drops, wake the caller."""
        if job.fn is not None:
            ok, job.result, error = self._retrying(job.fn)
            job.error = None if ok else error
        job.dropped, job.drop_error = self._unreported, self._drop_error
        self._unreported = 0
        job.done.set()

    # ---- errors and the connection ----------------------------------------------------------
    def _transient(self, exc: BaseException) -> bool:
        return isinstance(exc, StoreError) or self.dialect.is_transient(exc)

    def _retry_wait(self, exc: BaseException, delay: float) -> bool:
        """Log, count and sleep before a retry; True when close() gave up waiting."""
        self._last_error = str(exc)
        self._retries += 1
        log.warning("call store: %s; retrying in %.2f s", exc, delay)
        return self._abandon.wait(delay)

    def _drop(self, records: list[Record], error: str) -> None:
        error = mask_phone_like(error)  # PostgreSQL's "Failing row contains (…)" shows the values
        self._dropped += len(records)
        self._unreported += len(records)
        self._drop_error = error
        for op, params in records[:5]:
            log.error("call store refused %s for call %s: %s", op, params[0], error)

    def _connection(self) -> Any:
        if self._conn is None or self.dialect.is_broken(self._conn):
            self._close_conn()
            self._conn = self.dialect.connect("writer")
        return self._conn

    def _rollback(self) -> None:
        try:
            if self._conn is not None:
                self._conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - no transaction, or the connection is gone
            if self._conn is not None and self.dialect.is_broken(self._conn):
                self._close_conn()

    def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    def _release_waiters(self) -> None:
        """Wake every job still queued after the thread ended (their callers get an error)."""
        while True:
            try:
                item = self._q.popleft()
            except IndexError:
                return
            if isinstance(item, Job):
                item.error = StoreError("the call store writer has stopped")
                item.done.set()
