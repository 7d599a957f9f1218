"""Reading the call store for reports: open it read-only (never create it), and fetch the rows
of one period in one snapshot. Portable SQL (SQLite and PostgreSQL), `?` placeholders.

    with open_source("sqlite:///flowlang.db") as src:
        data = src.fetch(ReportOptions(since=t0, until=t1))
        data.calls[0].flow, data.queue[0].queue, data.traffic[("bank_service", "main_menu")]

A call belongs to the period when it *started* in [since, until); its queue stays, survey answers
and losses come with it. Callbacks are selected by when they were requested. The callback's
number is never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from runtime.reports.model import ReportError, ReportOptions
from runtime.storage.dialects import Dialect, SqliteDialect, dialect_for
from runtime.storage.model import StoreError
from runtime.storage.queries import snapshot

CONTACT_CENTER = ("queue_calls", "survey_answers", "lost_calls", "callbacks")


class CallRow(NamedTuple):
    call_id: str
    flow: str
    caller_masked: str
    direction: str
    started_at: float
    ended_at: float | None
    outcome: str | None
    end_node: str | None
    end_reason: str | None
    caller_key: str | None = None  # migration 0004; None for older rows and stores


class QueueRow(NamedTuple):
    call_id: str
    flow: str
    queue: str
    entered_at: float
    answered_at: float | None
    left_at: float | None
    outcome: str | None
    agent: str | None
    started_at: float        # the call's start (buckets)


class LostRow(NamedTuple):
    call_id: str
    flow: str
    node_id: str
    kind: str
    reason: str
    waited_s: float | None


class AnswerRow(NamedTuple):
    call_id: str
    flow: str
    node_id: str
    question: str
    kind: str
    value: str


class CallbackRow(NamedTuple):
    flow: str
    queue: str | None
    source: str
    status: str
    requested_at: float


@dataclass
class PeriodData:
    """Every row a report needs for one period, read in one snapshot."""

    calls: list[CallRow] = field(default_factory=list)
    queue: list[QueueRow] = field(default_factory=list)
    lost: list[LostRow] = field(default_factory=list)
    answers: list[AnswerRow] = field(default_factory=list)
    callbacks: list[CallbackRow] = field(default_factory=list)
    traffic: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (flow, node) -> (kind, calls)
    reached: dict[str, set[str]] = field(default_factory=dict)   # call_id -> node kinds visited (queue, transfer)
    missing: tuple[str, ...] = ()                                # contact-center tables not in this store


def _period(opts: ReportOptions, alias: str = "c") -> tuple[str, list[Any]]:
    """WHERE text for the calls of the period (and flow); its arguments."""
    where, args = ["1 = 1"], []
    for cond, value in ((f"{alias}.started_at >= ?", opts.since), (f"{alias}.started_at < ?", opts.until),
                        (f"{alias}.flow = ?", opts.flow)):
        if value is not None:
            where.append(cond)
            args.append(value)
    return " AND ".join(where), args


class Source:
    """A read-only connection to a call store."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        if isinstance(dialect, SqliteDialect) and not dialect.path.is_file():
            raise ReportError(f"no call store at {dialect.path}: `flowc run` records calls there "
                              "(pass --db or set FLOWLANG_DB to read another one)")
        try:
            self.conn = dialect.connect("reader")
        except StoreError as e:
            raise ReportError(str(e)) from None
        self.tables = self._tables()
        if "calls" not in self.tables:
            self.close()
            raise ReportError(f"{dialect.describe()} is not a flowlang call store (it has no `calls` table)")
        self.has_caller_key = self._has_column("calls", "caller_key")

    def describe(self) -> str:
        return self.dialect.describe()

    def _tables(self) -> set[str]:
        if isinstance(self.dialect, SqliteDialect):
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        try:
            return {r[0] for r in self.conn.execute(sql).fetchall()}
        except Exception as e:  # sqlite3.DatabaseError "file is not a database", psycopg errors
            raise ReportError(f"cannot read {self.describe()}: {e}") from None

    def _has_column(self, table: str, column: str) -> bool:
        cur = self.conn.execute(f"SELECT * FROM {table} WHERE 1 = 0")
        names = [d[0] for d in cur.description]
        cur.fetchall()
        return column in names

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def flows(self) -> list[str]:
        """Every flow name the store has calls of."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT flow FROM calls ORDER BY flow").fetchall()]

    def _rows(self, sql: str, args: list[Any]) -> list[tuple]:
        return self.conn.execute(self.dialect.sql(sql), args).fetchall()

    def fetch(self, opts: ReportOptions) -> PeriodData:
        """Every row of the period, from one snapshot."""
        where, args = _period(opts)
        data = PeriodData(missing=tuple(t for t in CONTACT_CENTER if t not in self.tables))
        with snapshot(self.conn, self.dialect):
            data.calls = [CallRow(*r) for r in self._rows(
                "SELECT c.call_id, c.flow, c.caller_masked, c.direction, c.started_at, c.ended_at, "
                f"c.outcome, c.end_node, c.end_reason, {'c.caller_key' if self.has_caller_key else 'NULL'} "
                f"FROM calls c WHERE {where} "
                "ORDER BY c.started_at, c.call_id", args)]
            self._visits(data, where, args)
            if "queue_calls" in self.tables:
                qwhere, qargs = (where + " AND q.queue = ?", args + [opts.queue]) if opts.queue else (where, args)
                data.queue = [QueueRow(*r) for r in self._rows(
                    "SELECT q.call_id, q.flow, q.queue, q.entered_at, q.answered_at, q.left_at, q.outcome, "
                    "q.agent, c.started_at FROM queue_calls q JOIN calls c ON c.call_id = q.call_id "
                    f"WHERE {qwhere} ORDER BY q.entered_at, q.id", qargs)]
            if "lost_calls" in self.tables:
                data.lost = [LostRow(*r) for r in self._rows(
                    "SELECT l.call_id, l.flow, l.node_id, l.kind, l.reason, l.waited_s FROM lost_calls l "
                    f"JOIN calls c ON c.call_id = l.call_id WHERE {where} ORDER BY l.at, l.call_id", args)]
            if "survey_answers" in self.tables:
                data.answers = [AnswerRow(*r) for r in self._rows(
                    "SELECT a.call_id, c.flow, a.node_id, a.question, a.kind, a.value FROM survey_answers a "
                    f"JOIN calls c ON c.call_id = a.call_id WHERE {where} "
                    "ORDER BY a.at, a.call_id, a.node_id, a.question", args)]
            if "callbacks" in self.tables:
                data.callbacks = self._callbacks(opts)
        return data

    def _visits(self, data: PeriodData, where: str, args: list[Any]) -> None:
        for flow, node, kind, n in self._rows(
                "SELECT c.flow, v.node_id, MIN(v.kind), COUNT(DISTINCT v.call_id) FROM visits v "
                f"JOIN calls c ON c.call_id = v.call_id WHERE {where} GROUP BY c.flow, v.node_id", args):
            data.traffic[(flow, node)] = (kind, int(n))
        for call_id, kind in self._rows(
                "SELECT DISTINCT v.call_id, v.kind FROM visits v JOIN calls c ON c.call_id = v.call_id "
                f"WHERE {where} AND v.kind IN ('queue', 'transfer')", args):
            data.reached.setdefault(call_id, set()).add(kind)

    def _callbacks(self, opts: ReportOptions) -> list[CallbackRow]:
        where, args = ["1 = 1"], []
        for cond, value in (("requested_at >= ?", opts.since), ("requested_at < ?", opts.until),
                            ("flow = ?", opts.flow), ("queue = ?", opts.queue)):
            if value is not None:
                where.append(cond)
                args.append(value)
        # never select `number`: the report has no use for a dialable number
        return [CallbackRow(*r) for r in self._rows(
            "SELECT flow, queue, source, status, requested_at FROM callbacks "
            f"WHERE {' AND '.join(where)} ORDER BY requested_at, id", args)]


def open_source(url: str | None) -> Source:
    """The store a URL names (None: $FLOWLANG_DB, else ./flowlang.db), opened read-only."""
    try:
        dialect = dialect_for(url)
    except StoreError as e:
        raise ReportError(str(e)) from None
    return Source(dialect)
