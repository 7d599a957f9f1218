"""Erlang C: the M/M/c queue's waiting probability, service level and average speed of answer.

    erlang_c(agents=10, load=8.0)                      # P(wait) with 8 erlangs offered to 10 agents
    service_level(10, 8.0, handle=180.0, target=20.0)  # share answered within 20 s
    average_wait(10, 8.0, handle=180.0)                # ASA, seconds, over all calls

`load` is the offered traffic in erlangs (arrival rate × mean handling time). The waiting
probability uses the Erlang B recursion, stable for hundreds of agents.
"""

from __future__ import annotations

import math


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/c/c (the recursion B(k) = A·B(k-1) / (k + A·B(k-1)))."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load must be >= 0")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability that a call waits (all `agents` busy), M/M/c; needs load < agents."""
    if load >= agents:
        raise ValueError(f"load {load} erlangs needs more than {agents} agents for a steady state")
    if load == 0:
        return 0.0
    b = erlang_b(agents, load)
    rho = load / agents
    return b / (1.0 - rho * (1.0 - b))


def service_level(agents: int, load: float, handle: float, target: float) -> float:
    """Share of calls answered within `target` seconds: 1 − C·exp(−(c − A)·T / h)."""
    return 1.0 - erlang_c(agents, load) * math.exp(-(agents - load) * target / handle)


def average_wait(agents: int, load: float, handle: float) -> float:
    """Average speed of answer over all calls (waiting or not): C·h / (c − A)."""
    return erlang_c(agents, load) * handle / (agents - load)
