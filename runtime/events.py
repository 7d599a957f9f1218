"""What happens to a call, as the driver reports it to the engine. Frozen, plain data, no I/O.

Every event has `at`: seconds on a monotonic call clock supplied by the driver. Wall time (for
hours, now(), today()) is `CallStarted.wall_time` (epoch seconds) plus `at - CallStarted.at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Union

# "connected": an agent was bridged with the caller (not a verdict: the queue node waits on for
# agent_ended, and a caller who hangs up meanwhile was answered, not abandoned).
QUEUE_OUTCOMES = ("agent_ended", "overflow", "callback", "caller_hangup", "connected")


@dataclass(frozen=True)
class CallStarted:
    """A call entered the flow (inbound: the channel rang in; outbound: the contact answered)."""

    at: float
    caller: str
    dialed: str
    call_id: str
    wall_time: float
    language: str | None = None  # the caller's language if known (CRM, campaign contact)
    direction: str = "inbound"
    contact: Mapping[str, Any] | None = None  # outbound: the campaign contact (id, name, number...)
    attempt: int = 1
    caller_name: str = ""
    caller_tier: str = ""
    calls_today: Mapping[str, int] | None = None  # number -> calls so far today (storage), for calls_today()
    last_call: Mapping[str, float] | None = None  # number -> wall time of its previous call today, for last_call()


@dataclass(frozen=True)
class PlaybackFinished:
    """A Play command's whole playlist finished (or was stopped)."""

    at: float
    playback_id: str


@dataclass(frozen=True)
class DtmfReceived:
    """The caller pressed a key: 0-9, *, #, A-D."""

    at: float
    digit: str


@dataclass(frozen=True)
class SpeechRecognized:
    """The recogniser heard `text` with `confidence` (0-1)."""

    at: float
    text: str
    confidence: float = 1.0


@dataclass(frozen=True)
class TimerFired:
    """A StartTimer's time ran out (a cancelled timer must not fire; a stale one is ignored)."""

    at: float
    timer_id: str


@dataclass(frozen=True)
class HttpResult:
    """A Fetch finished: status and body (parsed JSON, or text the engine parses), or an error."""

    at: float
    request_id: str
    status: int | None
    body: Any = None
    error: str | None = None


@dataclass(frozen=True)
class SqlResult:
    """A Lookup finished: the rows (a list of column -> value maps), or an error."""

    at: float
    request_id: str
    rows: list[dict] | None
    error: str | None = None


@dataclass(frozen=True)
class RecordingFinished:
    """A Record command stopped (max length, silence, terminator key)."""

    at: float
    name: str
    duration: float


@dataclass(frozen=True)
class TransferResult:
    """A blind transfer succeeded (the channel left us) or failed."""

    at: float
    ok: bool
    reason: str = ""
    transfer_id: str | None = None  # when given, must name the current transfer


@dataclass(frozen=True)
class QueueResult:
    """The ACD's verdict on an Enqueue: one of QUEUE_OUTCOMES."""

    at: float
    outcome: str
    agent: str | None = None
    waited: float = 0.0
    request_id: str | None = None  # when given, must name the current Enqueue
    position: int | None = None  # callback: the place in line the caller kept


@dataclass(frozen=True)
class HangUp:
    """The caller (or the network) hung up."""

    at: float
    cause: str = "normal"


@dataclass(frozen=True)
class CommandFailed:
    """A command could not be carried out (e.g. the channel is gone: ARI answered 404)."""

    at: float
    command_id: str
    reason: str = ""


Event = Union[CallStarted, PlaybackFinished, DtmfReceived, SpeechRecognized, TimerFired, HttpResult,
              SqlResult, RecordingFinished, TransferResult, QueueResult, HangUp, CommandFailed]
