"""The ACD's data: agents, waiting callers, settings, and the actions the core asks the edge to take.

    agent = Agent("PJSIP/1001", skills={"billing": 3, "mandarin": 5})
    caller = Caller("call-1", "billing_queue", skills=(("billing", 2),), priority=5, key="3f9c0a…")

Plain mutable records owned by one `AgentPool` / `Acd`; no I/O, no clock of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IDLE, RINGING, BUSY, PAUSED, WRAP_UP = "idle", "ringing", "busy", "paused", "wrap_up"
AGENT_STATES = (IDLE, RINGING, BUSY, PAUSED, WRAP_UP)
WAITING, OFFERED, CONNECTED = "waiting", "ringing", "connected"
STRATEGIES = ("longest_idle", "round_robin", "fewest_calls", "skill_level", "last_agent")
MAX_LEVEL = 5


@dataclass(frozen=True)
class AcdSettings:
    """Site-wide ACD behaviour (the flow's queue node sets the per-queue rules)."""

    no_answer_pause: float | None = 30.0  # an agent who does not answer is paused this long (None: until unpaused)
    pause_on_no_answer: bool = True
    wrap_up: float = 0.0  # seconds after a conversation before the agent is offered the next call
    retry_pause: float = 2.0  # all eligible idle agents were tried for a caller: try them again after this
    default_handle_time: float = 180.0  # for the estimated wait before any conversation ended
    handle_samples: int = 50  # recent conversations the estimated wait averages
    history_size: int = 10_000  # callers remembered for last_agent


@dataclass
class Agent:
    """An endpoint that takes calls: its skills (name -> level 1..5), groups (legacy queue or skill
    names it serves whatever the level) and its state."""

    endpoint: str
    skills: dict[str, int] = field(default_factory=dict)
    groups: frozenset[str] = frozenset()
    order: int = 0  # place in the configuration (round robin, ties)
    state: str = IDLE
    idle_since: float = 0.0
    calls_today: int = 0
    call_id: str | None = None  # the call ringing or connected (inbound or outbound)
    purpose: str = ""  # "queue" or what reserved the agent (e.g. "outbound")
    until: float | None = None  # end of a pause or of wrap-up (None while paused: until unpaused)
    pause_after: float | None = None  # pause requested while busy: seconds, applied when the call ends
    pause_requested: bool = False

    def level(self, skill: str) -> int:
        """The agent's level in `skill` (0 when the agent lacks it)."""
        return self.skills.get(skill, 0)

    def serves(self, queue: str, skills: tuple[tuple[str, int], ...]) -> bool:
        """Listed under the queue or one of its skills (legacy), or every skill at the level asked."""
        if queue in self.groups or any(name in self.groups for name, _ in skills):
            return True
        return bool(skills) and all(self.skills.get(name, 0) >= level for name, level in skills)


@dataclass
class Caller:
    """A call waiting in a queue (or ringing an agent, or connected to one)."""

    call_id: str
    queue: str
    skills: tuple[tuple[str, int], ...] = ()
    priority: float = 0.0
    strategy: str = "longest_idle"
    key: str = ""  # who the caller is, for last_agent: the pseudonymous caller key (runtime/storage/caller_key.py)
    max_wait: float | None = None
    callback_after: float | None = None
    announce_every: float = 0.0
    agent_timeout: float = 15.0
    arrived: float = 0.0
    seq: int = 0
    state: str = WAITING
    agent: str | None = None
    answered_at: float | None = None
    tried: set[str] = field(default_factory=set)
    ring_serial: int = 0
    offered_callback: bool = False
    retry_at: float | None = None
    left_position: int = 0  # the place in line when the caller left (a callback keeps it)

    @property
    def rank(self) -> tuple[float, int]:
        """Order in line: higher priority first, then arrival."""
        return (-self.priority, self.seq)


@dataclass(frozen=True)
class Ring:
    """Offer the call to an agent: ring `endpoint` for at most `timeout` seconds."""

    call_id: str
    endpoint: str
    timeout: float


@dataclass(frozen=True)
class StopRinging:
    """The agent did not answer in time: hang up its leg (the agent is paused, the caller back in line)."""

    call_id: str
    endpoint: str


@dataclass(frozen=True)
class Overflow:
    """The caller waited `max_wait`: take the overflow exit (any ringing leg is to be hung up)."""

    call_id: str
    waited: float
    endpoint: str | None = None  # the agent that was ringing, if any


@dataclass(frozen=True)
class OfferCallback:
    """`callback_after` passed: offer the caller a callback; `position` is kept if accepted."""

    call_id: str
    position: int


@dataclass(frozen=True)
class Announce:
    """Tell the caller the place in line and the estimated wait (seconds)."""

    call_id: str
    position: int
    wait: float


Action = Ring | StopRinging | Overflow | OfferCallback | Announce
