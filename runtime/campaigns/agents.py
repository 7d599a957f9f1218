"""The dialer's view of its agents, behind a narrow interface so it can later be the ACD's pool.

    pool = AgentPool(["a1", "a2"], daily_cap=80, wrap_up=15.0)
    pool.free(now)                 # agents idle now (and under their daily cap)
    agent = pool.reserve(now)      # the longest-idle free agent, or None
    pool.release(agent, now)       # the call ended; the agent wraps up for `wrap_up` s, then is free

`Agents` is the protocol the scheduling core uses; `AgentPool` is the small in-process model
(`runtime/acd/` can provide another implementation). Caps count the calls an agent took on the
pool's current day (the day is the date of `now` in `timezone`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Protocol

from runtime.campaigns.windows import zone


class Agents(Protocol):
    """What the core needs: how many agents are free, soon free or busy; reserve and release."""

    def free(self, now: float) -> int: ...
    def busy(self, now: float) -> int: ...
    def reserve(self, now: float, within: float = 0.0) -> str | None: ...
    def release(self, agent: str, now: float) -> None: ...


@dataclass
class _Agent:
    name: str
    state: str = "idle"  # idle | busy
    ready_at: float = 0.0  # idle from this moment (after wrap-up)
    calls_today: int = 0
    day: str = ""


class AgentPool:
    """A fixed set of agents: idle or busy, wrap-up after each call, an optional daily call cap."""

    def __init__(self, names: Iterable[str], *, daily_cap: int | None = None, wrap_up: float = 0.0,
                 timezone: str = "UTC") -> None:
        self._agents = {n: _Agent(n) for n in names}
        self.daily_cap, self.wrap_up, self.timezone = daily_cap, wrap_up, timezone
        self.busy_seconds = 0.0
        self._since: dict[str, float] = {}

    @classmethod
    def numbered(cls, count: int, **options) -> "AgentPool":
        return cls([f"agent-{i}" for i in range(1, count + 1)], **options)

    def __len__(self) -> int:
        return len(self._agents)

    def _day(self, now: float) -> str:
        return datetime.fromtimestamp(now, zone(self.timezone)).date().isoformat()

    def _available(self, a: _Agent, now: float, day: str) -> bool:
        if a.state != "idle" or a.ready_at > now:
            return False
        return self.daily_cap is None or (a.calls_today if a.day == day else 0) < self.daily_cap

    def free(self, now: float) -> int:
        day = self._day(now)
        return sum(1 for a in self._agents.values() if self._available(a, now, day))

    def busy(self, now: float) -> int:
        return sum(1 for a in self._agents.values() if a.state == "busy" or a.ready_at > now)

    def ready_within(self, now: float, horizon: float) -> int:
        """Agents wrapping up who will be free within `horizon` seconds (and are under their cap)."""
        day = self._day(now)
        return sum(1 for a in self._agents.values() if now < a.ready_at <= now + horizon
                   and a.state == "idle" and self._available(a, a.ready_at, day))

    def capped(self, now: float) -> int:
        """Agents who reached their daily cap (they take no more calls today)."""
        day = self._day(now)
        cap = self.daily_cap
        return 0 if cap is None else sum(1 for a in self._agents.values() if a.day == day and a.calls_today >= cap)

    def next_ready(self, now: float) -> float | None:
        """When the next wrapping-up agent becomes free (None: nobody is wrapping up)."""
        times = [a.ready_at for a in self._agents.values() if a.state == "idle" and a.ready_at > now]
        return min(times, default=None)

    def reserve(self, now: float, within: float = 0.0) -> str | None:
        """Take the longest-idle agent free now, or else the first one free within `within`
        seconds (still wrapping up); busy until release, one call counted against the cap."""
        day = self._day(now)
        free = [a for a in self._agents.values() if self._available(a, now + within, day)]
        if not free:
            return None
        agent = min(free, key=lambda a: (a.ready_at, a.name))
        if agent.day != day:
            agent.day, agent.calls_today = day, 0
        agent.state, agent.calls_today = "busy", agent.calls_today + 1
        self._since[agent.name] = max(now, agent.ready_at)
        return agent.name

    def release(self, agent: str, now: float) -> None:
        """The agent's call is over: free again after the wrap-up."""
        a = self._agents[agent]
        if a.state != "busy":
            return
        self.busy_seconds += now - self._since.pop(agent, now) + self.wrap_up
        a.state, a.ready_at = "idle", now + self.wrap_up

    def busy_seconds_at(self, now: float) -> float:
        """Agent-seconds spent on calls and wrap-up so far, counting calls still in progress."""
        live = sum(now - since for since in self._since.values())
        wrapping = sum(a.ready_at - now for a in self._agents.values() if a.state == "idle" and a.ready_at > now)
        return self.busy_seconds + live - wrapping

    def calls_today(self, agent: str) -> int:
        return self._agents[agent].calls_today
