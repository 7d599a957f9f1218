"""The five strategies: which of the free, eligible agents gets the call.

    pick = STRATEGIES["fewest_calls"]
    agent = pick(candidates, caller, state)     # candidates: idle agents that serve the caller

Each strategy is a small function over the candidates (never empty); ties go to the agent idle
longest, then to the configuration order, so every choice is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from runtime.acd.model import Agent, Caller


@dataclass
class StrategyState:
    """What strategies remember between calls: round-robin turns per queue, who served whom."""

    history: Mapping[str, str]  # caller key -> endpoint that last served the caller
    turns: dict[str, int] = field(default_factory=dict)  # queue -> order of the agent offered last


Strategy = Callable[[Sequence[Agent], Caller, StrategyState], Agent]


def _idle_key(agent: Agent) -> tuple[float, int]:
    return (agent.idle_since, agent.order)


def longest_idle(candidates: Sequence[Agent], caller: Caller, state: StrategyState) -> Agent:
    """The agent idle the longest."""
    return min(candidates, key=_idle_key)


def round_robin(candidates: Sequence[Agent], caller: Caller, state: StrategyState) -> Agent:
    """The next agent in configuration order after the one this queue offered last."""
    last = state.turns.get(caller.queue, -1)
    span = 1 + max(a.order for a in candidates)
    span = max(span, last + 1)
    agent = min(candidates, key=lambda a: (a.order - last - 1) % span)
    state.turns[caller.queue] = agent.order
    return agent


def fewest_calls(candidates: Sequence[Agent], caller: Caller, state: StrategyState) -> Agent:
    """The agent with the fewest calls today."""
    return min(candidates, key=lambda a: (a.calls_today, *_idle_key(a)))


def skill_level(candidates: Sequence[Agent], caller: Caller, state: StrategyState) -> Agent:
    """The agent with the highest level in the skills the call needs (summed over them)."""
    def score(agent: Agent) -> tuple[int, float, int]:
        return (-sum(agent.level(name) for name, _ in caller.skills), *_idle_key(agent))
    return min(candidates, key=score)


def last_agent(candidates: Sequence[Agent], caller: Caller, state: StrategyState) -> Agent:
    """The agent who last served this caller, when free; otherwise the one idle longest."""
    previous = state.history.get(caller.key) if caller.key else None
    for agent in candidates:
        if agent.endpoint == previous:
            return agent
    return longest_idle(candidates, caller, state)


STRATEGIES: dict[str, Strategy] = {
    "longest_idle": longest_idle,
    "round_robin": round_robin,
    "fewest_calls": fewest_calls,
    "skill_level": skill_level,
    "last_agent": last_agent,
}
