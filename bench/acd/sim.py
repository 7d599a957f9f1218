"""A discrete-event simulation on virtual time that drives the runtime's ACD core (runtime.acd.Acd).

    result = simulate(Scenario(agents=mmc_agents(10), rate=8 / 180, handle=180.0, calls=200_000, seed=1))
    result.service_level(20.0), result.asa, result.p_wait

Callers arrive as a Poisson process, each agent handles a call for an exponential time (mean
`handle` × the agent's `speed`), there is no abandonment and agents answer at once (ring time 0),
so with one skill and identical agents this is the M/M/c queue of Erlang C. The routing (who waits,
in which order, which agent takes which call) is the runtime's own code: this file only moves the
clock, draws random times and records what the core decided.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field

from runtime.acd import Acd, AcdSettings, Agent, AgentPool, Caller, Ring

QUEUE = "bench"


@dataclass(frozen=True)
class AgentSpec:
    """One simulated agent: skills and a handling-time factor (0.8 = 20 % faster than average)."""

    endpoint: str
    skills: tuple[tuple[str, int], ...] = (("general", 1),)
    speed: float = 1.0
    group: str = "agents"


@dataclass(frozen=True)
class Scenario:
    """What to simulate: agents, arrivals (per second), mean handling time, strategy, callers."""

    agents: tuple[AgentSpec, ...]
    rate: float
    handle: float = 180.0
    calls: int = 100_000
    warmup: int = 2_000  # first arrivals not measured (the system starts empty)
    seed: int = 1
    strategy: str = "longest_idle"
    skills: tuple[tuple[str, int], ...] = (("general", 1),)
    callers: int = 0  # distinct caller numbers drawn uniformly (0: every call a new caller)
    vip_share: float = 0.0  # share of calls with priority 10


@dataclass
class Result:
    """What the simulation measured, per answered call after the warm-up."""

    waits: list[float] = field(default_factory=list)
    talks: list[float] = field(default_factory=list)  # the measured calls' handling times (answer order)
    vip: list[bool] = field(default_factory=list)
    served_by: list[str] = field(default_factory=list)
    repeat_same_agent: int = 0
    repeats: int = 0
    busy: dict[str, float] = field(default_factory=dict)  # agent -> seconds talking (measured span)
    span: float = 0.0

    @property
    def asa(self) -> float:
        """Average speed of answer, seconds, over all measured calls."""
        return sum(self.waits) / len(self.waits)

    @property
    def p_wait(self) -> float:
        """Share of calls that waited at all."""
        return sum(1 for w in self.waits if w > 0) / len(self.waits)

    def service_level(self, target: float) -> float:
        """Share answered within `target` seconds."""
        return sum(1 for w in self.waits if w <= target) / len(self.waits)

    def batch_half_width(self, stat, batches: int = 20) -> float:
        """95 % confidence half-width of `stat(waits)` by batch means (waits are correlated)."""
        n = len(self.waits) // batches
        values = [stat(self.waits[i * n:(i + 1) * n]) for i in range(batches)]
        mean = sum(values) / batches
        var = sum((v - mean) ** 2 for v in values) / (batches - 1)
        return 2.093 * math.sqrt(var / batches)  # Student t, 19 degrees of freedom


def mmc_agents(count: int) -> tuple[AgentSpec, ...]:
    """`count` identical agents with the one skill of the M/M/c scenario."""
    return tuple(AgentSpec(f"SIM/agent-{i}") for i in range(1, count + 1))


def simulate(sc: Scenario) -> Result:
    """Run the scenario to the end (every arrival answered); see the module docstring."""
    rng = random.Random(sc.seed)
    now = [0.0]
    pool = AgentPool(Agent(a.endpoint, dict(a.skills)) for a in sc.agents)
    acd = Acd(pool, lambda: now[0], AcdSettings(pause_on_no_answer=False, wrap_up=0.0))
    speed = {a.endpoint: a.speed for a in sc.agents}
    events: list[tuple[float, int, int, str]] = [(rng.expovariate(sc.rate), 0, 0, "")]  # (at, seq, kind, call)
    out = Result(busy={a.endpoint: 0.0 for a in sc.agents})
    measured: dict[str, bool] = {}
    arrived = seq = 0
    start = end = 0.0
    while events:
        deadline = acd.next_deadline()
        if deadline is not None and deadline < events[0][0]:
            now[0] = deadline
        else:
            now[0], _, kind, call_id = heapq.heappop(events)
            if kind == 0:  # an arrival (and the next one drawn)
                arrived += 1
                call_id = f"c{arrived}"
                if arrived == sc.warmup + 1:
                    start = now[0]
                measured[call_id] = arrived > sc.warmup
                acd.enter(_caller(sc, rng, call_id))
                if arrived < sc.calls:
                    seq += 1
                    heapq.heappush(events, (now[0] + rng.expovariate(sc.rate), seq, 0, ""))
            else:  # a conversation ends
                acd.finished(call_id)
                end = now[0]
        for action in acd.poll():
            if isinstance(action, Ring):
                seq += 1
                _answer(acd, action, rng, sc, speed, measured, out, now[0], seq, events)
    out.span = max(end - start, 1e-9)
    return out


def _caller(sc: Scenario, rng: random.Random, call_id: str) -> Caller:
    key = f"***{rng.randrange(sc.callers):04d}" if sc.callers else ""
    vip = sc.vip_share > 0 and rng.random() < sc.vip_share
    return Caller(call_id, QUEUE, sc.skills, priority=10.0 if vip else 0.0, strategy=sc.strategy, key=key)


def _answer(acd: Acd, ring: Ring, rng: random.Random, sc: Scenario, speed: dict[str, float],
            measured: dict[str, bool], out: Result, now: float, seq: int, events: list) -> None:
    """The agent answers at once; the conversation lasts an exponential time."""
    caller = acd.callers[ring.call_id]
    previous = acd.pool.history.get(caller.key) if caller.key else None
    waited = acd.answered(ring.call_id)
    talk = rng.expovariate(1.0 / (sc.handle * speed[ring.endpoint]))
    heapq.heappush(events, (now + talk, seq, 1, ring.call_id))
    if measured.pop(ring.call_id):
        out.waits.append(waited)
        out.talks.append(talk)
        out.vip.append(caller.priority > 0)
        out.served_by.append(ring.endpoint)
        out.busy[ring.endpoint] += talk
        if previous is not None:
            out.repeats += 1
            out.repeat_same_agent += previous == ring.endpoint
