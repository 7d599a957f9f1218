"""The scheduling core: which contact to call now, on which number, and what happens after.

One implementation, pure (the caller passes `now`, epoch seconds), used by the live dialer over ARI
(`runtime/campaigns/dialer.py`) and by the discrete-event simulation (`simulate.py`, bench/dialer):

    core = CampaignCore(settings, states, agents=AgentPool.numbered(10), dnc=dnc)
    for dial in core.plan(now):                  # contacts now `dialing`; persist, then originate
        ...
    core.answered(dial.contact_id, now)          # -> "connect" | "abandon" (no agent free)
    core.ended(dial.contact_id, "busy", now)     # retry rule applied; the agent released
    core.take_changes()                          # the ContactStates to persist since last time

Rules kept here: calling windows in each contact's zone, the DNC list at dial time, retries per
disposition (delay, max) and `max_attempts`, at most one live call per contact, per-agent daily caps
(through the agent pool), calls per second and concurrent calls, and the pacing of the mode.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Iterable

from runtime.campaigns.agents import Agents
from runtime.campaigns.dnc import DncList
from runtime.campaigns.model import CampaignSettings, ContactState, Dial
from runtime.campaigns.pacing import Pacer
from runtime.campaigns.windows import CallingWindows

ROTATE_ON = frozenset({"no_answer", "unreachable", "failed"})  # the next attempt tries the next number
AGENTLESS_CONCURRENT = 10
MIN_RING = 5.0  # seconds: hardly anyone answers sooner; agents free by then count as free  # agentless campaigns without max_concurrent


@dataclass
class LiveCall:
    """A call the core placed and has not yet seen end."""

    contact_id: str
    number: str
    attempt: int
    dialed_at: float
    agent: str | None = None
    answered_at: float | None = None
    outcome: str | None = None  # connect | abandon | machine


class CampaignCore:
    """See the module docstring. Not thread-safe: one dialer loop owns it."""

    def __init__(self, settings: CampaignSettings, states: Iterable[ContactState], *,
                 agents: Agents | None = None, dnc: DncList | None = None) -> None:
        self.settings = settings
        self.windows = CallingWindows(settings.windows, settings.days)
        self.agents, self.dnc = agents, dnc if dnc is not None else DncList()
        if settings.mode != "agentless" and agents is None:
            raise ValueError(f"a {settings.mode} campaign needs agents")
        self.pacer = Pacer(settings.mode if settings.mode != "agentless" else "progressive",
                           settings.max_abandon_rate)
        self.states = {s.contact.id: s for s in states}
        self.live: dict[str, LiveCall] = {}
        self.counts: dict[str, int] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._changes: dict[str, ContactState] = {}
        self._tokens, self._tokens_at = 1.0, None
        for s in self.states.values():
            if s.status == "pending":
                self._push(s)

    # ---- queue -------------------------------------------------------------------------
    def _push(self, s: ContactState) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (s.next_at, self._seq, s.contact.id))

    def _changed(self, s: ContactState) -> None:
        self._changes[s.contact.id] = s

    def take_changes(self) -> list[ContactState]:
        out = list(self._changes.values())
        self._changes.clear()
        return out

    # ---- planning ----------------------------------------------------------------------
    def capacity(self, now: float) -> int:
        """How many calls the mode, the rate cap and the concurrency cap allow now."""
        st = self.settings
        if st.mode == "agentless":
            want = (st.max_concurrent or AGENTLESS_CONCURRENT) - len(self.live)
        else:
            assert self.agents is not None
            ringing = sum(1 for c in self.live.values() if c.answered_at is None and c.agent is None)
            soon = getattr(self.agents, "ready_within", None)
            ready = soon(now, self.settings.connect_grace + MIN_RING) if soon is not None else 0
            want = self.pacer.calls_to_place(self.agents.free(now), self.agents.busy(now) - ready, ringing, ready)
        if st.max_concurrent is not None:
            want = min(want, st.max_concurrent - len(self.live))
        if st.calls_per_second:
            rate = st.calls_per_second
            if self._tokens_at is not None:
                self._tokens = min(max(1.0, rate), self._tokens + (now - self._tokens_at) * rate)
            self._tokens_at = now
            want = min(want, int(self._tokens))
        return max(0, want)

    def plan(self, now: float) -> list[Dial]:
        """The calls to place now; each contact returned is `dialing` until `ended()`."""
        out: list[Dial] = []
        room = self.capacity(now)
        while room > 0 and self._heap and self._heap[0][0] <= now:
            _, _, cid = heapq.heappop(self._heap)
            s = self.states[cid]
            if s.status != "pending" or s.next_at > now or cid in self.live:
                continue  # a stale heap entry
            opens = self.windows.next_open(now, s.contact.timezone)
            if opens > now:
                s.next_at = opens
                self._push(s)
                self._changed(s)
                continue
            number = self._number(s)
            if number is None:
                continue
            agent = None
            if self.settings.mode == "preview":
                agent = self.agents.reserve(now)  # type: ignore[union-attr]
                if agent is None:
                    self._push(s)
                    break
            out.append(self._start(s, number, now, agent))
            room -= 1
        if self.settings.calls_per_second:
            self._tokens -= len(out)
        return out

    def _number(self, s: ContactState) -> str | None:
        """The next number to try that is not on the DNC list; none left → the contact is final."""
        numbers = s.contact.numbers
        for k in range(len(numbers)):
            i = (s.next_number + k) % len(numbers)
            if not self.dnc.blocked(numbers[i]):
                s.next_number = i
                return numbers[i]
        s.status = "dnc" if numbers else "no_number"
        s.last_disposition = s.status
        self._count(s.status)
        self._changed(s)
        return None

    def _start(self, s: ContactState, number: str, now: float, agent: str | None) -> Dial:
        s.status, s.attempts = "dialing", s.attempts + 1
        self.live[s.contact.id] = LiveCall(s.contact.id, number, s.attempts, now, agent)
        self._count("dialed")
        self._changed(s)
        return Dial(s.contact.id, number, s.attempts, agent)

    def next_due(self) -> float | None:
        """The earliest `next_at` of a pending contact (None: nothing left to dial)."""
        while self._heap:
            at, _, cid = self._heap[0]
            s = self.states[cid]
            if s.status == "pending" and s.next_at == at:
                return at
            heapq.heappop(self._heap)
        return None

    # ---- outcomes ----------------------------------------------------------------------
    def answered(self, contact_id: str, now: float, *, machine: bool = False) -> str:
        """A call was answered: `connect` (run the flow / agent), `abandon` (no agent) or `machine`."""
        call = self.live[contact_id]
        call.answered_at = now
        if machine:
            call.outcome = "machine"
        elif self.settings.mode in ("agentless", "preview"):
            call.outcome = "connect"
        else:
            # a person who gets an agent within the grace (2 s: the legal "two-second rule") is
            # connected, not abandoned: an agent finishing wrap-up that soon takes the call
            call.agent = self.agents.reserve(now, self.settings.connect_grace)  # type: ignore[union-attr]
            call.outcome = "connect" if call.agent is not None else "abandon"
        if call.outcome != "machine":
            self.pacer.answered(call.outcome == "abandon", now - call.dialed_at)
        return call.outcome

    def ended(self, contact_id: str, disposition: str, now: float) -> ContactState:
        """The call is over (the channel is gone): release its agent, apply the retry rules."""
        call = self.live.pop(contact_id)
        if call.outcome == "machine":
            disposition = "machine"
        elif call.outcome == "abandon":
            disposition = "abandoned"
        elif call.outcome == "connect" and disposition != "unknown":
            disposition = "answered"
        if call.agent is not None:
            if call.answered_at is not None:
                self.pacer.handled(now - call.answered_at)
            self.agents.release(call.agent, now)  # type: ignore[union-attr]
        self.pacer.attempt_ended(disposition in ("answered", "abandoned"))
        s = self.states[contact_id]
        self.apply(s, disposition, now)
        return s

    def cancel(self, contact_id: str, now: float, delay: float = 0.0) -> ContactState:
        """A call the dialer itself hung up before anyone answered (stop, Ctrl-C), or a preview the
        agent skipped: the attempt does not count, and the contact is due again after `delay`."""
        call = self.live.pop(contact_id)
        if call.agent is not None:
            self.agents.release(call.agent, now)  # type: ignore[union-attr]
        s = self.states[contact_id]
        s.attempts = max(0, s.attempts - 1)
        s.status, s.next_at = "pending", now + delay
        self._push(s)
        self._changed(s)
        return s

    def apply(self, s: ContactState, disposition: str, now: float) -> None:
        """Retry rules: pending again after the rule's delay, or final (done / exhausted)."""
        st = self.settings
        s.last_disposition = disposition
        self._count(disposition)
        rule = st.retries.get(disposition)
        out_of_attempts = st.max_attempts is not None and s.attempts >= st.max_attempts
        if disposition == "answered":
            s.status = "done"
        elif disposition == "unknown" and not out_of_attempts:
            s.status, s.next_at = "pending", now + st.unknown_delay
        elif rule is None or out_of_attempts or s.counts.get(disposition, 0) >= rule.max:
            s.status = "exhausted"
        else:
            s.counts[disposition] = s.counts.get(disposition, 0) + 1
            s.status, s.next_at = "pending", now + rule.delay
            if disposition in ROTATE_ON:
                s.next_number = (s.next_number + 1) % len(s.contact.numbers)
        if s.status == "pending":
            self._push(s)
        else:
            self._count(s.status)
        self._changed(s)

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    # ---- figures -----------------------------------------------------------------------
    def finished(self) -> bool:
        return not self.live and self.next_due() is None

    def remaining(self) -> int:
        return sum(1 for s in self.states.values() if not s.final)
