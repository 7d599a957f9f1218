"""A discrete-event simulation of a campaign on virtual time, through the real scheduling core.

    result = simulate(settings, contacts, SimParams(agents=40, seed=7))
    result.figures()   # dialed, answered, abandoned, occupancy, handled per agent-hour, ...

The far ends are the simulator's statistical carrier (`runtime.simulator.carrier.CarrierMix`: the
same outcome probabilities and ring times as the embedded ARI simulator); agents are the core's
`AgentPool`; talk times are lognormal. No sockets and no sleeping: a 10 000-contact campaign of
several simulated hours runs in seconds, which is what bench/dialer and the pacing tests use.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Iterable

from runtime.campaigns.agents import AgentPool
from runtime.campaigns.core import CampaignCore
from runtime.campaigns.dnc import DncList
from runtime.campaigns.model import CampaignSettings, Contact, ContactState
from runtime.simulator.carrier import CarrierMix

OUTCOME_DISPOSITION = {"busy": "busy", "noanswer": "no_answer", "unreachable": "unreachable"}


@dataclass
class SimParams:
    """The simulated world: agents, talk and wrap-up times, the carrier, machine detection."""

    agents: int = 20
    talk_mean: float = 120.0  # seconds, lognormal
    talk_sigma: float = 0.6
    wrap_up: float = 15.0
    amd_seconds: float = 3.5  # answering-machine detection after the answer
    abandon_seconds: float = 2.0  # the abandoned callee hears the message, then the line drops
    unreachable_seconds: float = 2.0
    tick: float = 1.0  # the dialer re-plans at least this often (virtual seconds)
    start: float = 1_790_000_000.0  # epoch seconds
    seed: int = 1
    mix: CarrierMix = field(default_factory=CarrierMix)
    max_hours: float = 72.0  # stop after this long even if contacts remain
    shift_hours: float | None = None  # measure one agent shift: stop dialing when it ends


@dataclass
class SimResult:
    """What happened: the core's counters and agent time, over `elapsed` virtual seconds."""

    mode: str
    agents: int
    elapsed: float
    busy_seconds: float
    counts: dict[str, int]
    abandon_rate: float
    remaining: int

    def figures(self) -> dict[str, float | int | str]:
        hours = self.agents * self.elapsed / 3600 if self.elapsed else 0.0
        handled = self.counts.get("answered", 0)
        return {"mode": self.mode, "agents": self.agents, "hours": round(self.elapsed / 3600, 2),
                "dialed": self.counts.get("dialed", 0), "handled": handled,
                "abandoned": self.counts.get("abandoned", 0),
                "abandon_rate": round(self.abandon_rate, 4),
                "occupancy": round(self.busy_seconds / (self.agents * self.elapsed), 4) if self.elapsed else 0.0,
                "handled_per_agent_hour": round(handled / hours, 2) if hours else 0.0,
                "remaining": self.remaining}


def simulate(settings: CampaignSettings, contacts: Iterable[Contact], params: SimParams,
             dnc: DncList | None = None) -> SimResult:
    """Run the campaign until every contact is final (or `max_hours`); see the module docstring."""
    mix = CarrierMix(**{k: getattr(params.mix, k) for k in params.mix.__dataclass_fields__
                        if k != "rng"} | {"seed": params.seed})
    talk_rng = random.Random(params.seed + 1)
    mu = math.log(params.talk_mean) - params.talk_sigma ** 2 / 2
    pool = AgentPool.numbered(params.agents, daily_cap=settings.agent_daily_cap, wrap_up=params.wrap_up,
                              timezone=settings.default_timezone)
    core = CampaignCore(settings, [ContactState(c) for c in contacts],
                        agents=None if settings.mode == "agentless" else pool, dnc=dnc)
    events: list[tuple[float, int, str, str, str]] = []
    seq = 0

    def at(t: float, kind: str, cid: str, data: str = "") -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, cid, data))

    now, last_end = params.start, params.start
    hours = params.shift_hours if params.shift_hours is not None else params.max_hours
    limit = params.start + hours * 3600
    while now < limit:
        for dial in core.plan(now):
            _schedule(at, now, dial.contact_id, mix, settings, params)
        if core.finished():
            break
        nxt = now + params.tick
        if events:
            nxt = min(nxt, events[0][0])
        elif not core.live:
            due = core.next_due()
            if due is not None and due > nxt:
                nxt = due  # nothing live: jump over the idle time to the next due contact
        now = nxt
        while events and events[0][0] <= now:
            t, _, kind, cid, data = heapq.heappop(events)
            if kind == "answer":
                outcome = core.answered(cid, t, machine=data == "machine")
                hold = {"connect": talk_rng.lognormvariate(mu, params.talk_sigma),
                        "abandon": params.abandon_seconds, "machine": 0.0}[outcome]
                at(t + hold, "end", cid, "answered")
            else:
                core.ended(cid, data, t)
                last_end = t
    end = min(max(last_end, now), limit)
    elapsed = end - params.start
    busy = pool.busy_seconds_at(end) if settings.mode != "agentless" else 0.0
    return SimResult(settings.mode, params.agents, elapsed, busy, dict(core.counts),
                     core.pacer.abandon_rate, core.remaining())


def _schedule(at, now: float, cid: str, mix: CarrierMix, settings: CampaignSettings,
              params: SimParams) -> None:
    """Draw the far end's behaviour for one dial and schedule its answer or its end."""
    outcome, ring, _ = mix.draw()
    timeout = settings.ring_timeout
    if outcome == "unreachable":
        at(now + params.unreachable_seconds, "end", cid, "unreachable")
    elif outcome == "noanswer" or ring >= timeout:
        at(now + timeout, "end", cid, "no_answer")
    elif outcome == "busy":
        at(now + ring, "end", cid, "busy")
    elif outcome == "machine":
        at(now + ring + params.amd_seconds, "answer", cid, "machine")
    else:
        at(now + ring, "answer", cid, "human")
