"""Simulated agents in the embedded simulator: seeded draws of outcome, ring and handling time."""

from __future__ import annotations

import random
import statistics

import pytest

from runtime.simulator.agents import AgentProfile, SimAgent, agent_endpoints


def draws(profile: AgentProfile, n: int, seed: int = 1):
    agent = SimAgent("PJSIP/agent-1", profile=profile, seed=seed)
    return agent, [agent.drawn() for _ in range(n)]


def test_exponential_handling_times_have_the_mean_asked_and_the_spread_of_an_exponential():
    _, calls = draws(AgentProfile(handle=120.0, ring=(1.0, 3.0)), 4000)
    talks = [c.hangup_after for c in calls]
    assert statistics.fmean(talks) == pytest.approx(120.0, rel=0.06)
    assert statistics.pstdev(talks) == pytest.approx(120.0, rel=0.1)  # exponential: sd = mean
    assert all(c.outcome == "answer" and 1.0 <= c.ring_seconds <= 3.0 for c in calls)


def test_fixed_and_lognormal_handling_times():
    rng = random.Random(2)
    assert AgentProfile(handle=90, handle_dist="fixed").draw_handle(rng) == 90
    logn = [AgentProfile(handle=90, handle_dist="lognormal").draw_handle(rng) for _ in range(4000)]
    assert statistics.fmean(logn) == pytest.approx(90, rel=0.06) and min(logn) > 0


def test_no_answer_and_busy_by_probability_and_the_same_seed_repeats():
    agent, calls = draws(AgentProfile(no_answer=0.2, busy=0.1), 3000, seed=4)
    share = {k: sum(c.outcome == k for c in calls) / len(calls) for k in ("answer", "noanswer", "busy")}
    assert share["noanswer"] == pytest.approx(0.2, abs=0.03) and share["busy"] == pytest.approx(0.1, abs=0.03)
    assert (agent.offered, agent.answered) == (3000, sum(c.outcome == "answer" for c in calls))
    _, again = draws(AgentProfile(no_answer=0.2, busy=0.1), 3000, seed=4)
    assert [(c.outcome, c.ring_seconds) for c in calls] == [(c.outcome, c.ring_seconds) for c in again]


def test_profiles_reject_nonsense():
    with pytest.raises(ValueError, match="handle_dist"):
        AgentProfile(handle_dist="gamma")
    with pytest.raises(ValueError, match="probabilities"):
        AgentProfile(no_answer=0.8, busy=0.3)
    assert agent_endpoints(2) == ["PJSIP/agent-1", "PJSIP/agent-2"]
