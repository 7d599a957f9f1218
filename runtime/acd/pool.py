"""The agent pool: who is idle, ringing, busy, paused or in wrap-up. Shared by every queue (and by
outbound dialing: an agent reserved for an outbound call is not offered inbound calls).

    pool = AgentPool([Agent("PJSIP/1001", {"billing": 3}), Agent("PJSIP/1002", {"billing": 1})])
    pool.reserve("PJSIP/1002", "campaign-call-7", purpose="outbound", now=10.0)   # True: it was idle
    pool.release("PJSIP/1002", now=70.0)                                         # idle again
    pool.pause("PJSIP/1001", now=70.0, seconds=300)                              # a break
    pool.release_due(now=400.0)                                                  # pauses that ended

Times are passed in (`now`), so the pool is the same on virtual time (bench/acd) and real time.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from typing import Callable, Iterable

from runtime.acd.model import BUSY, IDLE, PAUSED, RINGING, WRAP_UP, Agent

Skills = tuple[tuple[str, int], ...]


class AgentPool:
    """Agents by endpoint, the idle set in a stable order, timed pauses and wrap-ups."""

    def __init__(self, agents: Iterable[Agent] = (), *, history_size: int = 10_000) -> None:
        self.agents: dict[str, Agent] = {}
        self.idle: dict[str, Agent] = {}
        self.history: OrderedDict[str, str] = OrderedDict()  # caller key -> endpoint that last served
        self.history_size = history_size
        self.watchers: list[Callable[[Agent], None]] = []  # told when an agent becomes idle
        self._due: list[tuple[float, str]] = []
        self._eligible: dict[tuple[str, Skills], frozenset[str]] = {}
        for agent in agents:
            self.add(agent)

    # ---------------------------------------------------------------- membership
    def add(self, agent: Agent) -> Agent:
        """Add (or replace) an agent; a new agent starts idle unless its state says otherwise."""
        agent.order = len(self.agents) if agent.endpoint not in self.agents else self.agents[agent.endpoint].order
        self.agents[agent.endpoint] = agent
        self.idle.pop(agent.endpoint, None)
        if agent.state == IDLE:
            self.idle[agent.endpoint] = agent
        self._eligible.clear()
        return agent

    def eligible(self, queue: str, skills: Skills) -> frozenset[str]:
        """Endpoints that may take a call of `queue` needing `skills` (cached)."""
        key = (queue, skills)
        found = self._eligible.get(key)
        if found is None:
            found = frozenset(ep for ep, a in self.agents.items() if a.serves(queue, skills))
            self._eligible[key] = found
        return found

    def staffed(self, endpoints: Iterable[str]) -> int:
        """How many of these agents are working (not paused)."""
        return sum(1 for ep in endpoints if self.agents[ep].state != PAUSED)

    # ---------------------------------------------------------------- state changes
    def offer(self, endpoint: str, call_id: str) -> None:
        """The queue rings the agent for a call."""
        agent = self._take(endpoint, RINGING)
        agent.call_id, agent.purpose = call_id, "queue"

    def connect(self, endpoint: str) -> None:
        """The ringing agent answered."""
        self.agents[endpoint].state = BUSY

    def reserve(self, endpoint: str, call_id: str, *, purpose: str, now: float) -> bool:
        """Take an idle agent for other work (e.g. an outbound call); False when it is not idle."""
        agent = self.agents.get(endpoint)
        if agent is None or agent.state != IDLE:
            return False
        self._take(endpoint, BUSY)
        agent.call_id, agent.purpose = call_id, purpose
        return True

    def release(self, endpoint: str, *, now: float, wrap_up: float = 0.0, served: bool = False,
                caller_key: str = "") -> None:
        """The agent's call is over (or never started): wrap-up, a requested pause, or idle."""
        agent = self.agents[endpoint]
        agent.call_id, agent.purpose = None, ""
        if served:
            agent.calls_today += 1
            if caller_key:
                self.remember(caller_key, endpoint)
        if agent.pause_requested:
            seconds, agent.pause_requested, agent.pause_after = agent.pause_after, False, None
            self._pause(agent, now, seconds)
        elif wrap_up > 0:
            agent.state, agent.until = WRAP_UP, now + wrap_up
            heapq.heappush(self._due, (agent.until, endpoint))
        else:
            self._make_idle(agent, now)

    def pause(self, endpoint: str, *, now: float, seconds: float | None = None) -> None:
        """Pause an agent (for `seconds`, or until unpause); a busy agent is paused when its call ends."""
        agent = self.agents[endpoint]
        if agent.state in (RINGING, BUSY):
            agent.pause_requested, agent.pause_after = True, seconds
            return
        self._pause(agent, now, seconds)

    def unpause(self, endpoint: str, *, now: float) -> None:
        """End a pause (or cancel a pause requested for after the call)."""
        agent = self.agents[endpoint]
        agent.pause_requested, agent.pause_after = False, None
        if agent.state == PAUSED:
            self._make_idle(agent, now)

    def release_due(self, now: float) -> list[Agent]:
        """End the timed pauses and wrap-ups due by `now`; the agents that became idle."""
        freed: list[Agent] = []
        while self._due and self._due[0][0] <= now:
            at, endpoint = heapq.heappop(self._due)
            agent = self.agents.get(endpoint)
            if agent is not None and agent.state in (PAUSED, WRAP_UP) and agent.until == at:
                self._make_idle(agent, now)
                freed.append(agent)
        return freed

    def next_due(self) -> float | None:
        """When the next timed pause or wrap-up ends."""
        while self._due:
            at, endpoint = self._due[0]
            agent = self.agents.get(endpoint)
            if agent is not None and agent.state in (PAUSED, WRAP_UP) and agent.until == at:
                return at
            heapq.heappop(self._due)
        return None

    def new_day(self) -> None:
        """Reset the calls-today counters (fewest_calls)."""
        for agent in self.agents.values():
            agent.calls_today = 0

    def remember(self, caller_key: str, endpoint: str) -> None:
        """`endpoint` served the caller with this key (last_agent); bounded, oldest forgotten."""
        self.history[caller_key] = endpoint
        self.history.move_to_end(caller_key)
        while len(self.history) > self.history_size:
            self.history.popitem(last=False)

    # ---------------------------------------------------------------- internals
    def _take(self, endpoint: str, state: str) -> Agent:
        agent = self.agents[endpoint]
        if agent.state != IDLE:
            raise ValueError(f"agent {endpoint} is {agent.state}, not idle")
        del self.idle[endpoint]
        agent.state = state
        return agent

    def _pause(self, agent: Agent, now: float, seconds: float | None) -> None:
        self.idle.pop(agent.endpoint, None)
        agent.state = PAUSED
        agent.until = None if seconds is None else now + seconds
        if agent.until is not None:
            heapq.heappush(self._due, (agent.until, agent.endpoint))

    def _make_idle(self, agent: Agent, now: float) -> None:
        agent.state, agent.until, agent.idle_since = IDLE, None, now
        self.idle[agent.endpoint] = agent
        for watcher in self.watchers:
            watcher(agent)
