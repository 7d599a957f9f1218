"""A parsed `.calltest` file: frozen, plain data (see docs/testing.md for the format)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pos:
    """A place in a .calltest file: 1-based line and column."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class ScriptError(ValueError):
    """Syntax errors in .calltest files, each as `file:line:col: error: message`."""

    def __init__(self, problems: list[tuple[Pos, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{pos}: error: {msg}" for pos, msg in problems))


# ---------------------------------------------------------------- the simulated world
@dataclass(frozen=True)
class HttpMock:
    """A reply for a fetch node (`target` is a node id) or for URLs matching a glob (`is_url`)."""

    target: str
    is_url: bool
    status: int | None = 200  # None: no reply (the engine's timeout decides)
    body: Any = None
    error: str | None = None
    pos: Pos | None = None


@dataclass(frozen=True)
class SqlMock:
    """Rows (possibly none) or an error for a lookup node."""

    node: str
    rows: tuple[Any, ...] | None = ()
    error: str | None = None
    pos: Pos | None = None


@dataclass(frozen=True)
class AgentPool:
    """`count` simulated agents with a skill (or serving a queue node) who answer and talk."""

    name: str
    count: int
    answer_after: float = 2.0
    talk: float = 30.0
    pos: Pos | None = None


@dataclass(frozen=True)
class World:
    """Mocks and agents; a test's own world is layered over the file's (see World.over)."""

    http: tuple[HttpMock, ...] = ()
    sql: tuple[SqlMock, ...] = ()
    agents: tuple[AgentPool, ...] = ()

    def over(self, base: "World") -> "World":
        """This world's mocks first (per target), then the base's for targets this one leaves alone."""
        def merge(mine, theirs, key):
            keys = {key(m) for m in mine}
            return tuple(mine) + tuple(m for m in theirs if key(m) not in keys)
        return World(merge(self.http, base.http, lambda m: (m.is_url, m.target)),
                     merge(self.sql, base.sql, lambda m: m.node),
                     merge(self.agents, base.agents, lambda a: a.name))


# ---------------------------------------------------------------- steps
@dataclass(frozen=True)
class Press:
    """The caller presses keys (0-9 * # A-D), 0.1 s apart."""

    keys: str
    pos: Pos


@dataclass(frozen=True)
class Say:
    """The caller says something the recogniser hears as `text`."""

    text: str
    confidence: float
    pos: Pos


@dataclass(frozen=True)
class Talk:
    """The caller talks for a while (a voicemail message), without being recognised."""

    seconds: float
    pos: Pos


@dataclass(frozen=True)
class Silence:
    """The caller says nothing until the flow stops waiting (its timer fires) or the call ends."""

    pos: Pos
    timeout: float | None = None


@dataclass(frozen=True)
class Wait:
    """The caller does nothing for `seconds` (simulated)."""

    seconds: float
    pos: Pos


@dataclass(frozen=True)
class HangUp:
    """The caller hangs up."""

    pos: Pos


@dataclass(frozen=True)
class Expect:
    """Wait for something the flow does: `what` (prompt, node, var...) with its arguments."""

    what: str
    args: tuple[Any, ...]
    pos: Pos
    timeout: float | None = None
    text: str = ""  # the step as written, for messages


Step = Press | Say | Talk | Silence | Wait | HangUp | Expect


@dataclass(frozen=True)
class CallSetup:
    """Who calls, when, and what the network and CRM know about them."""

    caller: str = "+8613912345678"
    dialed: str = ""
    at: str | None = None  # ISO local date-time, e.g. 2026-11-25T10:00; None: now
    zone: str | None = None  # None: the flow's first `hours` time zone, else UTC
    calls_today: int | None = None  # what calls_today(caller.number) answers


@dataclass(frozen=True)
class CallTest:
    """One `test "name"` block: a call, its setup, its steps."""

    name: str
    pos: Pos
    setup: CallSetup = CallSetup()
    world: World = World()
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class CallTestFile:
    """A whole .calltest file: the flow under test, shared mocks and agents, and the tests."""

    path: str
    flow: str  # path of the .flow file, resolved against the .calltest's folder
    flow_pos: Pos
    config: str | None = None
    world: World = World()
    timeout: float = 120.0  # how long `expect` and `silence` wait by default (simulated seconds)
    setup: CallSetup = CallSetup()
    tests: tuple[CallTest, ...] = field(default_factory=tuple)
