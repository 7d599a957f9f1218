"""Pacing on the discrete-event simulation (virtual time, the real core): the predictive dialer
keeps abandoned calls under the cap and keeps agents busier than progressive dialing."""

from __future__ import annotations

import time

from runtime.campaigns import CampaignSettings, Contact, Pacer, RetryRule
from runtime.campaigns.pacing import max_in_flight
from runtime.campaigns.simulate import SimParams, simulate
from runtime.simulator.carrier import CarrierMix

RETRIES = {"busy": RetryRule(600, 2), "no_answer": RetryRule(1800, 2), "abandoned": RetryRule(900, 1)}
MIX = CarrierMix(answer=0.22, machine=0.10, busy=0.10, noanswer=0.46, unreachable=0.12)


def contacts(n: int) -> list[Contact]:
    return [Contact(f"c{i}", "", (f"+86138{i:08d}",), "Asia/Shanghai") for i in range(n)]


def run(mode: str, *, cap: float = 0.03, agents: int = 20, seed: int = 5):
    settings = CampaignSettings("p", mode=mode, max_abandon_rate=cap, retries=RETRIES, max_attempts=4)
    params = SimParams(agents=agents, seed=seed, mix=MIX, talk_mean=100, wrap_up=20, shift_hours=2)
    return simulate(settings, contacts(3000), params).figures()


def test_predictive_stays_under_the_abandon_cap_and_beats_progressive():
    started = time.perf_counter()
    progressive, predictive = run("progressive"), run("predictive")
    assert progressive["abandoned"] == 0  # one call per free agent never strands a person
    assert predictive["abandon_rate"] <= 0.03
    assert predictive["abandoned"] > 0  # it does dial ahead of the agents
    assert predictive["occupancy"] > progressive["occupancy"] + 0.1
    assert predictive["handled_per_agent_hour"] > 1.25 * progressive["handled_per_agent_hour"]
    assert time.perf_counter() - started < 15


def test_a_lower_cap_means_fewer_abandons():
    strict = run("predictive", cap=0.01)
    assert strict["abandon_rate"] <= 0.01


def test_max_in_flight_grows_with_agents_and_shrinks_with_the_answer_rate():
    assert max_in_flight(0.0, 0.3, 0.015) == 0
    assert max_in_flight(1.0, 1.0, 0.015) == 1  # everyone answers: one call per agent
    few, many = max_in_flight(2.0, 0.3, 0.015), max_in_flight(20.0, 0.3, 0.015)
    assert 2 <= few < many and many / 20.0 > few / 2.0  # pooling: more agents, higher ratio
    assert max_in_flight(20.0, 0.2, 0.015) > many


def test_the_gain_falls_when_abandons_exceed_the_target():
    pacer = Pacer("predictive", 0.03, warmup=0)
    before = pacer.gain
    for _ in range(5):
        pacer.answered(abandoned=True)
    assert pacer.gain < before
    low = pacer.gain
    for _ in range(1000):
        pacer.answered(abandoned=False)
    assert pacer.gain > low
    assert Pacer("progressive").calls_to_place(free=3, busy=10, in_flight=1) == 2
