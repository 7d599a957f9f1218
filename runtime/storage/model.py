"""What the call store keeps and returns: records, statistics, errors, and the CallStore protocol."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

INPUT_KINDS = ("dtmf", "speech", "digits")
STALE_OUTCOME = "runtime_crash"  # outcome close_stale() gives calls a dead runtime left open


class StoreError(Exception):
    """The store cannot do what was asked (bad URL, database unreachable, records not written)."""


class SchemaError(StoreError):
    """The database schema does not match this code's migrations (newer, gap, or renamed)."""


@dataclass(frozen=True)
class VisitRecord:
    """The call entered a node: its position in the call's path and when."""

    seq: int
    node_id: str
    kind: str
    at: float
    event: str | None


@dataclass(frozen=True)
class InputRecord:
    """Something the caller entered or said, as stored (secure: asterisks; phone numbers masked)."""

    node_id: str
    kind: str
    value: str
    secure: bool
    at: float


@dataclass(frozen=True)
class CallRecord:
    """One call as stored: who (masked), which flow, when, how it ended, its path and inputs."""

    call_id: str
    flow: str
    flow_version: str
    caller_masked: str
    dialed: str
    direction: str
    language: str | None
    worker: str
    started_at: float
    ended_at: float | None
    outcome: str | None
    end_node: str | None
    end_reason: str | None
    visits: tuple[VisitRecord, ...] = ()
    inputs: tuple[InputRecord, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """True while no end is recorded (the call is live, or its runtime died)."""
        return self.ended_at is None


@dataclass(frozen=True)
class StoreStats:
    """Counters of the batching writer since the store was opened."""

    queued: int      # records handed to the store
    committed: int   # records in committed transactions
    dropped: int     # records the database refused (logged; flush() raises)
    batches: int     # transactions committed
    retries: int     # batches retried after a transient error (locked, connection lost)
    pending: int     # records queued and not yet committed


class CallStore(Protocol):
    """Call records storage. Write methods only enqueue (microseconds); reads block: use a thread."""

    def call_started(self, call_id: str, flow: str, version: str, caller: str, dialed: str,
                     direction: str, started_at: float, language: str | None) -> None: ...

    def visit(self, call_id: str, seq: int, node_id: str, kind: str, at: float,
              event: str | None = None) -> None: ...

    def input(self, call_id: str, node_id: str, kind: str, value: str, secure: bool,
              at: float) -> None: ...

    def variables(self, call_id: str, values: Mapping[str, str]) -> None: ...

    def call_ended(self, call_id: str, ended_at: float, outcome: str, node_id: str | None,
                   reason: str | None) -> None: ...

    def flush(self, timeout: float = 5.0) -> None: ...

    def close(self, timeout: float = 10.0) -> None: ...

    def stats(self) -> StoreStats: ...

    def get_call(self, call_id: str) -> CallRecord | None: ...

    def calls(self, since: float | None = None, until: float | None = None,
              flow: str | None = None) -> Iterator[CallRecord]: ...

    def open_calls(self) -> list[str]: ...

    def close_stale(self, reason: str = STALE_OUTCOME, *, before: float | None = None,
                    worker: str | None = None) -> list[str]: ...


# ---------------------------------------------------------------- contact centre (0002)
QUEUE_OUTCOMES = ("answered", "abandoned", "overflow", "callback", "closed")
CALLBACK_SOURCES = ("offer", "lost")
CALLBACK_STATUSES = ("pending", "dialing", "done", "failed", "cancelled")
SURVEY_VIA = ("dtmf", "speech")


@dataclass(frozen=True)
class QueueStay:
    """One stay of a call in an ACD queue: when it entered, was answered (by whom), left, and how."""

    id: int
    call_id: str
    flow: str
    queue: str
    entered_at: float
    answered_at: float | None
    left_at: float | None
    outcome: str | None
    agent: str | None
    priority: float
    position: int | None


@dataclass(frozen=True)
class SurveyAnswer:
    """One answer to a post-call survey question, and whether it came by key or by voice."""

    call_id: str
    node_id: str
    question: str
    kind: str
    value: str
    via: str
    at: float


@dataclass(frozen=True)
class LostCall:
    """A caller lost in the IVR or a queue: where (node and kind), why, and how long they waited."""

    call_id: str
    flow: str
    caller_masked: str
    node_id: str
    kind: str
    reason: str
    waited_s: float | None
    at: float


@dataclass(frozen=True)
class CallbackRecord:
    """An entry of the callback list. `number` is the real number (to dial): it is kept out of
    repr(), so logging a record shows only `caller_masked`."""

    id: int
    call_id: str | None
    flow: str
    queue: str | None
    number: str = field(repr=False)
    caller_masked: str = ""
    source: str = "lost"
    position: int | None = None
    requested_at: float = 0.0
    status: str = "pending"
    attempts: int = 0
    done_at: float | None = None
