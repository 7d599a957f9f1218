"""What the engine asks the driver to do. Frozen, plain data; ids tie replies (events) to commands.

Nothing here ever carries the digits of a secure collect: the engine masks them before building
a command, except in the one place they must go (a Fetch/Lookup that verifies them), and those
commands are flagged `secure` and mask their url/body/params in repr().
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Union

SEGMENT_KINDS = ("text", "digits", "number", "currency", "date", "time", "ordinal", "characters")
# The reasons ARI's DELETE /channels/{id}?reason= accepts; any other flow reason hangs up "normal".
ARI_HANGUP_REASONS = ("normal", "busy", "congestion", "no_answer", "timeout", "rejected", "unallocated",
                      "normal_unspecified", "number_incomplete", "codec_mismatch", "interworking", "failure",
                      "answered_elsewhere")
OUTCOMES = ("completed", "transferred", "queued", "caller_hangup", "error", "abandoned")


@dataclass(frozen=True)
class Segment:
    """A piece of prompt text: literal text, or a value with a say-as kind."""

    kind: str
    value: str


@dataclass(frozen=True)
class PromptItem:
    """One prompt resolved for a language: its text segments and/or a recorded audio file."""

    prompt_id: str
    lang: str
    segments: tuple[Segment, ...] = ()
    audio: str | None = None


@dataclass(frozen=True)
class Answer:
    """Answer the channel (inbound calls)."""


@dataclass(frozen=True)
class Play:
    """Play a playlist; one PlaybackFinished(playback_id) when all of it is done or stopped."""

    playback_id: str
    items: tuple[PromptItem, ...]
    bargein: bool = False


@dataclass(frozen=True)
class StopPlayback:
    """Stop a playback (the caller barged in, or the node moved on)."""

    playback_id: str


@dataclass(frozen=True)
class StartTimer:
    """Fire TimerFired(timer_id) after `seconds` unless cancelled."""

    timer_id: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    """Forget a timer; it must not fire."""

    timer_id: str


@dataclass(frozen=True)
class Record:
    """Record the caller into `name`; RecordingFinished(name) when done."""

    name: str
    max_length: float
    max_silence: float
    beep: bool
    terminator: str


def _masked(obj: Any, secure: bool) -> str:
    if not secure:
        return _plain_repr(obj)
    shown = {f.name: ("***" if f.name in ("url", "body", "params", "headers") else getattr(obj, f.name))
             for f in fields(obj)}
    return f"{type(obj).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def _plain_repr(obj: Any) -> str:
    return f"{type(obj).__name__}({', '.join(f'{f.name}={getattr(obj, f.name)!r}' for f in fields(obj))})"


@dataclass(frozen=True, repr=False)
class Fetch:
    """An HTTP request (host already checked against the allowlist); HttpResult(request_id)."""

    request_id: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    timeout: float = 3.0
    secure: bool = False  # carries secure input: never log url/body

    def __repr__(self) -> str:
        return _masked(self, self.secure)


@dataclass(frozen=True, repr=False)
class Lookup:
    """A parameterised SQL query through a configured DSN; SqlResult(request_id)."""

    request_id: str
    dsn: str
    query: str
    params: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 3.0
    secure: bool = False

    def __repr__(self) -> str:
        return _masked(self, self.secure)


@dataclass(frozen=True)
class Transfer:
    """Blind transfer; TransferResult when it succeeded or failed."""

    destination: str
    timeout: float
    transfer_id: str = ""


@dataclass(frozen=True)
class Enqueue:
    """Put the caller in the ACD queue `queue_id` (the queue node's id); QueueResult when done."""

    queue_id: str
    skills: tuple[tuple[str, int], ...]
    priority: float
    strategy: str
    announce: tuple[str, ...]
    announce_every: float
    max_wait: float | None
    callback_after: float | None
    agent_timeout: float
    music: str
    request_id: str = ""


@dataclass(frozen=True)
class Dequeue:
    """Take the caller out of an ACD queue (the engine gave up waiting: its guard timer fired)."""

    queue_id: str
    request_id: str


@dataclass(frozen=True)
class Hangup:
    """Hang the channel up; `reason` is one of ARI_HANGUP_REASONS."""

    reason: str = "normal"


@dataclass(frozen=True)
class SetLanguage:
    """The call's language changed (channel language, TTS voice, ASR model)."""

    lang: str


@dataclass(frozen=True)
class Visit:
    """The call entered a node (call records, drop-off per node, heat maps)."""

    node_id: str
    kind: str
    at: float


@dataclass(frozen=True)
class Log:
    """Something worth recording about the call; `data` never holds secure input."""

    event: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EndCall:
    """The engine is done with this call: nothing follows. `outcome` is one of OUTCOMES."""

    outcome: str
    node_id: str | None
    reason: str = ""


Command = Union[Answer, Play, StopPlayback, StartTimer, CancelTimer, Record, Fetch, Lookup, Transfer,
                Enqueue, Dequeue, Hangup, SetLanguage, Visit, Log, EndCall]


def command_id(cmd: Command) -> str | None:
    """The id a reply event or CommandFailed uses for this command, if any."""
    for name in ("playback_id", "timer_id", "request_id", "name", "transfer_id"):
        value = getattr(cmd, name, None)
        if value:
            return value
    return None
