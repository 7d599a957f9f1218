"""Simulated contact-centre agents: endpoints that ring, answer (or not), talk for a drawn handling
time and hang up. Seeded, so a run is repeatable.

    from runtime.simulator.agents import AgentProfile, add_agents, agent_endpoints
    eps = agent_endpoints(4)                                   # PJSIP/agent-1 … PJSIP/agent-4
    add_agents(sim, eps, AgentProfile(handle=120, handle_dist="exponential", no_answer=0.1), seed=7)

Each originate to one of the endpoints draws, from the agent's own random stream: busy (with
probability `busy`), no answer until the originate timeout (`no_answer`), or an answer after a ring
time drawn uniformly from `ring`, then a hang-up after a handling time drawn from `handle_dist`
(exponential, fixed or lognormal with mean `handle`). Built on the carrier's per-call hook
(EndpointBehaviour.drawn), so the ARI side sees the same Dial / StasisStart / hang-up events as for
any far end.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from .carrier import EndpointBehaviour

if TYPE_CHECKING:
    from .simulator import AriSimulator

HANDLE_DISTRIBUTIONS = ("exponential", "fixed", "lognormal")


@dataclass(frozen=True)
class AgentProfile:
    """How a simulated agent behaves: ring time range, handling time, and how often it fails."""

    ring: tuple[float, float] = (2.0, 6.0)  # seconds before answering, uniform
    handle: float = 180.0  # mean handling (talk) time, seconds
    handle_dist: str = "exponential"
    handle_sigma: float = 0.6  # lognormal: sigma of the underlying normal
    no_answer: float = 0.0  # probability the agent lets it ring
    busy: float = 0.0  # probability the endpoint answers busy

    def __post_init__(self) -> None:
        if self.handle_dist not in HANDLE_DISTRIBUTIONS:
            raise ValueError(f"handle_dist must be one of {HANDLE_DISTRIBUTIONS}, not {self.handle_dist!r}")
        if not (0 <= self.no_answer and 0 <= self.busy and self.no_answer + self.busy <= 1):
            raise ValueError("no_answer and busy are probabilities that add up to at most 1")
        if self.handle <= 0 or not 0 <= self.ring[0] <= self.ring[1]:
            raise ValueError("handle must be > 0 and ring a (low, high) range of seconds")

    def draw_handle(self, rng: random.Random) -> float:
        """One handling time, seconds."""
        if self.handle_dist == "fixed":
            return self.handle
        if self.handle_dist == "exponential":
            return rng.expovariate(1.0 / self.handle)
        mu = math.log(self.handle) - self.handle_sigma ** 2 / 2  # mean of the lognormal = handle
        return rng.lognormvariate(mu, self.handle_sigma)


@dataclass
class SimAgent(EndpointBehaviour):
    """A far end that behaves like an agent (see the module docstring)."""

    profile: AgentProfile = field(default_factory=AgentProfile)
    seed: int | None = None
    rng: random.Random = field(init=False, repr=False)
    offered: int = 0
    answered: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.rng = random.Random(self.seed)

    def drawn(self) -> EndpointBehaviour:
        """This call's behaviour: busy, no answer, or answer after a ring and talk a handling time."""
        p, rng = self.profile, self.rng
        self.offered += 1
        roll = rng.random()
        ring = rng.uniform(*p.ring)
        if roll < p.busy:
            return EndpointBehaviour(self.pattern, "busy", min(ring, 1.0))
        if roll < p.busy + p.no_answer:
            return EndpointBehaviour(self.pattern, "noanswer", ring)
        self.answered += 1
        return EndpointBehaviour(self.pattern, "answer", ring, hangup_after=p.draw_handle(rng))


def agent_endpoints(count: int, prefix: str = "PJSIP/agent-") -> list[str]:
    """`PJSIP/agent-1` … `PJSIP/agent-<count>`."""
    return [f"{prefix}{i}" for i in range(1, count + 1)]


def add_agents(sim: "AriSimulator", endpoints: Iterable[str], profile: AgentProfile | None = None, *,
               seed: int | None = None) -> list[SimAgent]:
    """Make these endpoints simulated agents (newest rule wins over earlier endpoint behaviours).
    Each agent gets its own random stream (from `seed` and its place), so adding one agent does not
    change what the others draw."""
    agents = []
    for i, endpoint in enumerate(endpoints):
        agent = SimAgent(endpoint, profile=profile or AgentProfile(),
                         seed=None if seed is None else seed * 1_000_003 + i)
        sim.switch.carrier.behaviours.append(agent)
        agents.append(agent)
    return agents
