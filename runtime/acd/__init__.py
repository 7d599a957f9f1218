"""Automatic call distribution, I/O-free: the agent pool, callers in line, strategies, Erlang C.

    from runtime.acd import Acd, Agent, AgentPool, Caller
    pool = AgentPool([Agent("PJSIP/1001", {"billing": 3})])
    acd = Acd(pool, clock=my_clock.now)
    acd.enter(Caller("call-1", "billing_queue", skills=(("billing", 2),)))
    acd.poll()   # [Ring("call-1", "PJSIP/1001", 15.0)]

Driven by runtime/queues.py over ARI and by bench/acd on virtual time; see docs/runtime.md.
"""

from runtime.acd.core import Acd
from runtime.acd.model import (AGENT_STATES, STRATEGIES, AcdSettings, Action, Agent, Announce, Caller,
                               OfferCallback, Overflow, Ring, StopRinging)
from runtime.acd.pool import AgentPool

__all__ = ["AGENT_STATES", "STRATEGIES", "Acd", "AcdSettings", "Action", "Agent", "AgentPool", "Announce",
           "Caller", "OfferCallback", "Overflow", "Ring", "StopRinging"]
