"""The SQL of the call store: the writer's statements, and the reads that build CallRecords."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from runtime.storage.dialects import Dialect
from runtime.storage.model import CallRecord, InputRecord, VisitRecord

# Operation -> statement, in the order the writer executes a batch's groups (a call row first).
ORDER = ("call", "visit", "input", "var", "end")
WRITES = {
    "call": "INSERT INTO calls (call_id, flow, flow_version, caller_masked, dialed, direction, "
            "language, worker, started_at, caller_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (call_id) DO NOTHING",
    "visit": "INSERT INTO visits (call_id, seq, node_id, kind, at, event) "
             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, seq) DO NOTHING",
    "input": "INSERT INTO inputs (call_id, node_id, kind, value, secure, at) "
             "VALUES (?, ?, ?, ?, ?, ?)",
    "var": "INSERT INTO call_vars (call_id, name, value) VALUES (?, ?, ?) "
           "ON CONFLICT (call_id, name) DO UPDATE SET value = excluded.value",
    "end": "UPDATE calls SET ended_at = ?, outcome = ?, end_node = ?, end_reason = ? "
           "WHERE call_id = ? AND ended_at IS NULL",
}

CALL_COLUMNS = ("call_id, flow, flow_version, caller_masked, dialed, direction, language, worker, "
                "started_at, ended_at, outcome, end_node, end_reason")
PAGE = 500
STALE_REASON = "no end was recorded before the runtime stopped"


def get_call(conn: Any, d: Dialect, call_id: str) -> CallRecord | None:
    """One call with its visits, inputs and variables, from one snapshot."""
    with snapshot(conn, d):
        row = conn.execute(d.sql(f"SELECT {CALL_COLUMNS} FROM calls WHERE call_id = ?"),
                           (call_id,)).fetchone()
        return _with_details(conn, d, [row])[0] if row else None


def page_calls(conn: Any, d: Dialect, since: float | None, until: float | None,
               flow: str | None, after: tuple[float, str] | None) -> list[CallRecord]:
    """The next page of calls by (started_at, call_id) after `after`, filtered, with details."""
    where, args = [], []
    for cond, value in (("started_at >= ?", since), ("started_at < ?", until), ("flow = ?", flow)):
        if value is not None:
            where.append(cond)
            args.append(value)
    if after is not None:
        where.append("(started_at > ? OR (started_at = ? AND call_id > ?))")
        args += [after[0], after[0], after[1]]
    sql = (f"SELECT {CALL_COLUMNS} FROM calls {'WHERE ' + ' AND '.join(where) if where else ''} "
           f"ORDER BY started_at, call_id LIMIT {PAGE}")
    with snapshot(conn, d):
        return _with_details(conn, d, conn.execute(d.sql(sql), args).fetchall())


def open_calls(conn: Any, d: Dialect) -> list[str]:
    """Ids of calls with no end recorded, oldest first (every worker's)."""
    rows = conn.execute("SELECT call_id FROM calls WHERE ended_at IS NULL "
                        "ORDER BY started_at, call_id").fetchall()
    return [r[0] for r in rows]


def close_stale(conn: Any, d: Dialect, worker: str, before: float, outcome: str) -> list[str]:
    """End `worker`'s calls started before `before` and still open, at their last known moment."""
    rows = conn.execute(d.sql("SELECT call_id, started_at FROM calls WHERE ended_at IS NULL "
                              "AND worker = ? AND started_at < ? ORDER BY started_at, call_id"),
                        (worker, before)).fetchall()
    for call_id, started_at in rows:
        last = conn.execute(d.sql("SELECT node_id, at FROM visits WHERE call_id = ? "
                                  "ORDER BY seq DESC LIMIT 1"), (call_id,)).fetchone()
        last_input = conn.execute(d.sql("SELECT MAX(at) FROM inputs WHERE call_id = ?"),
                                  (call_id,)).fetchone()[0]
        ended = max(t for t in (started_at, last and last[1], last_input) if t is not None)
        conn.execute(d.sql(WRITES["end"]), (ended, outcome, last and last[0], STALE_REASON, call_id))
    return [r[0] for r in rows]


@contextmanager
def snapshot(conn: Any, d: Dialect) -> Iterator[None]:
    """A read transaction: every query inside sees the same committed state."""
    conn.execute(d.begin_read)
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _with_details(conn: Any, d: Dialect, rows: Sequence[Sequence[Any]]) -> list[CallRecord]:
    """CallRecords for call rows, with visits, inputs and variables fetched in three queries."""
    if not rows:
        return []
    ids = [r[0] for r in rows]
    marks = ", ".join("?" * len(ids))
    visits: dict[str, list[VisitRecord]] = {i: [] for i in ids}
    for cid, *rest in conn.execute(d.sql(
            f"SELECT call_id, seq, node_id, kind, at, event FROM visits WHERE call_id IN ({marks}) "
            "ORDER BY call_id, seq"), ids):
        visits[cid].append(VisitRecord(*rest))
    inputs: dict[str, list[InputRecord]] = {i: [] for i in ids}
    for cid, node, kind, value, secure, at in conn.execute(d.sql(
            f"SELECT call_id, node_id, kind, value, secure, at FROM inputs "
            f"WHERE call_id IN ({marks}) ORDER BY call_id, id"), ids):
        inputs[cid].append(InputRecord(node, kind, value, bool(secure), at))
    variables: dict[str, dict[str, str]] = {i: {} for i in ids}
    for cid, name, value in conn.execute(d.sql(
            f"SELECT call_id, name, value FROM call_vars WHERE call_id IN ({marks}) "
            "ORDER BY call_id, name"), ids):
        variables[cid][name] = value
    return [CallRecord(*r, visits=tuple(visits[r[0]]), inputs=tuple(inputs[r[0]]),
                       variables=variables[r[0]]) for r in rows]


def iter_pages(fetch: Any) -> Iterator[CallRecord]:
    """Every call of successive pages; `fetch(after)` returns the page after a (started_at, id)."""
    after = None
    while True:
        page = fetch(after)
        yield from page
        if len(page) < PAGE:
            return
        after = (page[-1].started_at, page[-1].call_id)
