"""Contact-centre records (migration 0002): queue stays, survey answers, lost calls, callbacks.

    store.queue_entered(call_id, "bank_service", "agents_queue", entered_at=t, priority=0, position=2)
    store.queue_left(call_id, "agents_queue", entered_at=t, left_at=t2, outcome="abandoned")
    store.survey_answer(call_id, "csat", "score", "csat", "5", "dtmf", at=t3)
    store.lost_call(call_id, "bank_service", caller, "main_menu", "menu", "hangup_in_ivr", None, at=t)
    store.add_callback(call_id, "bank_service", "agents_queue", caller, "offer", position=3, requested_at=t)
    batch = await asyncio.to_thread(store.claim_callbacks, 5)     # safe with several workers
    await asyncio.to_thread(store.complete_callback, batch[0].id, "done")

Writes are queued to the batching writer like every call record (microseconds, never blocking).
Claiming and completing callbacks run as jobs of the writer (their own transaction, after every
record queued before them); reads use the reader connections. Both block: use a thread.
`callbacks.number` is the only unmasked number in the store: it is needed to dial back. It is
never logged: the writer's error log names only a record's first parameter (the call id), and
CallbackRecord keeps `number` out of its repr.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from runtime.storage.masking import mask_number, mask_phone_like
from runtime.storage.model import (CALLBACK_SOURCES, CALLBACK_STATUSES, QUEUE_OUTCOMES, SURVEY_VIA,
                                   CallbackRecord, LostCall, QueueStay, StoreError, SurveyAnswer)
from runtime.storage.writer import Job

# A lost caller goes on the list unless the number already has an open entry, or one done today.
_NOT_LISTED = ("NOT EXISTS (SELECT 1 FROM callbacks WHERE number = CAST(? AS TEXT) AND "
               "(status IN ('pending', 'dialing') OR (status = 'done' AND requested_at >= ?)))")
_CALLBACK_INSERT = (
    "INSERT INTO callbacks (call_id, flow, queue, number, caller_masked, source, position, "
    "requested_at) SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), "
    "CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS DOUBLE PRECISION) WHERE ")

# Operation -> statement; queue stays are keyed by (call_id, queue, entered_at): one call may
# enter a queue more than once, and a batch runs its groups in ORDER, not in arrival order.
WRITES = {
    "queue_enter": "INSERT INTO queue_calls (call_id, flow, queue, entered_at, priority, position) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
    "queue_answer": "UPDATE queue_calls SET answered_at = ?, agent = ? "
                    "WHERE call_id = ? AND queue = ? AND entered_at = ? AND answered_at IS NULL",
    "queue_leave": "UPDATE queue_calls SET left_at = ?, outcome = ? "
                   "WHERE call_id = ? AND queue = ? AND entered_at = ? AND left_at IS NULL",
    "survey": "INSERT INTO survey_answers (call_id, node_id, question, kind, value, via, at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, node_id, question) DO UPDATE SET "
              "kind = excluded.kind, value = excluded.value, via = excluded.via, at = excluded.at",
    "lost": "INSERT INTO lost_calls (call_id, flow, caller_masked, node_id, kind, reason, waited_s, "
            "at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING",
    "callback": _CALLBACK_INSERT + _NOT_LISTED,
}
ORDER = ("queue_enter", "queue_answer", "queue_leave", "survey", "lost", "callback")

CALLBACK_COLUMNS = ("id, call_id, flow, queue, number, caller_masked, source, position, "
                    "requested_at, status, attempts, done_at")
QUEUE_COLUMNS = ("id, call_id, flow, queue, entered_at, answered_at, left_at, outcome, agent, "
                 "priority, position")
# Oldest request first; among requests of one moment, the caller who was nearer the front first.
_CLAIM_ORDER = "ORDER BY requested_at, COALESCE(position, 0), id"
FINAL = ("done", "failed", "cancelled")
NEVER = float("inf")


def _where(conds: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    used = [(c, v) for c, v in conds if v is not None]
    return (" WHERE " + " AND ".join(c for c, _ in used)) if used else "", [v for _, v in used]


class ContactCenterStore:
    """The contact-centre half of SqlCallStore (a mixin: needs _put, _writer, _reader, dialect)."""

    dialect: Any
    _put: Callable[[str, tuple[Any, ...]], None]
    _writer: Any
    _reader: Callable[[], Any]

    # ---- writes: queued, never blocking -------------------------------------------------------
    def queue_entered(self, call_id: str, flow: str, queue: str, entered_at: float,
                      priority: float = 0.0, position: int | None = None) -> None:
        """The call joined `queue` (the queue node id) at `position` (1 = next in line)."""
        self._put("queue_enter", (call_id, flow, queue, entered_at, float(priority), position))

    def queue_answered(self, call_id: str, queue: str, entered_at: float, answered_at: float,
                       agent: str | None) -> None:
        """An agent was bridged with the caller of the stay that began at `entered_at`."""
        self._put("queue_answer", (answered_at, agent, call_id, queue, entered_at))

    def queue_left(self, call_id: str, queue: str, entered_at: float, left_at: float,
                   outcome: str) -> None:
        """The stay ended: answered (agent leg over) | abandoned | overflow | callback | closed."""
        if outcome not in QUEUE_OUTCOMES:
            raise ValueError(f"queue outcome must be one of {QUEUE_OUTCOMES}, not {outcome!r}")
        self._put("queue_leave", (left_at, outcome, call_id, queue, entered_at))

    def survey_answer(self, call_id: str, node_id: str, question: str, kind: str, value: str,
                      via: str, at: float) -> None:
        """One survey answer (the last answer to a question wins); `via` is dtmf or speech."""
        if via not in SURVEY_VIA:
            raise ValueError(f"survey answers come via {SURVEY_VIA}, not {via!r}")
        self._put("survey", (call_id, node_id, question, kind, mask_phone_like(str(value)), via, at))

    def lost_call(self, call_id: str, flow: str, caller: str, node_id: str, kind: str,
                  reason: str, waited_s: float | None, at: float) -> None:
        """A caller lost before an end of the flow; the number is masked here. First one wins."""
        self._put("lost", (call_id, flow, mask_number(caller), node_id, kind, reason, waited_s, at))

    def add_callback(self, call_id: str | None, flow: str, queue: str | None, number: str,
                     source: str, position: int | None, requested_at: float,
                     day_start: float | None = None) -> None:
        """Put `number` on the callback list, unless it has an open entry (pending or dialing),
        or an entry done since `day_start` (a lost caller is called back once a day)."""
        if source not in CALLBACK_SOURCES:
            raise ValueError(f"callback source must be one of {CALLBACK_SOURCES}, not {source!r}")
        if not number:
            raise ValueError("a callback needs a number")
        since = NEVER if day_start is None else day_start
        self._put("callback", (call_id, flow, queue, number, mask_number(number), source, position,
                               requested_at, number, since))

    # ---- the callback list: jobs of the writer (blocking) ---------------------------------------
    def claim_callbacks(self, limit: int = 1, timeout: float = 10.0) -> list[CallbackRecord]:
        """Take up to `limit` pending callbacks (oldest first) for dialing: status becomes
        `dialing`, attempts + 1. Two workers never get the same entry (PostgreSQL: FOR UPDATE
        SKIP LOCKED; SQLite: one writer, one UPDATE ... WHERE status = 'pending')."""
        if limit < 1:
            return []
        return self._job(lambda conn: claim(conn, self.dialect, limit), timeout)

    def complete_callback(self, callback_id: int, status: str = "done", at: float | None = None,
                          timeout: float = 10.0) -> bool:
        """Finish an entry (done, failed, cancelled) or put it back (pending); False when there is
        no such entry or it was already finished."""
        if status not in CALLBACK_STATUSES or status == "dialing":
            raise ValueError(f"a callback can be set to pending, done, failed or cancelled, "
                             f"not {status!r}")
        return self._job(lambda conn: complete(conn, self.dialect, callback_id, status, at), timeout)

    def _job(self, fn: Callable[[Any], Any], timeout: float) -> Any:
        job = self._writer.submit(Job(fn), timeout)
        if job.error is not None:
            raise StoreError(f"call store: {job.error}") from job.error
        return job.result

    # ---- reads (blocking, committed data) -----------------------------------------------------
    def callbacks(self, status: str | None = None, since: float | None = None,
                  limit: int | None = None) -> list[CallbackRecord]:
        """The callback list in dialing order, optionally one status and requested since `since`."""
        where, args = _where([("status = ?", status), ("requested_at >= ?", since)])
        sql = f"SELECT {CALLBACK_COLUMNS} FROM callbacks{where} {_CLAIM_ORDER}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [CallbackRecord(*r) for r in self._read(sql, args)]

    def queue_stays(self, call_id: str | None = None, since: float | None = None,
                    until: float | None = None) -> list[QueueStay]:
        """Queue stays of one call, or entered in [since, until), in order of entry."""
        where, args = _where([("call_id = ?", call_id), ("entered_at >= ?", since),
                              ("entered_at < ?", until)])
        return [QueueStay(*r) for r in self._read(
            f"SELECT {QUEUE_COLUMNS} FROM queue_calls{where} ORDER BY entered_at, id", args)]

    def survey_answers(self, call_id: str) -> list[SurveyAnswer]:
        """The call's survey answers in the order they were given."""
        return [SurveyAnswer(*r) for r in self._read(
            "SELECT call_id, node_id, question, kind, value, via, at FROM survey_answers "
            "WHERE call_id = ? ORDER BY at, node_id, question", [call_id])]

    def lost_calls(self, since: float | None = None, until: float | None = None) -> list[LostCall]:
        """Lost callers in [since, until), oldest first."""
        where, args = _where([("at >= ?", since), ("at < ?", until)])
        return [LostCall(*r) for r in self._read(
            "SELECT call_id, flow, caller_masked, node_id, kind, reason, waited_s, at "
            f"FROM lost_calls{where} ORDER BY at, call_id", args)]

    def calls_from(self, number: str, since: float, until: float | None = None, *,
                   caller_key: str | None = None) -> tuple[int, float | None]:
        """Inbound calls from `number` started in [since, until): (count, latest start or None).
        With the caller's `caller_key` (runtime/storage/caller_key.py) the count is exact; without
        it, calls are matched on the masked number, so two numbers of the same format that share
        their last four digits count together."""
        match = ("caller_key = ?", caller_key) if caller_key else ("caller_masked = ?", mask_number(number))
        where, args = _where([match, ("started_at >= ?", since), ("started_at < ?", until)])
        count, last = self._read("SELECT COUNT(*), MAX(started_at) FROM calls"
                                 f"{where} AND direction = 'inbound'", args)[0]
        return int(count), last

    def caller_counts(self, since: float, until: float | None = None
                      ) -> dict[str, tuple[int, float]]:
        """Per caller: (inbound calls started in [since, until), the latest start). Keyed by the
        caller key (32 hex characters) where the call has one, else by the masked number (rows
        from before migration 0004, withheld numbers): the two never look alike."""
        where, args = _where([("started_at >= ?", since), ("started_at < ?", until)])
        who = "COALESCE(caller_key, caller_masked)"
        rows = self._read(f"SELECT {who}, COUNT(*), MAX(started_at) FROM calls"
                          f"{where} AND direction = 'inbound' GROUP BY {who}", args)
        return {caller: (int(n), last) for caller, n, last in rows}

    def last_agents(self, limit: int) -> list[tuple[str, str]]:
        """(caller key, agent endpoint) for the latest `limit` queue stays answered by an agent,
        oldest first: the ACD's last_agent memory, read back when a runtime starts. Calls without
        a caller key (withheld numbers, rows from before migration 0004) are left out."""
        rows = self._read("SELECT c.caller_key, q.agent FROM queue_calls q JOIN calls c ON c.call_id = q.call_id"
                          " WHERE q.agent IS NOT NULL AND q.answered_at IS NOT NULL AND c.caller_key IS NOT NULL"
                          " ORDER BY q.entered_at DESC, q.id DESC LIMIT ?", [limit])
        return [(key, agent) for key, agent in reversed(rows)]

    def _read(self, sql: str, args: list[Any]) -> list[tuple]:
        conn = self._reader()
        conn.execute(self.dialect.begin_read)
        try:
            rows = conn.execute(self.dialect.sql(sql), args).fetchall()
        finally:
            conn.execute("COMMIT")
        return [tuple(r) for r in rows]


