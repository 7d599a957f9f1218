"""The ACD core: callers in line, agents offered calls, timed verdicts. Pure: no I/O, clock injected.

    acd = Acd(pool, clock=lambda: t)
    acd.enter(Caller("c1", "billing", skills=(("billing", 2),), priority=0, max_wait=240))
    for action in acd.poll():          # Ring / StopRinging / Overflow / OfferCallback / Announce
        ...                            # the edge carries them out (ARI, or bench/acd's event loop)
    acd.answered("c1")                 # the agent picked up
    acd.finished("c1")                 # the conversation is over: wrap-up, then idle

Callers wait ordered by priority (higher first), then arrival; an agent can take a call when idle
and eligible (skills at the levels asked, or listed under the queue). `poll()` first carries out what
is due (ring timeouts pause the agent and put the caller back in line at the same place; max wait
overflows; callback offers; announcements; ended pauses and wrap-ups), then offers waiting callers
to free agents by each queue's strategy. `next_deadline()` says when to poll again without an event.
The runtime's QueueManager (runtime/queues.py) and the benchmark (bench/acd) both drive this class.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections import Counter, deque
from typing import Callable

from runtime.acd.model import (CONNECTED, OFFERED, WAITING, AcdSettings, Action, Announce,
                               Caller, OfferCallback, Overflow, Ring, StopRinging)
from runtime.acd.pool import AgentPool
from runtime.acd.strategies import STRATEGIES, StrategyState

_RING, _MAX_WAIT, _CALLBACK, _ANNOUNCE, _RETRY = range(5)


class Acd:
    """Queues of callers over a shared AgentPool; see the module docstring."""

    def __init__(self, pool: AgentPool, clock: Callable[[], float], settings: AcdSettings | None = None) -> None:
        self.pool, self.clock = pool, clock
        self.settings = settings or AcdSettings()
        self.callers: dict[str, Caller] = {}
        self.line: list[tuple[float, int, str]] = []  # (-priority, seq, call id) of callers not connected
        self.handle_times: deque[float] = deque(maxlen=self.settings.handle_samples)
        self.strategy_state = StrategyState(pool.history)
        self._deadlines: list[tuple[float, int, int, str, int]] = []  # (at, seq, kind, call id, token)
        self._seq = itertools.count()
        self._queues: Counter[str] = Counter()  # callers in line per queue

    # ---------------------------------------------------------------- callers
    def enter(self, caller: Caller) -> int:
        """A caller joins its queue; returns the place in line (1 = next)."""
        if caller.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {caller.strategy!r}; one of {sorted(STRATEGIES)}")
        if caller.call_id in self.callers:
            raise ValueError(f"call {caller.call_id} is already in a queue")
        now = self.clock()
        caller.arrived, caller.seq, caller.state = now, next(self._seq), WAITING
        self.callers[caller.call_id] = caller
        bisect.insort(self.line, (-caller.priority, caller.seq, caller.call_id))
        self._queues[caller.queue] += 1
        if caller.max_wait is not None:
            self._at(now + caller.max_wait, _MAX_WAIT, caller.call_id)
        if caller.callback_after is not None:
            self._at(now + caller.callback_after, _CALLBACK, caller.call_id)
        if caller.announce_every > 0:
            self._at(now + caller.announce_every, _ANNOUNCE, caller.call_id)
        return self.position(caller.call_id)

    def has_agents(self, queue: str, skills: tuple[tuple[str, int], ...]) -> bool:
        """Whether any configured agent could ever take this queue's calls."""
        return bool(self.pool.eligible(queue, skills))

    def answered(self, call_id: str) -> float:
        """The ringing agent answered: the caller is connected. Returns the seconds waited."""
        caller = self.callers[call_id]
        if caller.state != OFFERED or caller.agent is None:
            raise ValueError(f"call {call_id} is not ringing an agent")
        now = self.clock()
        self._unline(caller)
        caller.state, caller.answered_at = CONNECTED, now
        self.pool.connect(caller.agent)
        return now - caller.arrived

    def declined(self, call_id: str, *, pause: bool | None = None) -> str | None:
        """The offered agent did not take the call (no answer, busy, unreachable): the agent is paused
        (per settings, or `pause`), the caller waits on at the same place. Returns the agent."""
        caller = self.callers.get(call_id)
        if caller is None or caller.state != OFFERED or caller.agent is None:
            return None
        endpoint, now = caller.agent, self.clock()
        caller.state, caller.agent = WAITING, None
        caller.ring_serial += 1
        if not self._release_unserved(endpoint, now, pause):
            caller.tried.add(endpoint)  # not paused: the others first (again after retry_pause)
        return endpoint

    def finished(self, call_id: str) -> float:
        """The conversation ended (either side hung up): the agent goes to wrap-up. Returns talk time."""
        caller = self.callers.get(call_id)
        if caller is None or caller.state != CONNECTED or caller.agent is None or caller.answered_at is None:
            raise ValueError(f"call {call_id} is not connected to an agent")
        del self.callers[call_id]
        now = self.clock()
        talk = now - caller.answered_at
        self.handle_times.append(talk)
        self.pool.release(caller.agent, now=now, wrap_up=self.settings.wrap_up, served=True,
                          caller_key=caller.key)
        return talk

    def leave(self, call_id: str) -> Caller | None:
        """The caller leaves without an agent (hung up, gave up, accepted a callback, overflowed);
        a ringing agent becomes idle (not paused). Connected callers end with `finished` instead."""
        caller = self.callers.get(call_id)
        if caller is None or caller.state == CONNECTED:
            return None
        position = self.position(call_id)
        del self.callers[call_id]
        self._unline(caller)
        if caller.state == OFFERED and caller.agent is not None:
            self.pool.release(caller.agent, now=self.clock())
        caller.left_position = position
        return caller

    def accept_callback(self, call_id: str) -> int | None:
        """The caller accepted the callback offer: leaves the line; returns the place kept."""
        caller = self.leave(call_id)
        return None if caller is None else caller.left_position

    # ---------------------------------------------------------------- views
    def position(self, call_id: str) -> int:
        """Place in its queue's line (1 = next); 0 once connected."""
        caller = self.callers[call_id]
        if caller.state == CONNECTED:
            return 0
        mine = (-caller.priority, caller.seq, call_id)
        if self._queues[caller.queue] == len(self.line):  # one queue in line: the index is the place
            return bisect.bisect_left(self.line, mine) + 1
        ahead = 0
        for entry in self.line:
            if entry >= mine:
                break
            if self.callers[entry[2]].queue == caller.queue:
                ahead += 1
        return ahead + 1

    def estimated_wait(self, call_id: str) -> float:
        """Seconds until an agent is likely free for this caller: place in line × recent average
        handling time ÷ working eligible agents (0 when one is idle and the caller is next)."""
        caller = self.callers[call_id]
        if caller.state == CONNECTED:
            return 0.0
        eligible = self.pool.eligible(caller.queue, caller.skills)
        position = self.position(call_id)
        if position == 1 and any(ep in self.pool.idle for ep in eligible):
            return 0.0
        working = self.pool.staffed(eligible)
        if working == 0:
            return float("inf")
        return position * self.average_handle_time() / working

    def average_handle_time(self) -> float:
        """The mean of recent conversations (the default before any ended)."""
        times = self.handle_times
        return sum(times) / len(times) if times else self.settings.default_handle_time

    # ---------------------------------------------------------------- time and dispatch
    def poll(self) -> list[Action]:
        """Carry out what is due, then offer waiting callers to free agents; the actions to take."""
        now = self.clock()
        actions: list[Action] = []
        self.pool.release_due(now)
        heap = self._deadlines
        while heap and heap[0][0] <= now:
            _, _, kind, call_id, token = heapq.heappop(heap)
            caller = self.callers.get(call_id)
            if caller is not None:
                self._due(kind, caller, token, now, actions)
        self._dispatch(now, actions)
        return actions

    def next_deadline(self) -> float | None:
        """The next moment poll() has work without any new event (None: nothing scheduled)."""
        heap = self._deadlines
        while heap and not self._live(heap[0]):
            heapq.heappop(heap)
        mine = heap[0][0] if heap else None
        theirs = self.pool.next_due()
        return min((t for t in (mine, theirs) if t is not None), default=None)

    def _dispatch(self, now: float, actions: list[Action]) -> None:
        idle = self.pool.idle
        if not idle or not self.line:
            return
        for _, _, call_id in self.line:  # (offers leave the line as it is)
            caller = self.callers[call_id]
            if caller.state != WAITING:
                continue
            eligible = self.pool.eligible(caller.queue, caller.skills)
            candidates = [a for ep, a in idle.items() if ep in eligible and ep not in caller.tried]
            if not candidates:
                self._maybe_retry(caller, eligible, now)
                continue
            agent = STRATEGIES[caller.strategy](candidates, caller, self.strategy_state)
            self.pool.offer(agent.endpoint, call_id)
            caller.state, caller.agent = OFFERED, agent.endpoint
            caller.ring_serial += 1
            self._at(now + caller.agent_timeout, _RING, call_id, caller.ring_serial)
            actions.append(Ring(call_id, agent.endpoint, caller.agent_timeout))
            if not idle:
                return

    def _maybe_retry(self, caller: Caller, eligible: frozenset[str], now: float) -> None:
        """Every eligible idle agent was tried for this caller: try them again after retry_pause."""
        if caller.tried and caller.retry_at is None and any(ep in self.pool.idle for ep in eligible):
            caller.retry_at = now + self.settings.retry_pause
            self._at(caller.retry_at, _RETRY, caller.call_id)

    def _due(self, kind: int, caller: Caller, token: int, now: float, actions: list[Action]) -> None:
        if kind == _RING and caller.state == OFFERED and caller.ring_serial == token:
            endpoint = caller.agent or ""
            self.declined(caller.call_id)
            actions.append(StopRinging(caller.call_id, endpoint))
        elif kind == _MAX_WAIT and caller.state != CONNECTED:
            ringing = caller.agent if caller.state == OFFERED else None
            self.leave(caller.call_id)
            actions.append(Overflow(caller.call_id, now - caller.arrived, ringing))
        elif kind == _CALLBACK and caller.state != CONNECTED and not caller.offered_callback:
            caller.offered_callback = True
            actions.append(OfferCallback(caller.call_id, self.position(caller.call_id)))
        elif kind == _ANNOUNCE and caller.state != CONNECTED:
            actions.append(Announce(caller.call_id, self.position(caller.call_id),
                                    self.estimated_wait(caller.call_id)))
            self._at(now + caller.announce_every, _ANNOUNCE, caller.call_id)
        elif kind == _RETRY and caller.state != CONNECTED:
            caller.tried.clear()
            caller.retry_at = None

    def _live(self, entry: tuple[float, int, int, str, int]) -> bool:
        _, _, kind, call_id, token = entry
        caller = self.callers.get(call_id)
        if caller is None or caller.state == CONNECTED:
            return False
        if kind == _RING:
            return caller.state == OFFERED and caller.ring_serial == token
        return not (kind == _CALLBACK and caller.offered_callback)

    def _at(self, at: float, kind: int, call_id: str, token: int = 0) -> None:
        heapq.heappush(self._deadlines, (at, next(self._seq), kind, call_id, token))

    def _unline(self, caller: Caller) -> None:
        entry = (-caller.priority, caller.seq, caller.call_id)
        i = bisect.bisect_left(self.line, entry)
        if i < len(self.line) and self.line[i] == entry:
            del self.line[i]
            self._queues[caller.queue] -= 1

    def _release_unserved(self, endpoint: str, now: float, pause: bool | None) -> bool:
        """Free an agent who did not take a call; True when it was paused for a while (or until
        unpaused), so that it may be offered the same caller again once back."""
        settings = self.settings
        pausing = settings.pause_on_no_answer if pause is None else pause
        if pausing:
            self.pool.pause(endpoint, now=now, seconds=settings.no_answer_pause)  # applied at release
        self.pool.release(endpoint, now=now)
        return bool(pausing) and (settings.no_answer_pause is None or settings.no_answer_pause > 0)
