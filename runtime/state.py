"""The state of one call between two events: frozen, comparable, and safe to print.

Values that came from a secure collect (and anything computed from them) are tracked by name in
`Frame.secrets`; `repr()` and `describe()` mask them, the collect buffer and the type-ahead keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.storage.masking import mask_number as _mask_number


class FrozenMap(Mapping):
    """An immutable mapping (for variables, JSON replies and log data inside frozen states)."""

    __slots__ = ("_d",)

    def __init__(self, data: Mapping | None = None, /, **kw: Any):
        object.__setattr__(self, "_d", dict(data or {}, **kw))

    def __getitem__(self, key):
        return self._d[key]

    def __iter__(self) -> Iterator:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"

    def __setattr__(self, name, value):
        raise AttributeError("FrozenMap is immutable")

    def __hash__(self) -> int:
        return hash(frozenset(self._d.items()))

    def __eq__(self, other) -> bool:
        return dict(self.items()) == dict(other.items()) if isinstance(other, Mapping) else NotImplemented

    def __reduce__(self):
        return (FrozenMap, (self._d,))

    def set(self, key, value) -> "FrozenMap":
        """A copy with `key` bound to `value`."""
        return FrozenMap({**self._d, key: value})


def freeze(value: Any) -> Any:
    """Deeply immutable: dicts -> FrozenMap, lists -> tuples (JSON replies, SQL rows)."""
    if value is None or type(value) in (str, int, float, bool, FrozenMap):
        return value
    if isinstance(value, Mapping):
        return FrozenMap({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain JSON-able data again (for a Fetch body)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def evolve(obj: Any, **changes: Any) -> Any:
    """dataclasses.replace for the engine's own frozen records, without re-running __init__
    (about ten times faster; the engine replaces a few fields many times per step)."""
    if not changes.keys() <= obj.__dataclass_fields__.keys():
        raise TypeError(f"{type(obj).__name__} has no field(s) {sorted(set(changes) - set(obj.__dataclass_fields__))}")
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


def scope_digest(values: Any) -> str:
    """A stable, one-way name for a set of (name, secure value) pairs, in letters only (so that no
    run of digits can look like a card number wherever a state is shown): SHA-256, hex digits
    mapped to letters. Held in this process's memory only."""
    import hashlib

    text = "\x1f".join(f"{k}\x1e{v}" for k, v in sorted((str(k), str(v)) for k, v in values))
    return hashlib.sha256(text.encode("utf-8")).hexdigest().translate(_LETTERS)


_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def masked(value: Any) -> str:
    """A secure value as shown anywhere it could be logged: one `*` per character."""
    return "*" * len(value) if isinstance(value, str) else "***"


EMPTY = FrozenMap()


@dataclass(frozen=True)
class CallInfo:
    """Facts fixed when the call starts."""

    call_id: str
    caller: str
    dialed: str
    direction: str
    started_at: float
    wall_time: float
    caller_language: str = ""
    caller_name: str = ""
    caller_tier: str = ""
    attempt: int = 1
    contact: Mapping[str, Any] = EMPTY
    calls_today: Mapping[str, int] | None = None  # number key -> count, as the storage layer saw it

    def wall(self, at: float) -> float:
        """Epoch seconds at call-clock time `at`."""
        return self.wall_time + (at - self.started_at)


@dataclass(frozen=True, repr=False)
class Scratch:
    """What the current node visit is doing: its phase, counters, and the ids it waits for."""

    phase: str = ""
    attempts: int = 0
    index: int = 0  # survey question, ...
    buffer: str = ""  # collected digits (masked in repr when `secure`)
    secure: bool = False
    playback: str | None = None
    timer: str | None = None
    request: str | None = None  # fetch/lookup request, recording name, transfer/queue id

    def __repr__(self) -> str:
        buf = masked(self.buffer) if (self.secure and self.buffer) else self.buffer
        return (f"Scratch(phase={self.phase!r}, attempts={self.attempts}, index={self.index}, "
                f"buffer={buf!r}, secure={self.secure}, playback={self.playback!r}, timer={self.timer!r}, "
                f"request={self.request!r})")


@dataclass(frozen=True, repr=False)
class Frame:
    """One level of the call stack: the main flow, or a subflow called from `call_node`."""

    subflow: str | None
    call_node: str | None
    vars: FrozenMap = EMPTY
    secrets: frozenset[str] = frozenset()

    def shown_vars(self) -> dict[str, Any]:
        return {k: (masked(v) if k in self.secrets else v) for k, v in self.vars.items()}

    def __repr__(self) -> str:
        return (f"Frame(subflow={self.subflow!r}, call_node={self.call_node!r}, vars={self.shown_vars()!r}, "
                f"secrets={sorted(self.secrets)!r})")


@dataclass(frozen=True, repr=False)
class CallState:
    """A call between two events. The engine never mutates one; step() returns a new one."""

    call: CallInfo
    language: str
    node: str | None = None
    frames: tuple[Frame, ...] = ()
    scratch: Scratch = Scratch()
    input: str = ""
    input_secret: bool = False
    typeahead: str = ""
    seq: int = 0
    visits: int = 0
    agent_handled: bool = False
    secure_tries: FrozenMap = EMPTY  # secure collect node -> values entered in this call (PIN cap)
    # secure collect node -> `scope_digest` of the other secure values in its scope (e.g. the card a
    # PIN belongs to): the account that cross-call back-off counts strikes against
    secure_scopes: FrozenMap = EMPTY
    locked_scopes: frozenset[str] = frozenset()  # scope digests locked out when the call started
    ended: bool = False
    outcome: str | None = None
    meta: Mapping[str, Any] = field(default=EMPTY)  # reserved for drivers; the engine keeps it

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def describe(self) -> dict[str, Any]:
        """A loggable summary: secure values, the digit buffer and type-ahead keys masked."""
        s = self.scratch
        return {
            "call_id": self.call.call_id, "caller": mask_number(self.call.caller), "node": self.node,
            "language": self.language, "phase": s.phase, "attempts": s.attempts,
            "buffer": masked(s.buffer) if s.buffer else "", "typeahead": masked(self.typeahead),
            "input": masked(self.input) if (self.input_secret or s.secure) else self.input,
            "vars": [f.shown_vars() for f in self.frames], "depth": len(self.frames),
            "visits": self.visits, "ended": self.ended, "outcome": self.outcome,
        }

    def __repr__(self) -> str:
        d = self.describe()
        return "CallState(" + ", ".join(f"{k}={v!r}" for k, v in d.items()) + ")"

    def evolve(self, **changes: Any) -> "CallState":
        return evolve(self, **changes)


def mask_number(number: str) -> str:
    """A phone number with all but its last four digits hidden (the same masking as call records)."""
    return _mask_number(number)