def claim(conn: Any, d: Any, limit: int) -> list[CallbackRecord]:
    """Mark up to `limit` pending callbacks `dialing` in this transaction; the entries taken."""
    # The CTE runs once (MATERIALIZED): PostgreSQL may re-run an IN (... LIMIT) subquery of an
    # UPDATE and take more than `limit` rows.
    pg = d.name == "postgres"
    sql = (f"WITH picked AS {'MATERIALIZED ' if pg else ''}(SELECT id FROM callbacks "
           f"WHERE status = 'pending' {_CLAIM_ORDER} LIMIT ?{' FOR UPDATE SKIP LOCKED' if pg else ''}) "
           f"UPDATE callbacks SET status = 'dialing', attempts = attempts + 1 "
           f"WHERE id IN (SELECT id FROM picked) AND status = 'pending' RETURNING {CALLBACK_COLUMNS}")
    rows = conn.execute(d.sql(sql), (limit,)).fetchall()
    records = [CallbackRecord(*r) for r in rows]
    return sorted(records, key=lambda r: (r.requested_at, r.position or 0, r.id))


def complete(conn: Any, d: Any, callback_id: int, status: str, at: float | None) -> bool:
    """Set an open entry's status (done_at for a final one); True when an entry changed."""
    done_at = (time.time() if at is None else at) if status in FINAL else None
    cur = conn.execute(d.sql("UPDATE callbacks SET status = ?, done_at = ? "
                             "WHERE id = ? AND status IN ('pending', 'dialing')"),
                       (status, done_at, int(callback_id)))
    return cur.rowcount == 1
